import { hash } from 'node:crypto';
import type { i18n } from 'i18next';
import { ActivityTypes, TeamsActivityHandler, TurnContext, type Activity, type AdaptiveCardInvokeResponse, type ConversationState, type InvokeResponse, type StatePropertyAccessor, type UserState } from 'botbuilder';
import type { Dialog, DialogState, DialogStateManagerConfiguration } from 'botbuilder-dialogs';
import { DialogSet, DialogTurnStatus } from '../conversation/sdkDialogs';
import type { Language } from '../i18n';
import { chooseLanguage, isLanguageEvent, languageWasChosen, setTurnLanguage, turnLanguage } from '../conversation/language';
import type { Policy } from '../policy';
import { recordTranscript, type ConversationTranscripts, type TranscriptMasks } from '../conversation/transcript';
import { withoutControlCharacters } from '../format';
import { holdReplies } from './heldReplies';
import { committedThisTurn } from '../conversation/committed';
import type { Logger } from '../log';
import { continueSession, type CallerSession } from '../verification/session';
import type { Outbox, OutboxClaim, OutboxItem } from '../storage/outbox';
import { commitStagedWrites, turnTransaction } from '../storage/changeTrackedState';
import { asJson, referenceFor } from '../conversation/reference';
import { TurnLockLostError, turnLockHeld } from '../conversation/turnLock';
import { safeToSendAgain } from './replyRetry';
import { adaptRepliesToChannel, closedCard } from './channelReplies';
import { isSharedConversation } from '../conversation/scope';
import type { LiveHandoffs } from '../handoffs/handoffEvents';
import { liveHandoffOpened, resumeRequested } from '../conversation/liveHandoff';
import { setTurnAssistedCall, type AssistedCallAccessor } from '../conversation/assistedCall';
import { answeredCardOf } from '../conversation/cardClicks';
import type { TurnInsights } from '../conversation/insights';

/**
 * Web Chat on Microsoft's Direct Line service: the conversation starts without a conversationUpdate for the caller, so
 * the widget asks for the greeting with this event (the bot's local Direct Line endpoint greets by itself).
 */
export const JOIN_EVENT = 'webchat/join';

/**
 * How many recent message ids a conversation remembers to recognise a redelivery: a channel sends again the message it
 * got no answer to in time — the last one or two, never one ten messages back.
 */
const RECENT_ACTIVITY_IDS = 10;
/** See fingerprintOf. */
const FINGERPRINT_CHARS = 6;
/**
 * Where the SDK's DialogStateManager looks, in turn state, for the dialogs' memory scopes before building them (its
 * constant, not exported): it builds them anew on every turn's first dialog context, the same every turn.
 */
const DIALOG_STATE_CONFIGURATION = 'DialogStateManagerConfiguration';

/** A receipt the outbox holds for the turn; `stagedWithState` when it went with the turn's state write (Outbox.stage). */
interface OwedReceipt {
  claim: OutboxClaim;
  stagedWithState?: { item: OutboxItem; firstAttemptAt: Date };
}

/** What the bot remembers about a caller across conversations. Deliberately small: no personal data. */
export interface UserProfile {
  language?: Language;
  /** The caller asked for this language ("svenska", "English"): it wins over the channel's locale from then on. */
  languageChosen?: boolean;
}

export interface SupportBotDeps {
  conversationState: ConversationState;
  userState: UserState;
  mainDialog: Dialog;
  defaultLanguage: Language;
  callerSession: StatePropertyAccessor<CallerSession | undefined>;
  policy: Policy;
  now: () => Date;
  /** The conversation so far, kept masked for hand-off packets (AS-2); a turn's lines are kept when its state is. */
  transcript: ConversationTranscripts;
  /** A longer message is not read (input bound): it would only cost time, and nobody types a subscription question that long. */
  maxMessageChars: number;
  logger: Logger;
  /** Says the one thing the bot says outside any dialog: "that message is too long". */
  i18n: i18n;
  /** Conversation state about the verified account (the last reason, the current request): forgotten when the verification lapses. */
  accountScoped: Array<StatePropertyAccessor<unknown>>;
  masks: TranscriptMasks;
  /** Where a receipt waits until the connector has taken it. */
  outbox: Outbox;
  /** A receipt owed is left to the outbox worker only after this long: the turn itself is delivering it first. */
  outboxGraceMs: number;
  /** Hand-offs an agent can take over: while an agent holds the conversation, the caller talks to them, not the bot. */
  liveHandoffs?: LiveHandoffs;
  /** The hand-off this conversation has waiting or held, if any: only then is the queue asked at each message. */
  liveHandoffId: StatePropertyAccessor<string | undefined>;
  /** The phone call an agent is verifying a caller for in this chat, if any (src/conversation/assistedCall.ts). */
  assistedCall?: AssistedCallAccessor;
  /** Counts the caller's messages and writes what the dialogs noted for the insights page, once the turn is kept. */
  insights?: TurnInsights;
}

