import { createHash } from 'node:crypto';
import type { StatePropertyAccessor, TurnContext } from 'botbuilder';
import type { CallerSession } from '../src/verification/session';
import type { WaterfallStepContext } from 'botbuilder-dialogs';
import { translatorFor } from '../src/bot/language';
import type { i18n } from 'i18next';
import type { Account } from '../src/accounts/account';
import { DirectoryUnavailableError, type AccountDirectory } from '../src/accounts/directory';
import type { Vocabulary } from '../src/bot/vocabulary';
import type { AccountActions } from '../src/cases/accountActions';
import type { Logger } from '../src/log';
import type { AccountAction, HandoffReason, Policy, SubscriptionFacts } from '../src/policy';
import type { OtpSender } from '../src/verification/otp';
import { render, type Phrase } from './questions';
import { receiptReply, withSupportContact } from './replies';
import type { InterruptibleDeps } from './interruptibleDialog';

/** What the account flows need, built once at start-up. */
export interface FlowDeps extends InterruptibleDeps {
  i18n: i18n;
  policy: Policy;
  vocabulary: Vocabulary;
  directory: AccountDirectory;
  actions: AccountActions;
  otp: { sender: OtpSender; ttlMinutes: number };
  /** How callers reach a person, when configured. */
  supportContact?: string;
  /** Who the conversation has verified; checked again right before any change (ID-1, ID-2). */
  callerSession: StatePropertyAccessor<CallerSession | undefined>;
  now: () => Date;
  logger: Logger;
}

/** What MainDialog hands every account flow once the caller is verified as an admin. */
export interface AccountFlowOptions {
  accountId: string;
  organisationName: string;
  /** The caller's user ID, masked, for the audit log. */
  caller: string;
}

/** "Office 365 Small Business (12 licences)", in whichever language it is rendered. */
export function subscriptionPhrase(facts: SubscriptionFacts): Phrase {
  return { key: 'account:subscriptionLabel', params: { plan: { key: `account:plans.${facts.plan}` }, count: facts.assignedLicenses } };
}

/**
 * The same request in the same conversation always yields the same key: a retried turn or a double click finds
 * the case the first one made instead of acting twice. `flowId` is fixed when the flow starts.
 */
export function idempotencyKey(context: TurnContext, flowId: string, action: AccountAction | 'handoff', subscriptionId: string): string {
  const { channelId, conversation } = context.activity;
  return createHash('sha256').update([channelId, conversation.id, flowId, action, subscriptionId].join('|')).digest('hex');
}

/**
 * The account and one subscription, read fresh (the facts may have changed since the last turn). Undefined when the
 * directory cannot answer or the subscription is gone; the flow then apologises without changing anything.
 */
export async function readSubscription(deps: FlowDeps, accountId: string, subscriptionId: string): Promise<{ account: Account; facts: SubscriptionFacts } | undefined> {
  try {
    const account = await deps.directory.findAccount(accountId);
    const facts = account?.subscriptions.find((s) => s.id === subscriptionId)?.facts;
    return account && facts ? { account, facts } : undefined;
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    deps.logger.error('flow.directory-unavailable', { error });
    return undefined;
  }
}

export interface HandOverRequest extends AccountFlowOptions {
  reason: HandoffReason;
  subscriptionId?: string;
  subscription?: Phrase;
  /** Part of the idempotency key: the same hand-off asked twice opens one case. */
  flowId: string;
  requestedAction?: AccountAction;
  context: Record<string, unknown>;
  /** Said before the receipt, once the case exists. */
  introKey?: string;
  /** See HandoffContext.unfinishedActionKey. */
  unfinishedActionKey?: string;
}

/**
 * AS-2: opens a hand-off case with the verified context and shows its receipt. Returns the case reference, or
 * undefined when the case could not be written (the caller then hears how to reach support instead).
 */
export async function handOverToPerson(step: WaterfallStepContext, deps: Pick<FlowDeps, 'i18n' | 'actions' | 'logger' | 'supportContact' | 'callerSession'>, request: HandOverRequest): Promise<string | undefined> {
  const t = translatorFor(step.context, deps.i18n);
  try {
    const supportCase = await deps.actions.handOff(request.reason, {
      accountId: request.accountId,
      subscriptionId: request.subscriptionId,
      idempotencyKey: idempotencyKey(step.context, request.flowId, 'handoff', request.subscriptionId ?? request.accountId),
      channel: step.context.activity.channelId,
      caller: request.caller,
      organisationName: request.organisationName,
      requestedAction: request.requestedAction,
      unfinishedActionKey: request.unfinishedActionKey,
      context: { verified: true, ...request.context },
    });
    const session = await deps.callerSession.get(step.context);
    if (session) await deps.callerSession.set(step.context, { ...session, handoffReference: supportCase.reference });
    const subscription = request.subscription ? render(t, request.subscription) : undefined;
    if (request.introKey) await step.context.sendActivity(t(request.introKey));
    await step.context.sendActivity(
      receiptReply(t, { title: t('action:receipt.handoffTitle'), reference: supportCase.reference, subscription, whatNext: t('action:receipt.handoff') }, step.context.activity.channelId),
    );
    return supportCase.reference;
  } catch (error) {
    deps.logger.error('flow.handoff-failed', { reason: request.reason, error: error as Error });
    await step.context.sendActivity(withSupportContact(t, t('main:personUnverified'), deps.supportContact));
    return undefined;
  }
}
