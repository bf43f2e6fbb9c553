import { TeamsInfo, type ConversationState, type TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import type { AppConfig } from '../config';
import { createI18n } from '../i18n';
import type { Logger } from '../log';
import { createPolicy, type Policy } from '../policy';
import type { AccountDirectory } from '../accounts/directory';
import type { StateStore } from '../storage';
import type { ConversationLock } from '../storage/conversationLock';
import { ChangeTrackedConversationState, ChangeTrackedUserState } from '../storage/changeTrackedState';
import type { LiveHandoffs } from '../handoffs/handoffEvents';
import type { AgentIdentity } from '../handoffs/handoffQueue';
import type { AssistedCall } from '../conversation/assistedCall';
import { openStores } from './stores';
import { registerDialogComponentsOnce } from '../conversation/dialogComponents';
import { applyDialogStateShortcuts } from '../conversation/dialogStateShortcuts';
import { createAttemptLedger } from '../verification/attempts';
import { createCodeLimits } from '../verification/codeLimits';
import type { CallerSession } from '../verification/session';
import { createCallerVerification, type CallerVerification } from '../verification/verifyCaller';
import type { CodeLimits } from '../verification/codeLimits';
import { createAccountActions, type AccountActions } from '../cases/accountActions';
import type { Outbox } from '../storage/outbox';
import type { CaseLog } from '../cases/caseLog';
import { conversationTranscripts } from '../conversation/transcript';
import type { TranscriptLog } from '../cases/transcriptLog';
import type { ReasonToExplain } from '../conversation/reasons';
import type { CurrentRequest } from '../conversation/request';
import type { PartialAnswers } from '../verification/answers';
import { maskCallerText, maskPersonalData } from '../privacy/mask';
import { loadIntentRecognizer, type IntentRecognizer } from '../understanding/nlu';
import type { SubscriptionService } from '../subscriptions/subscriptionService';
import { createHttpOtpSender, createLogOtpSender, type OtpSender } from '../verification/otp';
import { CancelSubscriptionDialog, CANCEL_SUBSCRIPTION_DIALOG } from '../../dialogs/cancelSubscriptionDialog';
import { FastRevokeDialog, FAST_REVOKE_DIALOG } from '../../dialogs/fastRevokeDialog';
import { FeedbackDialog } from '../../dialogs/feedbackDialog';
import { LeaveMessageDialog } from '../../dialogs/leaveMessageDialog';
import type { FlowDeps } from '../../dialogs/flowSupport';
import { MainDialog } from '../../dialogs/mainDialog';
import { PerformActionDialog } from '../../dialogs/performActionDialog';
import { ReactivateDialog, REACTIVATE_DIALOG } from '../../dialogs/reactivateDialog';
import { SelectSubscriptionDialog } from '../../dialogs/selectSubscriptionDialog';
import { VerifyIdentityDialog } from '../../dialogs/verifyIdentityDialog';
import { SupportBot } from '../bot/supportBot';
import { createPrivateChatOpener } from '../bot/privateChat';
import { buildVocabulary } from '../conversation/vocabulary';
import { createTurnInsights, type InsightsProgress } from '../conversation/insights';
import type { InsightsLog } from '../insights/insightsLog';
import { createInsightsRecorder, type InsightsRecorder } from '../insights/recorder';

export interface BotRuntime {
  bot: SupportBot;
  store: StateStore;
  /** The masked transcripts, line by line (swept with the conversations). */
  transcripts: TranscriptLog;
  directory: AccountDirectory;
  cases: CaseLog;
  /** Receipts owed to callers, delivered by the outbox worker (the server starts it). */
  outbox: Outbox;
  /** The actions, for the outbox worker to finish a pending case. */
  actions: AccountActions;
  /** Held for the length of a turn, so turns of one conversation never overlap across instances. */
  conversationLock: ConversationLock;
  /** The keys of the state a caller's turn reads first (its conversation's and its caller's), for the lock to read ahead. */
  stateKeys(context: TurnContext): string[];
  i18n: i18n;
  policy: Policy;
  conversationState: ConversationState;
  logger: Logger;
  /** Hand-offs waiting for an agent or held by one, and the events the agent console follows. */
  liveHandoffs: LiveHandoffs;
  /** ID-1..ID-3 with the one attempt ledger: the agent console verifies callers by phone under the same lockout as the chat. */
  verification: CallerVerification;
  /** FR-2's one-time codes (sender, validity, limits per account), shared by the chat and the agent console. */
  otp: { sender: OtpSender; ttlMinutes: number; limits: CodeLimits };
  /** The insights events (read by the insights page) and how events are written, also from outside a turn. */
  insights: { log: InsightsLog; recorder: InsightsRecorder };
  close(): Promise<void>;
}

/** Seams for tests: real parts are built from the config unless one is handed in. */
export interface RuntimeOverrides {
  store?: StateStore;
  directory?: AccountDirectory;
  subscriptions?: SubscriptionService;
  otpSender?: OtpSender;
  recognizer?: IntentRecognizer;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  teamsUserId?: (context: TurnContext) => Promise<string | undefined>;
  /** Which Teams users are support agents (the server reads the agents file); absent, nobody can start an assisted call. */
  agentInTeams?: (context: TurnContext) => AgentIdentity | undefined;
}

/** Everything a turn needs, built once at start-up and shared by the HTTP server and the terminal chat. */
export async function createBotRuntime(config: AppConfig, logger: Logger, overrides: RuntimeOverrides = {}): Promise<BotRuntime> {
  const now = overrides.now ?? (() => new Date());
  if (!registerDialogComponentsOnce()) logger.warn('sdk.dialog-components-per-context', { reason: 'botbuilder-dialogs no longer exports DialogsComponentRegistration as before' });
  if (!applyDialogStateShortcuts()) logger.warn('sdk.dialog-state-shortcuts', { reason: "botbuilder-dialogs' DialogStateManager no longer has parsePath, trackPaths and trackChange" });
  const stores = await openStores(config, logger, now, overrides);
  const { state: store, directory, subscriptions, cases, outbox } = stores;
  const otpSender = overrides.otpSender ?? openOtpSender(config, logger);

  const i18n = createI18n(config.defaultLanguage);
  const policy = createPolicy(config.policy);
  const vocabulary = buildVocabulary(i18n);
  const verification = createCallerVerification({
    directory,
    attempts: createAttemptLedger(store),
    policy,
    now,
    minimumDurationMs: config.verificationMinResponseMs,
    sleep: overrides.sleep,
  });

  const conversationState = new ChangeTrackedConversationState(store);
  const userState = new ChangeTrackedUserState(store);
  const callerSession = conversationState.createProperty<CallerSession | undefined>('callerSession');
  const transcript = conversationTranscripts(stores.transcripts);
  const reasons = conversationState.createProperty<ReasonToExplain | undefined>('lastReason');
  const requests = conversationState.createProperty<CurrentRequest | undefined>('currentRequest');
  // Details given before the caller said what they want, kept for the verification (which removes them).
  const pendingDetails = conversationState.createProperty<PartialAnswers | undefined>('pendingDetails');
  const actions = createAccountActions({ directory, subscriptions, cases, policy, now, mask: maskCallerText });
  const recognizer = overrides.recognizer ?? (await loadIntentRecognizer({ threshold: config.nluThreshold }));
  const liveHandoffs: LiveHandoffs = { queue: stores.handoffs, events: stores.handoffEvents };
  const otp = { sender: otpSender, ttlMinutes: config.otp.ttlMinutes, limits: createCodeLimits(createAttemptLedger(store), policy, now) };
  // The hand-off of a conversation, once one is queued: the bot relays to its agent, the menu offers to leave a message.
  const liveHandoffId = conversationState.createProperty<string | undefined>('liveHandoffId');
  const assistedCall = conversationState.createProperty<AssistedCall | undefined>('assistedCall');
  const flowDeps: FlowDeps = { i18n, policy, vocabulary, recognizer, directory, actions, otp, callerSession, transcript, reasons, requests, supportContact: config.supportContact, now, logger, outbox, outboxGraceMs: config.outbox.graceMs, liveHandoffs, supportHours: config.supportHours };
  // Teams: an account wish in a group chat or channel opens a 1:1 chat and greets the caller there (the bot, built
  // below, does the greeting; the dialogs only ask for it).
  const openPrivateChat = createPrivateChatOpener({ appId: config.auth.MicrosoftAppId, conversationLock: stores.conversationLock, logger, greet: (context, language) => bot.greetPrivateChat(context, language) });
  const mainDialog = new MainDialog({
    liveHandoffs,
    liveHandoffId,
    assistedCall,
    agentInTeams: overrides.agentInTeams,
    supportHours: config.supportHours,
    openPrivateChat,
    pendingDetails,
    i18n,
    policy,
    vocabulary,
    recognizer,
    actions,
    callerSession,
    transcript,
    reasons,
    requests,
    now,
    logger,
    supportContact: config.supportContact,
    verification,
    dialogs: [
      new VerifyIdentityDialog({ i18n, vocabulary, recognizer, policy, verification, reasons, now, logger, supportContact: config.supportContact, teamsUserId: overrides.teamsUserId ?? teamsMemberUpn, pendingDetails, audit: (record) => cases.audit(record) }),
      new CancelSubscriptionDialog(flowDeps),
      new FastRevokeDialog(flowDeps),
      new ReactivateDialog(flowDeps),
      new SelectSubscriptionDialog(flowDeps),
      new PerformActionDialog(flowDeps),
      new FeedbackDialog(flowDeps),
      new LeaveMessageDialog(flowDeps),
    ],
    flows: { cancel: CANCEL_SUBSCRIPTION_DIALOG, fastRevoke: FAST_REVOKE_DIALOG, reactivate: REACTIVATE_DIALOG },
  });
  const insights = { log: stores.insights, recorder: createInsightsRecorder({ log: stores.insights, logger }) };
  // Real time, not the policy clock: how long a caller took is measured on the wall clock.
  const turnInsights = createTurnInsights({ recorder: insights.recorder, progress: conversationState.createProperty<InsightsProgress | undefined>('insightsProgress'), now: () => new Date(), logger });
  const bot = new SupportBot({ conversationState, userState, mainDialog, defaultLanguage: config.defaultLanguage, callerSession, policy, now, transcript, masks: { caller: maskCallerText, bot: maskPersonalData }, outbox, outboxGraceMs: config.outbox.graceMs, accountScoped: [reasons, requests], maxMessageChars: config.maxMessageChars, i18n, logger, liveHandoffs, liveHandoffId, assistedCall, insights: turnInsights });

  return {
    bot,
    store,
    transcripts: stores.transcripts,
    directory,
    cases,
    i18n,
    policy,
    conversationState,
    logger,
    outbox,
    actions,
    conversationLock: stores.conversationLock,
    stateKeys: (context) => {
      try {
        return [conversationState.getStorageKey(context), userState.getStorageKey(context)].filter((key) => key !== undefined);
      } catch {
        return []; // an activity without the IDs a key is made of: the turn reads (and fails) as it always did
      }
    },
    liveHandoffs,
    verification,
    otp,
    insights,
    close: () => stores.close(),
  };
}

function openOtpSender(config: AppConfig, logger: Logger): OtpSender {
  const sender = config.otp.sender;
  return sender.kind === 'http' ? createHttpOtpSender({ baseUrl: sender.baseUrl, apiKey: sender.apiKey, timeoutMs: 5000, retries: 1, backoffMs: 300 }) : createLogOtpSender(logger);
}

/** Teams tells us who is signed in; the caller still confirms it is the account's user ID (ID-1). */
async function teamsMemberUpn(context: TurnContext): Promise<string | undefined> {
  if (context.activity.channelId !== 'msteams' || !context.activity.from?.id) return undefined;
  const member = await TeamsInfo.getMember(context, context.activity.from.id);
  return member.userPrincipalName ?? member.email ?? undefined;
}
