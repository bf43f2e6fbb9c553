import { existsSync } from 'node:fs';
import { z } from 'zod';
import { policyConfigSchema, type PolicyConfig } from './policy/config';

import { LANGUAGES, type Language } from './i18n';
import { agentAuthEnv, type AgentAuthSettings } from './console/auth/sessions';
import { parseSupportHours, type SupportHours } from './supportHours';
import { parseStateKey } from './storage/stateSeal';

const integer = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

/** Every environment variable the bot reads, in one place (documented in .env.example and the README). */
const envSchema = z
  .object({
    MicrosoftAppId: z.string().default(''),
    MicrosoftAppPassword: z.string().default(''),
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppTenantId: z.string().default(''),
    PORT: integer(0, 65535).default(3978),
    HOST: z.string().min(1).optional(),
    MAX_BODY_BYTES: integer(1024, 10 * 1024 * 1024).default(256 * 1024),
    MAX_MESSAGE_CHARS: integer(100, 100_000).default(2000),
    MERGE_REPLIES: z.enum(['true', 'false']).default('true'),
    SHUTDOWN_DRAIN_MS: integer(0, 120_000).default(10_000),
    STORAGE: z.enum(['sqlite', 'postgres', 'memory']).default('sqlite'),
    SQLITE_PATH: z.string().min(1).default('./data/bot.sqlite'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').default('public'),
    PG_POOL_SIZE: integer(1, 200).default(10),
    PG_LOCK_POOL_SIZE: integer(1, 500).default(20),
    CONVERSATION_RETENTION_MINUTES: integer(5, 10_080).default(120),
    STATE_ENCRYPTION_KEY: z
      .string()
      .optional()
      .refine((value) => value === undefined || value === '' || parseStateKey(value) !== undefined, '32 bytes, as base64 or 64 hex digits'),
    MAX_QUEUED_TURNS: integer(1, 100_000).default(1000),
    OUTBOX_INTERVAL_MS: integer(100, 600_000).default(5000),
    OUTBOX_MAX_AGE_HOURS: integer(1, 720).default(24),
    OUTBOX_GRACE_MS: integer(0, 600_000).default(30_000),
    DEFAULT_LOCALE: z.enum(LANGUAGES).default('sv'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    // `sqlite` is the earlier name of `embedded` (the accounts live in the STORAGE database).
    DIRECTORY: z.enum(['embedded', 'sqlite', 'http']).default('embedded'),
    SEED_DEMO_ACCOUNTS: z.enum(['true', 'false']).default('true'),
    ACCOUNTS_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    ACCOUNTS_API_KEY: z.string().min(1).optional(),
    ACCOUNTS_API_TIMEOUT_MS: integer(100, 60_000).default(3000),
    ACCOUNTS_API_RETRIES: integer(0, 5).default(2),
    VERIFICATION_MIN_RESPONSE_MS: integer(0, 10_000).default(600),
    SUBSCRIPTIONS: z.enum(['embedded', 'sqlite', 'http']).default('embedded'),
    BILLING_API_URL: z.url({ protocol: /^https?$/ }).optional(),
    BILLING_API_KEY: z.string().min(1).optional(),
    BILLING_API_TIMEOUT_MS: integer(100, 60_000).default(5000),
    BILLING_API_RETRIES: integer(0, 5).default(2),
    OTP_SENDER: z.enum(['log', 'http']).default('log'),
    SMS_GATEWAY_URL: z.url({ protocol: /^https?$/ }).optional(),
    SMS_GATEWAY_KEY: z.string().min(1).optional(),
    OTP_TTL_MINUTES: integer(1, 60).default(10),
    NLU_THRESHOLD: z.coerce.number().min(0).max(1).default(0.4),
    SUPPORT_CONTACT: z.string().min(1).max(200).optional(),
    SUPPORT_CONTACT_EN: z.string().min(1).max(200).optional(),
    SUPPORT_HOURS: z.string().min(1).max(100).optional(),
    SUPPORT_TIMEZONE: z.string().min(1).max(100).default('Europe/Stockholm'),
    POLICY_LICENCE_THRESHOLD: integer(1, 100_000).optional(),
    POLICY_RETENTION_DAYS: integer(1, 3650).optional(),
    POLICY_FAST_REVOKE_DAYS: integer(0, 3650).optional(),
    VERIFICATION_MAX_ATTEMPTS: integer(1, 100).optional(),
    VERIFICATION_LOCKOUT_MINUTES: integer(1, 10_080).optional(),
    VERIFICATION_IDLE_MINUTES: integer(1, 1440).optional(),
    VERIFICATION_MAX_LOCKOUT_MINUTES: integer(1, 10_080).optional(),
    VERIFICATION_FAILURE_WINDOW_HOURS: integer(1, 720).optional(),
    OTP_MAX_CODES: integer(1, 10).optional(),
    OTP_MAX_CODES_PER_WINDOW: integer(1, 100).optional(),
    OTP_MAX_WRONG_CODES_PER_WINDOW: integer(1, 100).optional(),
    WIDGET_ALLOWED_ORIGINS: z
      .string()
      .default('')
      .transform((value) => value.split(',').map((origin) => origin.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'a comma-separated list of origins such as https://help.example.com (scheme and host, no path)'))),
    DIRECTLINE_SECRET: z.string().min(1).optional(),
    // https only: the secret travels to it as a bearer token.
    DIRECTLINE_ENDPOINT: z.url({ protocol: /^https$/ }).default('https://directline.botframework.com/v3/directline'),
    DIRECTLINE_TIMEOUT_MS: integer(100, 60_000).default(5000),
    DIRECTLINE_TOKENS_PER_MINUTE: integer(1, 10_000).default(10),
    LOCAL_DIRECTLINE: z.enum(['auto', 'on', 'off']).default('auto'),
    AGENTS_TEAMS_CHANNEL_ID: z.string().regex(/^19:\S+$/, 'a Teams channel or group chat id (19:…)').optional(),
    AGENTS_TEAMS_SERVICE_URL: z.url({ protocol: /^https?$/ }).default('https://smba.trafficmanager.net/emea/'),
    AGENTS_TEAMS_TENANT_ID: z.string().min(1).optional(),
    CONSOLE_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  })
  .superRefine((env, ctx) => {
    if (env.SUPPORT_HOURS) {
      const hours = parseSupportHours(env.SUPPORT_HOURS, env.SUPPORT_TIMEZONE);
      if (typeof hours === 'string') ctx.addIssue({ code: 'custom', path: ['SUPPORT_HOURS'], message: `must be ${hours}` });
    }
    if (env.STORAGE === 'postgres' && !env.DATABASE_URL) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'required when STORAGE=postgres' });
    }
    if (env.DIRECTORY === 'http' && !env.ACCOUNTS_API_URL) {
      ctx.addIssue({ code: 'custom', path: ['ACCOUNTS_API_URL'], message: 'required when DIRECTORY=http' });
    }
    if (env.SUBSCRIPTIONS !== 'http' && env.DIRECTORY === 'http') {
      ctx.addIssue({ code: 'custom', path: ['SUBSCRIPTIONS'], message: 'embedded changes the embedded directory\'s subscriptions; with DIRECTORY=http use SUBSCRIPTIONS=http' });
    }
    if (env.SUBSCRIPTIONS === 'http' && !env.BILLING_API_URL) {
      ctx.addIssue({ code: 'custom', path: ['BILLING_API_URL'], message: 'required when SUBSCRIPTIONS=http' });
    }
    if (env.OTP_SENDER === 'log' && env.MicrosoftAppId) {
      ctx.addIssue({ code: 'custom', path: ['OTP_SENDER'], message: 'log writes one-time codes to the server log; with MicrosoftAppId set (a real deployment) use http' });
    }
    if (env.OTP_SENDER === 'http' && !env.SMS_GATEWAY_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMS_GATEWAY_URL'], message: 'required when OTP_SENDER=http' });
    }
    if (env.LOCAL_DIRECTLINE === 'on' && env.DIRECTLINE_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['LOCAL_DIRECTLINE'], message: 'the widget uses Direct Line (DIRECTLINE_SECRET is set): the local endpoint would not be used' });
    }
    if (env.MicrosoftAppType === 'SingleTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: 'required when MicrosoftAppType=SingleTenant' });
    }
  });

