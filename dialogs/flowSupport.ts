import type { SupportContact } from '../src/config';
import { createHash, randomBytes } from 'node:crypto';
import { EventFactory, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { CallerSession } from '../src/verification/session';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import type { i18n } from 'i18next';
import type { Account } from '../src/accounts/account';
import { DirectoryUnavailableError, type AccountDirectory } from '../src/accounts/directory';
import type { Outbox } from '../src/storage/outbox';
import type { Vocabulary } from '../src/conversation/vocabulary';
import type { AccountActions } from '../src/cases/accountActions';
import type { Logger } from '../src/log';
import { toCalendarDate, type AccountAction, type HandoffReason, type Policy, type Reason, type RuleId, type SubscriptionFacts } from '../src/policy';
import { rememberReason, type ReasonAccessor, type ReasonToExplain } from '../src/conversation/reasons';
import type { TranscriptAccessor } from '../src/conversation/transcript';
import type { RequestAccessor } from '../src/conversation/request';
import { markCommitted } from '../src/conversation/committed';
import { tenantOf } from '../src/conversation/scope';
import { referenceFor } from '../src/conversation/reference';
import { markLiveHandoff } from '../src/conversation/liveHandoff';
import type { LiveHandoffs } from '../src/handoffs/handoffEvents';
import { isOpen, nextOpening, type SupportHours } from '../src/supportHours';
import { FORMAT_LOCALE } from '../src/i18n';
import type { OtpSender } from '../src/verification/otp';
import type { CodeLimits } from '../src/verification/codeLimits';
import { render, type Phrase } from './questions';
import { receiptReply, withSupportContact } from './replies';
import type { InterruptibleDeps } from './interruptibleDialog';
import { noteInsight } from '../src/conversation/insights';
import { accountThisTurn } from '../src/conversation/accountsThisTurn';
import { assistedCallOf } from '../src/conversation/assistedCall';

/** What the account flows need, built once at start-up. */
export interface FlowDeps extends InterruptibleDeps {
  i18n: i18n;
  policy: Policy;
  vocabulary: Vocabulary;
  directory: AccountDirectory;
  actions: AccountActions;
  otp: { sender: OtpSender; ttlMinutes: number; limits: CodeLimits };
  /** How callers reach a person, when configured. */
  supportContact?: SupportContact;
  /** Who the conversation has verified; checked again right before any change (ID-1, ID-2). */
  callerSession: StatePropertyAccessor<CallerSession | undefined>;
  /** The conversation so far, masked, for the hand-off packet (AS-2). */
  transcript: TranscriptAccessor;
  /** The reason behind the last refusal, for "why?" (AS-3). */
  reasons: ReasonAccessor;
  /** What the caller is asking for, as far as the flow got, for a hand-off at any question (AS-2). */
  requests: RequestAccessor;
  now: () => Date;
  logger: Logger;
  /** Messages owed to the caller later (the receipt of a change the backend could not make yet). */
  outbox: Outbox;
  /** The worker's first try waits this long: the turn's own replies ("I'll keep trying") go first. */
  outboxGraceMs: number;
  /** Where a hand-off waits for an agent, live (absent: the case alone, for support to call back). */
  liveHandoffs?: LiveHandoffs;
  /** When agents are at the desk; outside it a caller is told when they are back, not a place in the queue. */
  supportHours?: SupportHours;
}

/** What MainDialog hands every account flow once the caller is verified as an admin. */
export interface AccountFlowOptions {
  accountId: string;
  /** A choice the caller already made in the message that started it all ("…vid periodens slut"): not asked again. */
  how?: string;
  organisationName: string;
  /** The caller's user ID, masked, for the audit log. */
  caller: string;
}

/** "Office 365 Small Business (12 licences)", in whichever language it is rendered. */
export function subscriptionPhrase(facts: SubscriptionFacts): Phrase {
  return { key: 'account:subscriptionLabel', params: { plan: { key: `account:plans.${facts.plan}` }, count: facts.assignedLicenses } };
}

/** The directory cannot answer (or the request has gone): an apology with how to reach support; nothing changed. */
export async function endUnavailable(step: WaterfallStepContext, deps: Pick<FlowDeps, 'i18n' | 'supportContact'>, result?: unknown): Promise<DialogTurnResult> {
  const t = translatorFor(step.context, deps.i18n);
  await step.context.sendActivity(withSupportContact(t, t('account:unavailable'), deps.supportContact));
  return step.endDialog(result);
}

/**
 * The subscription a flow is about, as the caller was last shown it: kept once, in the current request (where a
 * hand-off at any question reads it too), not again in the flow's own state; its label is made from the facts.
 * Undefined when the request has gone or is about another subscription: the flow then apologises and changes nothing.
 */
export async function shownSubscription(context: TurnContext, requests: RequestAccessor, subscriptionId: string): Promise<{ facts: SubscriptionFacts; label: Phrase } | undefined> {
  const shown = (await requests.get(context))?.subscription;
  return shown?.id === subscriptionId ? { facts: shown.facts, label: subscriptionPhrase(shown.facts) } : undefined;
}

/**
 * The subscription a flow is about, for what is said or handed over after its questions: as the caller was shown it,
 * or — the request gone with a verification that lapsed while the caller was away — read again. Undefined only when
 * the directory cannot say either.
 */
export async function flowSubscription(step: WaterfallStepContext, deps: Pick<FlowDeps, 'requests' | 'directory' | 'logger'>, subscriptionId: string): Promise<{ id: string; facts: SubscriptionFacts; label: Phrase } | undefined> {
  const shown = await shownSubscription(step.context, deps.requests, subscriptionId);
  if (shown) return { id: subscriptionId, ...shown };
  const read = await readSubscription(step.context, deps, (step.options as AccountFlowOptions).accountId, subscriptionId);
  return read && { id: subscriptionId, facts: read.facts, label: subscriptionPhrase(read.facts) };
}

/**
 * A flow's own id, part of its idempotency keys: 72 random bits, in 12 characters of the state every turn of the flow
 * reads and writes (a UUID is 36).
 */
export function newFlowId(): string {
  return randomBytes(9).toString('base64url');
}

/**
 * The same request in the same conversation always yields the same key: a retried turn or a double click finds
 * the case the first one made instead of acting twice. `flowId` is fixed when the flow starts.
 */
export function idempotencyKey(context: TurnContext, flowId: string, action: AccountAction | 'handoff', subscriptionId: string): string {
  const { channelId, conversation } = context.activity;
  return createHash('sha256').update([channelId, conversation.id, flowId, action, subscriptionId, ...callPart(context)].join('|')).digest('hex');
}

/**
 * The account and one subscription, read fresh (the facts may have changed since the last turn; within a turn, one read
 * serves every step: accountThisTurn). Undefined when the directory cannot answer or the subscription is gone; the
 * flow then apologises without changing anything.
 */
export async function readSubscription(context: TurnContext, deps: Pick<FlowDeps, 'directory' | 'logger'>, accountId: string, subscriptionId: string): Promise<{ account: Account; facts: SubscriptionFacts } | undefined> {
  try {
    const account = await accountThisTurn(context, deps.directory, accountId);
    const facts = account?.subscriptions.find((s) => s.id === subscriptionId)?.facts;
    return account && facts ? { account, facts } : undefined;
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    deps.logger.error('flow.directory-unavailable', { error });
    return undefined;
  }
}

/** Who is handed over: a verified caller (from a flow or the session), or one who is not verified (yet). */
export interface HandoffCaller {
  verified: boolean;
  accountId: string | null;
  organisationName: string | null;
  /** Masked user ID. */
  userId: string | null;
  isAdmin: boolean | null;
  lockedUntil?: Date;
}

/** The caller of an account flow: verified as an administrator before the flow began (ID-1, ID-2). */
export function flowCaller(flow: AccountFlowOptions): HandoffCaller {
  return { verified: true, accountId: flow.accountId, organisationName: flow.organisationName, userId: flow.caller, isAdmin: true };
}

export interface HandOverRequest {
  reason: HandoffReason;
  caller: HandoffCaller;
  /** The subscription, when a flow hands over (see flowSubscription); otherwise the current request's, if any. */
  subscription?: { id: string; facts: SubscriptionFacts };
  /** What the caller wanted and the choices already made. */
  wanted?: { action: AccountAction | null; choices?: Record<string, string | number | boolean> };
  /** The policy's decision that led here. */
  decision?: { outcome: string; rules: RuleId[] };
  /** Part of the idempotency key: the same hand-off asked twice opens one case. */
  flowId: string;
  /**
   * For a caller who is not verified: one case per channel user and day, whatever the conversation, so opening new
   * conversations does not fill the agents' queue.
   */
  perCallerPerDay?: boolean;
  /** Said before the receipt, once the case exists. */
  introKey?: string;
  /** See HandoffRequest.unfinishedActionKey. */
  unfinishedActionKey?: string;
}

export type HandOverDeps = Pick<FlowDeps, 'i18n' | 'actions' | 'logger' | 'supportContact' | 'callerSession' | 'transcript' | 'requests' | 'now' | 'liveHandoffs' | 'supportHours'>;

/** One key per channel user, purpose and calendar day (UTC) — per phone call in an agent's chat, where callers change. */
function callerDayKey(context: TurnContext, purpose: string, now: Date): string {
  const { channelId, from } = context.activity;
  return createHash('sha256').update([channelId, from?.id ?? 'anonymous', purpose, toCalendarDate(now), ...callPart(context)].join('|')).digest('hex');
}

/** An agent's chat serves one caller after another: each call's requests are its own (nothing for a caller's own chat). */
function callPart(context: TurnContext): string[] {
  const call = assistedCallOf(context);
  return call ? [call.callId] : [];
}

/**
 * AS-2: opens a hand-off case with one packet shape for every reason (who, which subscription, what they wanted,
 * the decision with its rules, language, the masked conversation) and shows its receipt. Returns the case
 * reference, or undefined when the case could not be written (the caller then hears how to reach support).
 */
export async function handOverToPerson(step: WaterfallStepContext, deps: HandOverDeps, request: HandOverRequest): Promise<string | undefined> {
  const t = translatorFor(step.context, deps.i18n);
  const { caller } = request;
  // What the flow had got to, when the hand-off interrupts it ("a person, please" at a confirmation).
  const current = caller.verified ? await deps.requests.get(step.context) : undefined;
  // The subscription as the caller was last shown it (the receipt names it), kept in the request (see shownSubscription).
  const subscription = request.subscription ?? current?.subscription;
  const wanted = request.wanted ?? (current && { action: current.action ?? null, choices: { wish: current.wish, ...current.choices } });
  const decision = request.decision ?? current?.decision;
  try {
    const key = request.perCallerPerDay
      ? callerDayKey(step.context, request.flowId, deps.now())
      : idempotencyKey(step.context, request.flowId, 'handoff', subscription?.id ?? caller.accountId ?? 'unverified');
    const packet = {
      caller: {
        verified: caller.verified,
        isAdmin: caller.isAdmin,
        userId: caller.userId,
        organisationName: caller.organisationName,
        lockedUntil: caller.lockedUntil?.toISOString() ?? null,
      },
      subscription: subscription ? { id: subscription.id, facts: subscription.facts } : null,
      wanted: { action: wanted?.action ?? null, choices: wanted?.choices ?? {} },
      decision: decision ?? null,
      language: turnLanguage(step.context),
      transcript: [...(await deps.transcript.get(step.context, []))],
    };
    const { supportCase, created } = await deps.actions.handOff(request.reason, {
      accountId: caller.accountId,
      idempotencyKey: key,
      channel: step.context.activity.channelId,
      tenant: tenantOf(step.context),
      unfinishedActionKey: request.unfinishedActionKey,
      packet,
    });
    markCommitted(step.context);
    const session = await deps.callerSession.get(step.context);
    if (session && caller.verified) await deps.callerSession.set(step.context, { ...session, handoffReference: supportCase.reference });
    if (!created) {
      // The same request again (a new conversation, a second click): the case that stands, not a second receipt.
      const already = caller.verified ? 'main:alreadyHandedOver' : 'main:alreadyHandedOverUnverified';
      await step.context.sendActivity(withSupportContact(t, t(already, { reference: supportCase.reference }), deps.supportContact));
      return supportCase.reference;
    }
    noteInsight(step.context, { kind: 'handoff', reason: request.reason });
    noteInsight(step.context, { kind: 'receipt', of: 'handoff' });
    if (request.introKey) await step.context.sendActivity(t(request.introKey));
    const whatNext = withSupportContact(t, t(caller.verified ? 'action:receipt.handoff' : 'action:receipt.handoffUnverified'), deps.supportContact);
    const label = subscription ? render(t, subscriptionPhrase(subscription.facts)) : undefined;
    await step.context.sendActivity(receiptReply(t, { title: t('action:receipt.handoffTitle'), reference: supportCase.reference, subscription: label, whatNext }, step.context.activity.channelId));
    await queueForAgent(step, deps, supportCase.reference, request.reason);
    await signalHandoff(step.context, { caseReference: supportCase.reference, reason: request.reason, ...packet });
    return supportCase.reference;
  } catch (error) {
    deps.logger.error('flow.handoff-failed', { reason: request.reason, error: error as Error });
    await step.context.sendActivity(withSupportContact(t, t('main:handoffFailed'), deps.supportContact));
    return undefined;
  }
}

/** Channels that carry Bot Framework events to a contact centre (Teams does not: there the receipt says it all). */
const EVENT_CHANNELS = new Set(['directline', 'webchat', 'emulator']);

/**
 * The Bot Framework hand-off event (`handoff.initiate`), for a contact centre listening on the channel: the packet as
 * its context, the masked transcript as its attachment. Web Chat shows no events, so the caller sees nothing of it.
 */
async function signalHandoff(context: TurnContext, handoffContext: { caseReference: string; transcript: unknown[] } & Record<string, unknown>): Promise<void> {
  if (!EVENT_CHANNELS.has(context.activity.channelId)) return;
  const { transcript, ...rest } = handoffContext;
  const event = EventFactory.createHandoffInitiation(context, rest, { activities: transcript } as never);
  // Where the conversation is, without the caller's display name (the packet has what an agent needs).
  const user = event.relatesTo?.user;
  if (event.relatesTo && user) event.relatesTo = { ...event.relatesTo, user: { id: user.id, role: user.role } as typeof user };
  await context.sendActivity(event);
}

/**
 * The hand-off waits for an agent in the console, who can take over this very conversation. The case stands whatever
 * happens here: a queue that cannot be written only means support calls back, as the receipt says.
 */
async function queueForAgent(step: WaterfallStepContext, deps: HandOverDeps, reference: string, reason: HandOverRequest['reason']): Promise<void> {
  const live = deps.liveHandoffs;
  // In an agent-assisted call the person is on the phone already: the case is for the record, nobody waits in a queue.
  if (!live || assistedCallOf(step.context)) return;
  const { channelId, conversation } = step.context.activity;
  try {
    const { entry, created } = await live.queue.open(
      { id: reference, reason, language: turnLanguage(step.context), channelId, conversationKey: `${channelId}/${conversation.id}`, conversation: referenceFor(step.context) },
      deps.now(),
    );
    if (!created) return;
    markLiveHandoff(step.context, entry.id);
    live.events.publish({ kind: 'opened', handoffId: entry.id });
    const t = translatorFor(step.context, deps.i18n);
    const hours = deps.supportHours;
    if (hours && !isOpen(hours, deps.now())) {
      const opens = nextOpening(hours, deps.now());
      const locale = FORMAT_LOCALE[turnLanguage(step.context)];
      const day = new Intl.DateTimeFormat(locale, { timeZone: hours.timeZone, weekday: 'long', day: 'numeric', month: 'long' }).format(opens);
      const time = new Intl.DateTimeFormat(locale, { timeZone: hours.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(opens);
      await step.context.sendActivity(t('handoff:closedNow', { day, time }));
      return;
    }
    const place = await live.queue.placeInLine(entry.id);
    if (place) await step.context.sendActivity(t('handoff:placeInLine', { place }));
  } catch (error) {
    deps.logger.error('handoff.queue-failed', { reason, error: error as Error });
  }
}

/**
 * A refusal or decision the caller can ask "why?" about (AS-3): said, and its reason kept for the next question.
 */
export async function sayWithReason(step: WaterfallStepContext, deps: Pick<FlowDeps, 'reasons'>, text: string, reason: ReasonToExplain): Promise<void> {
  await step.context.sendActivity(text);
  await rememberReason(step.context, deps.reasons, reason);
}


/** The answer to "shall a colleague do it?" after too many licences (EARLY-5, FR-3, AS-2). */
export interface ColleagueOffer {
  /** Said on a no, with the licence threshold. */
  declinedKey: string;
  licenceThreshold: number;
  why: Reason;
  action: AccountAction;
  choices: Record<string, string | number | boolean>;
  subscriptionId: string;
  decision: { outcome: string; rules: RuleId[] };
  flowId: string;
}

/** A yes hands the request to a person with everything confirmed so far; a no changes nothing and says what would. */
export async function answerColleagueOffer(step: WaterfallStepContext, deps: HandOverDeps & Pick<FlowDeps, 'reasons' | 'directory'>, offer: ColleagueOffer): Promise<DialogTurnResult> {
  if (step.result !== true) {
    const t = translatorFor(step.context, deps.i18n);
    await sayWithReason(step, deps, t(offer.declinedKey, { threshold: offer.licenceThreshold }), { reason: offer.why });
    return step.endDialog();
  }
  const subscription = await flowSubscription(step, deps, offer.subscriptionId);
  await handOverToPerson(step, deps, {
    reason: 'too-many-licences',
    caller: flowCaller(step.options as AccountFlowOptions),
    subscription: subscription && { id: subscription.id, facts: subscription.facts },
    wanted: { action: offer.action, choices: { ...offer.choices, colleagueAccepted: true } },
    decision: offer.decision,
    flowId: offer.flowId,
  });
  return step.endDialog();
}