/** Thin glue: picks the caller's language, runs the main dialog, saves state. Conversation logic lives in dialogs/. */
export class SupportBot extends TeamsActivityHandler {
  private readonly dialogs: DialogSet;
  private readonly profile: StatePropertyAccessor<UserProfile>;
  private readonly handledIds: StatePropertyAccessor<string | string[]>;
  private readonly welcomed: StatePropertyAccessor<boolean>;
  /** The memory scopes the SDK built on the first turn, handed to every later turn (see DIALOG_STATE_CONFIGURATION). */
  private dialogStateConfiguration?: DialogStateManagerConfiguration;

  constructor(private readonly deps: SupportBotDeps) {
    super();
    this.dialogs = new DialogSet(deps.conversationState.createProperty<DialogState>('dialogState')).add(deps.mainDialog);
    this.profile = deps.userState.createProperty<UserProfile>('profile');
    this.handledIds = deps.conversationState.createProperty<string | string[]>('handledActivityIds');
    this.welcomed = deps.conversationState.createProperty<boolean>('welcomedShared');

    this.onMembersAdded(async (context, next) => {
      const added = context.activity.membersAdded ?? [];
      if (isSharedConversation(context)) {
        // A team or group chat: one short welcome when the bot itself is added, not a greeting for every new member.
        if (added.some((member) => member.id === context.activity.recipient?.id)) await this.welcomeShared(context);
      } else if (added.some((member) => member.id !== context.activity.recipient?.id)) {
        await this.continueOrBegin(context);
      }
      await next();
    });
    // Teams: the app installed in a personal chat greets as a new chat does; installed in a team or group chat, it
    // says what it does there (and that account matters belong in a private chat).
    this.onInstallationUpdateAdd(async (context, next) => {
      if (isSharedConversation(context) || context.activity.conversation?.conversationType === 'channel') await this.welcomeShared(context);
      else await this.continueOrBegin(context);
      await next();
    });
    this.onMessage(async (context, next) => {
      await this.continueOrBegin(context);
      await next();
    });
    // The greeting asked for by the widget (nothing is said when the conversation is already under way), and a
    // language picked in the widget's panel (the dialogs ask the open question again in it).
    this.onEvent(async (context, next) => {
      if (context.activity.name === JOIN_EVENT || isLanguageEvent(context.activity) || resumeRequested(context)) await this.continueOrBegin(context);
      await next();
    });
  }