type Env = z.infer<typeof envSchema>;

/** How callers reach support, in each language's own words ("mån–fre 8–17", "Mon–Fri 8–17"). */
export type SupportContact = Partial<Record<Language, string>>;

export interface AppConfig {
  auth: {
    MicrosoftAppId: string;
    MicrosoftAppPassword: string;
    MicrosoftAppType: Env['MicrosoftAppType'];
    MicrosoftAppTenantId: string;
  };
  port: number;
  host: string;
  maxBodyBytes: number;
  /** A longer message is not read: the caller is asked to write it more briefly, and keeps their place. */
  maxMessageChars: number;
  /**
   * A turn's messages of words only run on into the next message, so a turn posts one reply to the Bot Connector where
   * it posted two or three (src/bot/heldReplies.ts). Off: each message is a post of its own.
   */
  mergeReplies: boolean;
  /** On SIGTERM, how long turns already running may take to finish before the process exits anyway. */
  shutdownDrainMs: number;
  /** Conversation and user state. */
  /**
   * Where everything the bot keeps lives: state, ledgers, cases, audit, outbox, and the directory and subscriptions
   * when they are embedded. SQLite: one file, one instance. PostgreSQL: any number of instances. Memory: tests.
   */
  storage: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema: string; poolSize: number; lockPoolSize: number } | { kind: 'memory' };
  /** The SQLite file (`:memory:` with STORAGE=memory); unused with STORAGE=postgres. */
  sqlitePath: string;
  /** A conversation nobody has written to for this long is deleted by the sweep, answers and transcript with it. */
  conversationRetentionMinutes: number;
  /**
   * The key conversation state is encrypted with at rest (src/storage/stateSeal.ts); when none is set, a key file beside
   * the SQLite database, or a key kept in PostgreSQL.
   */
  stateEncryptionKey?: Buffer;
  /** Turns of one conversation waiting on this instance before more are refused with 503. */
  maxQueuedTurns: number;
  /**
   * The outbox worker looks for owed receipts this often; one not delivered within maxAgeHours is left to a person. A
   * new entry is left to the worker only after graceMs (the turn is still delivering it, or still saying why).
   */
  outbox: { intervalMs: number; maxAgeHours: number; graceMs: number };
  defaultLanguage: Env['DEFAULT_LOCALE'];
  logLevel: Env['LOG_LEVEL'];
  directory:
    | { kind: 'embedded'; seedDemoAccounts: boolean }
    | { kind: 'http'; baseUrl: string; apiKey?: string; timeoutMs: number; retries: number };
  /** ID-3: every verification verdict takes at least this long, whatever was wrong. */
  verificationMinResponseMs: number;
  subscriptions: { kind: 'embedded' } | { kind: 'http'; baseUrl: string; apiKey?: string; timeoutMs: number; retries: number };
  otp: { sender: { kind: 'log' } | { kind: 'http'; baseUrl: string; apiKey?: string }; ttlMinutes: number };
  /** Below this intent score the bot does not guess; it shows the menu. */
  nluThreshold: number;
  /** How callers reach a person, per language ("08-123 45 67, vardagar 8–17"), said wherever the bot sends them to support. */
  supportContact?: SupportContact;
  /** When agents are at the desk (SUPPORT_HOURS); unset, a hand-off always waits for one. */
  supportHours?: SupportHours;
  policy: PolicyConfig;
  webChat: WebChatConfig;
  /** The agent console's sign-in: session secret and lifetime, the local accounts file, integrations' API keys. */
  agents: AgentAuthSettings;
  /**
   * Agents hear of each new hand-off in this Teams channel too (a card with "Take it", opening the console at
   * `consoleUrl`); unset, the console alone shows them.
   */
  agentsTeamsChannel?: { conversationId: string; serviceUrl: string; tenantId?: string; consoleUrl: string };
}

