import { ConversationState, MemoryStorage, type Activity, type Middleware, type TurnContext } from 'botbuilder';
import type { Dialog } from 'botbuilder-dialogs';
import { DialogTestClient } from 'botbuilder-testing';
import { chooseLanguage, setTurnLanguage } from '../../src/conversation/language';
import { createBotRuntime, type RuntimeOverrides } from '../../src/composition/runtime';
import { buildVocabulary } from '../../src/conversation/vocabulary';
import { createI18n, type Language } from '../../src/i18n';
import { createPolicy, DEFAULT_POLICY_CONFIG } from '../../src/policy';
import type { AppConfig } from '../../src/config';
import { createLogger, silentLogger } from '../../src/log';
import type { StateStore } from '../../src/storage';
import { openSqliteDatabase } from '../../src/storage/sqlite';
import type { AccountDirectory } from '../../src/accounts/directory';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { seedDemoAccounts } from '../../src/accounts/demoAccounts';
import { createAttemptLedger } from '../../src/verification/attempts';
import { createCallerVerification, type CallerVerification } from '../../src/verification/verifyCaller';
import { VerifyIdentityDialog } from '../../dialogs/verifyIdentityDialog';
import { loadIntentRecognizer } from '../../src/understanding/nlu';
import { createAccountActions } from '../../src/cases/accountActions';
import { createSqliteCaseLog } from '../../src/cases/sqliteCaseLog';
import { createSqliteSubscriptions } from '../../src/subscriptions/sqliteSubscriptions';
import { maskPersonalData } from '../../src/privacy/mask';
import { memoryStateStore } from '../../src/storage';
import { NOW } from './facts';
import type { ReasonToExplain } from '../../src/conversation/reasons';

export const i18n = createI18n('sv');
export const policy = createPolicy(DEFAULT_POLICY_CONFIG);
export const vocabulary = buildVocabulary(i18n);
/** Trained once for the whole test file, as at start-up. */
export const recognizer = await loadIntentRecognizer();
export const LOCALES: Record<Language, string> = { sv: 'sv-SE', en: 'en-US' };

/** What the bot does before any dialog runs, for tests that drive a dialog without the bot around it. */
export const languageFromActivity: Middleware = {
  async onTurn(context: TurnContext, next: () => Promise<void>) {
    setTurnLanguage(context, chooseLanguage(context.activity.locale, undefined, 'sv'));
    await next();
  },
};

export function message(text: string, language: Language, extra: Partial<Activity> = {}): Partial<Activity> {
  return { type: 'message', text, locale: LOCALES[language], ...extra };
}

export function testConfig(overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    auth: { MicrosoftAppId: '', MicrosoftAppPassword: '', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' },
    port: 0,
    host: '127.0.0.1',
    maxBodyBytes: 256 * 1024,
    maxMessageChars: 2000,
    // Each message its own post, so a test reads the conversation message by message (merging: heldReplies.test.ts
    // and the e2e test of one post per turn).
    mergeReplies: false,
    shutdownDrainMs: 10_000,
    conversationRetentionMinutes: 120,
    maxQueuedTurns: 1000,
    outbox: { intervalMs: 5000, maxAgeHours: 24, graceMs: 30_000 },
    storage: { kind: 'memory' },
    sqlitePath: ':memory:',
    defaultLanguage: 'sv',
    logLevel: 'silent',
    directory: { kind: 'embedded', seedDemoAccounts: true },
    verificationMinResponseMs: 0,
    subscriptions: { kind: 'embedded' },
    otp: { sender: { kind: 'log' }, ttlMinutes: 10 },
    nluThreshold: 0.5,
    policy: DEFAULT_POLICY_CONFIG,
    webChat: { allowedOrigins: [], directLine: { kind: 'local' }, tokensPerMinute: 1000, trustProxy: false },
    agents: { sessionSecret: 'test-session-secret-that-is-long-enough-0123456789', sessionLifetimeMs: 8 * 3_600_000, accountsFile: './data/no-agents-in-tests.json', apiKeys: [] },
    ...overrides,
  };
}

/** The whole bot on a memory store and a seeded in-memory directory, with the clock stopped at NOW. */
export function testRuntime(config: Partial<AppConfig> = {}, overrides: RuntimeOverrides = {}) {
  return createBotRuntime(testConfig(config), silentLogger, { store: memoryStateStore(), now: () => NOW, ...overrides });
}

/** A DialogTestClient whose conversation state is shared with the dialog's own accessors. */
export function dialogClient(build: (conversationState: ConversationState) => Dialog, middlewares: Middleware[] = []) {
  const conversationState = new ConversationState(new MemoryStorage());
  return new DialogTestClient('test', build(conversationState), undefined, [languageFromActivity, ...middlewares], conversationState);
}

export function titles(activity: Partial<Activity> | undefined): string[] {
  return (activity?.suggestedActions?.actions ?? []).map((action) => String(action.title));
}

export interface VerificationRig {
  store: StateStore;
  directory: AccountDirectory;
  verification: CallerVerification;
  dialog: VerifyIdentityDialog;
  logLines: string[];
}

/** The real verification dialog over a seeded in-memory SQLite directory and the given attempt store. */
export function verificationRig(options: { store?: StateStore; directory?: AccountDirectory; teamsUserId?: (context: TurnContext) => Promise<string | undefined>; now?: () => Date } = {}): VerificationRig {
  const now = options.now ?? (() => NOW);
  const store = options.store ?? memoryStateStore();
  const directory = options.directory ?? seededDirectory();
  const logLines: string[] = [];
  const verification = createCallerVerification({ directory, attempts: createAttemptLedger(store), policy, now, minimumDurationMs: 0 });
  const reasons = new ConversationState(new MemoryStorage()).createProperty<ReasonToExplain | undefined>('lastReason');
  const dialog = new VerifyIdentityDialog({ i18n, vocabulary, recognizer, policy, verification, reasons, now, logger: createLogger('debug', (line) => logLines.push(line)), teamsUserId: options.teamsUserId });
  return { store, directory, verification, dialog, logLines };
}

export function seededDirectory(path = ':memory:'): AccountDirectory {
  const db = openSqliteDatabase(path);
  seedDemoAccounts(db, NOW);
  return createSqliteDirectory(db);
}

/** Account actions over a seeded in-memory SQLite file: directory, subscriptions and cases. */
export function seededActions() {
  const db = openSqliteDatabase(':memory:');
  seedDemoAccounts(db, NOW);
  const cases = createSqliteCaseLog(db);
  const actions = createAccountActions({ directory: createSqliteDirectory(db), subscriptions: createSqliteSubscriptions(db, () => NOW), cases, policy, now: () => NOW, mask: maskPersonalData });
  return { db, cases, actions };
}