  /**
   * Invokes get an answer, never the SDK's 501 (nor a 5xx of any kind):
   * - Teams' health check is told all is well;
   * - a card's Action.Execute (`adaptiveCard/action`) answers the question open, exactly as Action.Submit's message
   *   does, and Teams gets the card back refreshed (see answerCardAction);
   * - a file consent card (`fileConsent/invoke`): this bot sends no files, so there is nothing to upload; an accept is
   *   told so politely, a decline needs no words;
   * - anything else (message extensions, task modules, …: features this bot does not have) gets an empty 200.
   * This replaces TeamsActivityHandler's own invoke dispatch, which answers file consent, message extensions, task
   * modules and most other Teams invokes with 501 unless each one is overridden. (Its conversationUpdate dispatch is
   * kept: with no Teams-specific member handlers it hands members added to onMembersAdded, without looking them up.)
   * Reactions (`messageReaction`) do nothing: a 👍 is acknowledged (200) and never read as an answer — on an older
   * message it would confirm a question no longer asked — so the conversation stays exactly where it was.
   */
  protected async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    switch (context.activity.name) {
      case 'healthCheck':
        return { status: 200, body: { healthResults: { success: true } } };
      case 'adaptiveCard/action':
        return { status: 200, body: await this.answerCardAction(context) };
      case 'fileConsent/invoke':
        if ((context.activity.value as { action?: unknown } | undefined)?.action === 'accept') await context.sendActivity(this.translator(context)('common:noFilesToSend'));
        return { status: 200 };
      default:
        return { status: 200 };
    }
  }

  /**
   * Action.Execute: the click is read as the message an Action.Submit would have sent (the dialogs read a card's
   * answer from a message's value), and Teams is answered with the card refreshed as the dialogs recorded it — the
   * question and the choice made, no buttons — so it cannot be pressed twice. A click that answered nothing (on an
   * older card, which the dialogs decline; a second copy of the same invoke, which is not run at all) gets the card
   * replaced with "this question is closed", buttons gone too.
   */
  private async answerCardAction(context: TurnContext): Promise<AdaptiveCardInvokeResponse> {
    const data = (context.activity.value as { action?: { data?: unknown } } | undefined)?.action?.data;
    // Only a button's answer (`{ choice }`, `{ answer }`) is read: any other action (a refresh) would only re-ask.
    const answers = typeof data === 'object' && data !== null && ('choice' in data || 'answer' in data);
    // Teams sends an invoke again when it got no answer in time: the copy is acted on once, like a message's.
    if (answers && !(await this.seenBefore(context))) {
      const activity = context.activity;
      const invoke = { type: activity.type, value: activity.value };
      Object.assign(activity, { type: ActivityTypes.Message, value: data });
      try {
        await this.continueOrBegin(context);
      } finally {
        Object.assign(activity, invoke);
      }
    }
    const card = answeredCardOf(context) ?? closedCard(this.translator(context)('common:cardClosed'));
    return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
  }

  /**
   * A 1:1 chat the bot opened itself (privateChat.ts, for an account wish said in a group chat or channel): greeted as
   * a new personal chat is, in the language of the turn that asked. A chat already under way (Teams gives back the
   * caller's existing 1:1 chat) is left as it is. Only this chat's conversation state is touched: the caller's user
   * state belongs to the shared conversation's turn, still running, which saves it.
   */
  async greetPrivateChat(context: TurnContext, language: Language): Promise<void> {
    setTurnLanguage(context, language);
    recordTranscript(context, this.deps.now, this.deps.masks);
    const replies = holdReplies(context);
    try {
      const dc = await this.dialogs.createContext(context);
      if (!dc.activeDialog) await dc.beginDialog(this.deps.mainDialog.id);
      if (!turnLockHeld(context)) throw new TurnLockLostError();
      await this.deps.transcript.save(context);
      await this.deps.conversationState.saveChanges(context);
      await commitStagedWrites(context);
    } catch (error) {
      replies.discard();
      throw error;
    }
    await replies.release();
  }

  private translator(context: TurnContext) {
    return this.deps.i18n.getFixedT(turnLanguage(context));
  }

  /**
   * A file or picture sent with no words (Teams: `application/vnd.microsoft.teams.file.download.info`, an inline
   * image) is not read — the bot reads no files. The caller is asked to write it instead, and hears the open question
   * again: their place is kept. In a conversation not yet begun, the greeting follows.
   */
  private async askToWriteInstead(context: TurnContext): Promise<void> {
    await context.sendActivity(this.translator(context)('common:filesNotRead'));
    const dc = await this.dialogs.createContext(context);
    if (dc.activeDialog) await dc.repromptDialog();
    else await dc.beginDialog(this.deps.mainDialog.id);
  }

  /** Once per team or group chat: Teams announces the bot's arrival twice (installationUpdate and conversationUpdate). */
  private async welcomeShared(context: TurnContext): Promise<void> {
    if (await this.welcomed.get(context, false)) return;
    await this.welcomed.set(context, true);
    await context.sendActivity(this.deps.i18n.getFixedT(turnLanguage(context))('main:teamWelcome'));
  }

  /** A verification lapses after idle minutes (ID-1); otherwise this message counts as activity. */
  private async refreshCallerSession(context: TurnContext): Promise<void> {
    const { type, name } = context.activity;
    if (type !== ActivityTypes.Message && !(type === ActivityTypes.Invoke && name === 'adaptiveCard/action')) return;
    const session = await this.deps.callerSession.get(context);
    if (!session) return;
    const next = continueSession(session, this.deps.now(), this.deps.policy);
    if (next) {
      await this.deps.callerSession.set(context, next);
      return;
    }
    // Lapsed (ID-1): what was learnt about the account goes with the session, so "why?" says nothing of it now.
    await this.deps.callerSession.delete(context);
    for (const accessor of this.deps.accountScoped) await accessor.delete(context);
  }

  /** Continues the conversation where it is, or starts the main dialog. (The SDK's runDialog also mirrors the whole
   * state to Emulator as a trace; state may hold personal data, so it is not used.) */
  private async continueOrBegin(context: TurnContext): Promise<void> {
    const dc = await this.dialogs.createContext(context);
    const result = await dc.continueDialog();
    if (result.status === DialogTurnStatus.empty) await dc.beginDialog(this.deps.mainDialog.id);
  }

  /**
   * Channels redeliver an activity when they did not see our answer in time. A message whose id this conversation
   * has already handled is dropped, so a redelivered "yes" cannot confirm anything a second time.
   */
  private async alreadyHandled(context: TurnContext): Promise<boolean> {
    return context.activity.type === ActivityTypes.Message && this.seenBefore(context);
  }

  /** Whether this conversation handled an activity with this id already; else the id is remembered (saved with the turn). */
  private async seenBefore(context: TurnContext): Promise<boolean> {
    const id = context.activity.id;
    if (!id) return false;
    const kept = await this.handledIds.get(context, '');
    // One string of fixed-width fingerprints, newest last (a list of strings, as kept before, is read the same way).
    const handled = Array.isArray(kept) ? kept.join('') : kept;
    const seen = fingerprintOf(id);
    for (let at = 0; at < handled.length; at += FINGERPRINT_CHARS) if (handled.startsWith(seen, at)) return true;
    await this.handledIds.set(context, handled.slice(-(RECENT_ACTIVITY_IDS - 1) * FINGERPRINT_CHARS) + seen);
    return false;
  }

  async run(context: TurnContext): Promise<void> {
    if (this.dialogStateConfiguration) context.turnState.set(DIALOG_STATE_CONFIGURATION, this.dialogStateConfiguration);
    try {
      await this.runTurn(context);
    } finally {
      this.dialogStateConfiguration ??= context.turnState.get(DIALOG_STATE_CONFIGURATION);
    }
  }

  private async runTurn(context: TurnContext): Promise<void> {
    // Both states at once: a store that can read them in one round trip does (PostgreSQL).
    await Promise.all([this.deps.conversationState.load(context), this.deps.userState.load(context)]);
    if (await this.alreadyHandled(context)) return;
    // Control characters mean nothing in a chat message, and a NUL cannot be stored in PostgreSQL's JSON: whatever the
    // caller typed ends up in conversation state (answers, the transcript), so they go before anything reads it.
    if (typeof context.activity.text === 'string') context.activity.text = withoutControlCharacters(context.activity.text);
    // "@Prenumerationsassistenten säga upp": the @mention of the bot is not part of what the caller says.
    if (context.activity.channelId === 'msteams' && context.activity.text) context.activity.text = TurnContext.removeRecipientMention(context.activity)?.trim() ?? context.activity.text;
    const profile = await this.profile.get(context, {});
    const language = chooseLanguage(context.activity.locale, profile.language, this.deps.defaultLanguage, profile.languageChosen && !localeChosenByCaller(context));
    profile.language = language;
    setTurnLanguage(context, language);
    // A locale the caller picked on the channel (the terminal chat's --locale) is a choice too: it wins from now on.
    if (localeChosenByCaller(context)) profile.languageChosen = true;
    await this.refreshCallerSession(context);
    if (this.deps.assistedCall) setTurnAssistedCall(context, await this.deps.assistedCall.get(context));
    await this.deps.insights?.beginTurn(context);
    const tooLong = (context.activity.text?.length ?? 0) > this.deps.maxMessageChars;
    if (!tooLong) recordTranscript(context, this.deps.now, this.deps.masks);
    adaptRepliesToChannel(context);
    const replies = holdReplies(context);
    let owed: OwedReceipt | undefined;
    try {
      if (!tooLong && (await this.relayedToAgent(context))) {
        // An agent holds the conversation: the message went to them, and the bot says nothing.
      } else if (tooLong) {
        // Not read at all, so the caller keeps their place and answers the same question again.
        await context.sendActivity(this.deps.i18n.getFixedT(turnLanguage(context))('errors:tooLong', { max: this.deps.maxMessageChars }));
      } else if (onlyFiles(context.activity)) {
        await this.askToWriteInstead(context);
      } else {
        await super.run(context);
      }
      const queued = liveHandoffOpened(context);
      if (queued) await this.deps.liveHandoffId.set(context, queued);
      if (languageWasChosen(context)) {
        profile.language = turnLanguage(context);
        profile.languageChosen = true;
      }
      // A receipt (something was done this turn) goes into the outbox before the state is saved, or with it (in its
      // transaction, on PostgreSQL): once the turn counts as handled, the receipt reaches the caller even if the
      // connector does not take it now, or this instance dies before it is sent.
      if (committedThisTurn(context)) owed = await this.keepInOutbox(context, replies.held());
      // Another instance may be running this conversation once the lock is gone: saving now could overwrite its turn.
      if (!turnLockHeld(context)) throw new TurnLockLostError();
      // The conversation last: if it is saved, the caller's place moved, and the replies must be said. (The transcript
      // and the insights events just before it: a turn whose state is kept has its lines and events kept too — on
      // PostgreSQL in the same transaction.)
      await this.deps.userState.saveChanges(context);
      await this.deps.transcript.save(context);
      this.deps.insights?.keepWithState(context);
      await this.deps.conversationState.saveChanges(context);
      // The transcript lines and events, if no state write took them along (an unchanged conversation).
      await commitStagedWrites(context);
    } catch (error) {
      if (!committedThisTurn(context)) {
        // Nothing of a turn that could not be kept is said: the apology (onTurnError) is all the caller reads.
        replies.discard();
        throw error;
      }
      // An action was done (or a case opened) before the save failed: its receipt is true and is said; the place in
      // the conversation is not kept, and a repeated answer finds the same case (idempotency). The lines that led to
      // it are kept all the same, for whoever reads the transcript next (a hand-off).
      this.deps.logger.error('turn.state-not-saved-after-action', { error: error as Error });
      await this.deps.transcript.keepWithoutState(context).catch((failure: unknown) => this.deps.logger.warn('transcript.not-kept', { error: failure as Error }));
      this.deps.insights?.keepWithoutState(context);
      if (owed) await this.keepInOutboxWithoutState(owed);
    }
    let failure: unknown;
    try {
      await replies.release();
    } catch (error) {
      failure = error;
      // The channel would not take a reply even after retries. Said once in the log, not as an apology that "nothing
      // has been changed" (something may have been).
      this.deps.logger.error('turn.replies-not-delivered', { error: error as Error, inOutbox: owed !== undefined });
    }
    if (owed) await this.settleOutbox(context, owed.claim, failure === undefined ? undefined : { unsent: replies.unsent(), error: failure });
    await this.deps.insights?.endTurn(context);
  }

  /**
   * A caller's message while an agent holds the conversation goes to the agent (masked, as the transcript is), and
   * their console hears of it at once. Card clicks have no words to pass on; they are not answers to the bot either.
   */
  private async relayedToAgent(context: TurnContext): Promise<boolean> {
    const live = this.deps.liveHandoffs;
    if (!live || context.activity.type !== ActivityTypes.Message) return false;
    const id = await this.deps.liveHandoffId.get(context);
    if (!id) return false;
    const held = await live.queue.get(id);
    // Handed back or closed: the bot answers again, and stops asking.
    if (held?.status === 'ended' || !held) await this.deps.liveHandoffId.delete(context);
    if (held?.status !== 'active') return false;
    const said = context.activity.text?.trim();
    if (said) {
      await live.queue.append(held.id, { from: 'caller', text: this.deps.masks.caller(said) }, this.deps.now());
      live.events.publish({ kind: 'message', handoffId: held.id });
    }
    return true;
  }

  private async keepInOutbox(context: TurnContext, activities: Array<Partial<Activity>>): Promise<OwedReceipt | undefined> {
    if (activities.length === 0) return undefined;
    try {
      const item = { kind: 'replies' as const, conversation: referenceFor(context), activities: asJson(activities), otherwise: [], caseReference: null };
      const firstAttemptAt = new Date(Date.now() + this.deps.outboxGraceMs);
      // With the turn's state where the store can (PostgreSQL: its transaction and round trip), else on its own first.
      const within = turnTransaction(context);
      const staged = within && this.deps.outbox.stage?.(item, firstAttemptAt, within);
      if (staged) return { claim: staged, stagedWithState: { item, firstAttemptAt } };
      return { claim: await this.deps.outbox.add(item, firstAttemptAt) };
    } catch (error) {
      // The store is away: the receipt is still said now, only without the safety net.
      this.deps.logger.error('turn.outbox-unavailable', { error: error as Error });
      return undefined;
    }
  }

  /** The state write that was to keep the receipt failed (or may have): the entry is kept on its own, under the same claim. */
  private async keepInOutboxWithoutState(owed: OwedReceipt): Promise<void> {
    if (!owed.stagedWithState) return;
    const { item, firstAttemptAt } = owed.stagedWithState;
    try {
      await this.deps.outbox.add(item, firstAttemptAt, owed.claim);
    } catch (error) {
      this.deps.logger.error('turn.outbox-unavailable', { error: error as Error });
    }
  }

  /** Delivered: the entry goes. Not delivered: what is left waits for the worker, unless it may have been posted. */
  private async settleOutbox(context: TurnContext, owed: OutboxClaim, failed: { unsent: Array<Partial<Activity>>; error: unknown } | undefined): Promise<void> {
    try {
      // Delivered: on PostgreSQL forgotten with the turn lock's give-back (no round trip before the turn ends); if that
      // delete fails, once more on its own.
      const within = turnTransaction(context);
      const forgetAgain = (error: Error) => {
        this.deps.logger.warn('turn.outbox-not-forgotten-after-turn', { error });
        this.deps.outbox.done(owed).catch((storeError: unknown) => this.deps.logger.error('turn.outbox-unavailable', { error: storeError as Error }));
      };
      if (!failed && within && this.deps.outbox.doneAfterTurn?.(owed, within, forgetAgain)) return;
      if (!failed) await this.deps.outbox.done(owed);
      else if (safeToSendAgain(failed.error)) await this.deps.outbox.retryLater(owed, { kind: 'replies', activities: asJson(failed.unsent) }, new Date(), (failed.error as Error)?.message ?? String(failed.error));
      else await this.deps.outbox.giveUp(owed, (failed.error as Error)?.message ?? String(failed.error)); // it may have been posted: an agent looks, the caller is not told twice
    } catch (storeError) {
      // The entry stays as it was: if the receipt was delivered, the worker may send it once more after the grace time.
      this.deps.logger.error('turn.outbox-unavailable', { error: storeError as Error });
    }
  }
}

/**
 * What a conversation remembers of a handled activity id: 6 characters of its hash instead of the id itself (a Direct
 * Line id is some 40), so they stay small in the state every turn reads and writes. 36 bits: two of a
 * conversation's last ten ids sharing one is a chance in a billion.
 */
function fingerprintOf(activityId: string): string {
  return hash('sha1', activityId, 'base64url').slice(0, FINGERPRINT_CHARS);
}

/** A message that carries a file or picture and no words, nor a card's value. */
function onlyFiles(activity: Activity): boolean {
  if (activity.type !== ActivityTypes.Message || activity.text?.trim() || activity.value !== undefined) return false;
  // Teams adds a text/html copy of what was written; a card is not a file.
  return (activity.attachments ?? []).some((attachment) => attachment.contentType !== 'text/html' && !attachment.contentType?.startsWith('application/vnd.microsoft.card.'));
}

/**
 * The channel says its locale is the caller's own choice, not a default (`channelData.localeChosen`, sent by the
 * terminal chat for `--locale`): it overrides a language remembered from an earlier conversation.
 */
function localeChosenByCaller(context: TurnContext): boolean {
  return Boolean(context.activity.locale) && (context.activity.channelData as { localeChosen?: unknown } | undefined)?.localeChosen === true;
}