/** The help-site widget and how it reaches the bot (see README, "Talk to it"). */
export interface WebChatConfig {
  /** Pages on these origins may embed the widget (the bot's own origin always may). */
  allowedOrigins: string[];
  /**
   * Production: tokens come from the Direct Line service, in exchange for this secret (which never reaches a browser).
   * Without it, the bot's own local Direct Line endpoint serves the widget (development, tests, demos).
   */
  directLine: { kind: 'service'; secret: string; endpoint: string; timeoutMs: number } | { kind: 'local' } | { kind: 'none' };
  /** Tokens one client (IP address) may get per minute. */
  tokensPerMinute: number;
  /** Behind a reverse proxy: the client is the first address of X-Forwarded-For, not the proxy. */
  trustProxy: boolean;
}

export type ConfigResult = { ok: true; config: AppConfig } | { ok: false; problems: string[] };

/** Parses the environment; a bad value yields one line per bad variable, and never echoes a secret. */
export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
  // An empty assignment in .env (`PORT=`) means "not set", as it does for most tools.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = envSchema.safeParse(present);
  const agents = agentAuthEnv(present);
  if (!parsed.success || !agents.ok) return { ok: false, problems: [...(parsed.success ? [] : describe(parsed.error, present)), ...(agents.ok ? [] : agents.problems)] };

  const e = parsed.data;
  const policy = policyConfigSchema.safeParse({
    licenceThreshold: e.POLICY_LICENCE_THRESHOLD,
    retentionDays: e.POLICY_RETENTION_DAYS,
    fastRevokeDays: e.POLICY_FAST_REVOKE_DAYS,
    maxVerificationAttempts: e.VERIFICATION_MAX_ATTEMPTS,
    lockoutMinutes: e.VERIFICATION_LOCKOUT_MINUTES,
    verificationIdleMinutes: e.VERIFICATION_IDLE_MINUTES,
    maxLockoutMinutes: e.VERIFICATION_MAX_LOCKOUT_MINUTES,
    failureWindowHours: e.VERIFICATION_FAILURE_WINDOW_HOURS,
    maxOneTimeCodes: e.OTP_MAX_CODES,
    maxOneTimeCodesPerWindow: e.OTP_MAX_CODES_PER_WINDOW,
    maxWrongCodesPerWindow: e.OTP_MAX_WRONG_CODES_PER_WINDOW,
  });
  if (!policy.success) {
    return { ok: false, problems: policy.error.issues.map((issue) => `POLICY (${issue.path.join('.')}): ${issue.message}`) };
  }
  return {
    ok: true,
    config: {
      auth: {
        MicrosoftAppId: e.MicrosoftAppId,
        MicrosoftAppPassword: e.MicrosoftAppPassword,
        MicrosoftAppType: e.MicrosoftAppType,
        MicrosoftAppTenantId: e.MicrosoftAppTenantId,
      },
      port: e.PORT,
      // Without an app ID nobody is authenticated: then the server only listens on this machine unless told otherwise.
      host: e.HOST ?? (e.MicrosoftAppId ? '0.0.0.0' : '127.0.0.1'),
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxMessageChars: e.MAX_MESSAGE_CHARS,
      mergeReplies: e.MERGE_REPLIES === 'true',
      shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
      storage:
        e.STORAGE === 'postgres'
          ? { kind: 'postgres', url: e.DATABASE_URL as string, schema: e.DATABASE_SCHEMA, poolSize: e.PG_POOL_SIZE, lockPoolSize: e.PG_LOCK_POOL_SIZE }
          : e.STORAGE === 'sqlite'
            ? { kind: 'sqlite', path: e.SQLITE_PATH }
            : { kind: 'memory' },
      sqlitePath: e.STORAGE === 'memory' ? ':memory:' : e.SQLITE_PATH,
      conversationRetentionMinutes: e.CONVERSATION_RETENTION_MINUTES,
      stateEncryptionKey: e.STATE_ENCRYPTION_KEY ? parseStateKey(e.STATE_ENCRYPTION_KEY) : undefined,
      maxQueuedTurns: e.MAX_QUEUED_TURNS,
      outbox: { intervalMs: e.OUTBOX_INTERVAL_MS, maxAgeHours: e.OUTBOX_MAX_AGE_HOURS, graceMs: e.OUTBOX_GRACE_MS },
      defaultLanguage: e.DEFAULT_LOCALE,
      logLevel: e.LOG_LEVEL,
      directory:
        e.DIRECTORY === 'http'
          ? { kind: 'http', baseUrl: e.ACCOUNTS_API_URL as string, apiKey: e.ACCOUNTS_API_KEY, timeoutMs: e.ACCOUNTS_API_TIMEOUT_MS, retries: e.ACCOUNTS_API_RETRIES }
          : { kind: 'embedded', seedDemoAccounts: e.SEED_DEMO_ACCOUNTS === 'true' },
      verificationMinResponseMs: e.VERIFICATION_MIN_RESPONSE_MS,
      subscriptions:
        e.SUBSCRIPTIONS === 'http'
          ? { kind: 'http', baseUrl: e.BILLING_API_URL as string, apiKey: e.BILLING_API_KEY, timeoutMs: e.BILLING_API_TIMEOUT_MS, retries: e.BILLING_API_RETRIES }
          : { kind: 'embedded' },
      otp: {
        sender: e.OTP_SENDER === 'http' ? { kind: 'http', baseUrl: e.SMS_GATEWAY_URL as string, apiKey: e.SMS_GATEWAY_KEY } : { kind: 'log' },
        ttlMinutes: e.OTP_TTL_MINUTES,
      },
      nluThreshold: e.NLU_THRESHOLD,
      supportHours: e.SUPPORT_HOURS ? (parseSupportHours(e.SUPPORT_HOURS, e.SUPPORT_TIMEZONE) as SupportHours) : undefined,
      supportContact: e.SUPPORT_CONTACT || e.SUPPORT_CONTACT_EN ? { sv: e.SUPPORT_CONTACT, en: e.SUPPORT_CONTACT_EN ?? e.SUPPORT_CONTACT } : undefined,
      policy: policy.data,
      webChat: {
        allowedOrigins: e.WIDGET_ALLOWED_ORIGINS,
        directLine: e.DIRECTLINE_SECRET
          ? { kind: 'service', secret: e.DIRECTLINE_SECRET, endpoint: e.DIRECTLINE_ENDPOINT, timeoutMs: e.DIRECTLINE_TIMEOUT_MS }
          : localDirectLineWanted(e.LOCAL_DIRECTLINE, e.MicrosoftAppId)
            ? { kind: 'local' }
            : { kind: 'none' },
        tokensPerMinute: e.DIRECTLINE_TOKENS_PER_MINUTE,
        trustProxy: e.TRUST_PROXY === 'true',
      },
      agents: agents.settings,
      agentsTeamsChannel: e.AGENTS_TEAMS_CHANNEL_ID
        ? {
            conversationId: e.AGENTS_TEAMS_CHANNEL_ID,
            serviceUrl: e.AGENTS_TEAMS_SERVICE_URL,
            tenantId: e.AGENTS_TEAMS_TENANT_ID,
            consoleUrl: (e.CONSOLE_PUBLIC_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/+$/, ''),
          }
        : undefined,
    },
  };
}

/**
 * The local Direct Line endpoint authenticates nobody beyond its own per-conversation tokens: fine on a developer's
 * machine (no app ID), a deliberate choice (`on`) in a deployment with a Bot Framework identity.
 */
function localDirectLineWanted(setting: Env['LOCAL_DIRECTLINE'], appId: string): boolean {
  return setting === 'on' || (setting === 'auto' && !appId);
}

const SECRETS = new Set(['AGENT_SESSION_SECRET', 'AGENT_API_KEYS', 'DIRECTLINE_SECRET', 'MicrosoftAppPassword', 'DATABASE_URL', 'ACCOUNTS_API_KEY', 'BILLING_API_KEY', 'SMS_GATEWAY_KEY', 'STATE_ENCRYPTION_KEY']);

function describe(error: z.ZodError, env: Record<string, unknown>): string[] {
  const byVariable = new Map<string, string>();
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? 'environment');
    if (byVariable.has(name)) continue;
    const value = env[name];
    const shown = value === undefined ? '' : SECRETS.has(name) ? ' (value hidden)' : ` (got ${JSON.stringify(value)})`;
    byVariable.set(name, `${name}: ${issue.message}${shown}`);
  }
  return [...byVariable.values()];
}

/** Reads `.env` from the working directory when there is one; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
