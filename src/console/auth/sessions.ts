import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * Agent sessions: stateless signed cookies. The cookie carries who signed in and until when, signed with HMAC-SHA256;
 * nothing is kept on the server, so any instance sharing AGENT_SESSION_SECRET accepts it. A session ends when it
 * expires (absolute, not sliding), when the agent signs out (the browser drops the cookie), when the agent's account is
 * removed or its password changed (the routes check the account on every request), or when the secret changes.
 *
 * This module knows nothing of HTTP frameworks or the layers above it (node:crypto and zod only), so the config loader
 * may call agentAuthEnv() too.
 */

export const SESSION_COOKIE = 'agent_session';
export const DEFAULT_SESSION_HOURS = 8;
export const MIN_SECRET_LENGTH = 32;
/** API-key identities are `api:<name>`; local account ids cannot contain ':'. */
export const API_KEY_ID_PREFIX = 'api:';

/** The person (or integration) a request acts for; the same shape as src/handoffs' AgentIdentity. */
export interface SessionAgent {
  id: string;
  displayName: string;
}

export interface AgentSession {
  agent: SessionAgent;
  /** ms since the epoch. */
  issuedAt: number;
  expiresAt: number;
  /** Random per sign-in: the CSRF tokens of this session are bound to it. */
  nonce: string;
  /**
   * A fingerprint of the credential the session was issued for (local accounts: of the password hash): a password
   * changed with `agent:add` ends the sessions opened with the old one.
   */
  credential: string;
}

export interface SessionCodec {
  issue(agent: SessionAgent, credential: string, now: Date): { token: string; session: AgentSession };
  /** The session in a cookie value, or undefined when it is malformed, forged, not yet valid or expired. */
  verify(token: string | undefined, now: Date): AgentSession | undefined;
  readonly lifetimeMs: number;
}

const VERSION = 'v1';
/** A cookie is at most a few hundred bytes; anything much longer is not ours. */
const MAX_TOKEN_LENGTH = 2048;
/** Clocks of instances differ a little: a session issued "in the future" by up to this much is still accepted. */
const CLOCK_SKEW_MS = 60_000;

const payloadSchema = z.strictObject({
  sub: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{22,64}$/),
  cred: z.string().max(64),
});

/** Separate keys, derived from the one secret, for session signatures and CSRF tokens. */
export function deriveKey(secret: string | Buffer, purpose: 'agent-session' | 'agent-csrf' | 'agent-login-csrf' | 'agent-oidc-flow'): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret), Buffer.from('subscription-support-bot/console'), Buffer.from(purpose), 32));
}

export function createSessionCodec(options: { secret: string | Buffer; lifetimeMs?: number }): SessionCodec {
  const key = deriveKey(options.secret, 'agent-session');
  const lifetimeMs = options.lifetimeMs ?? DEFAULT_SESSION_HOURS * 3_600_000;
  const sign = (body: string) => createHmac('sha256', key).update(`${VERSION}.${body}`).digest();

  return {
    lifetimeMs,
    issue(agent, credential, now) {
      const issuedAt = now.getTime();
      const session: AgentSession = { agent: { id: agent.id, displayName: agent.displayName }, issuedAt, expiresAt: issuedAt + lifetimeMs, nonce: randomBytes(18).toString('base64url'), credential };
      const body = Buffer.from(
        JSON.stringify({ sub: session.agent.id, name: session.agent.displayName, iat: session.issuedAt, exp: session.expiresAt, nonce: session.nonce, cred: credential }),
      ).toString('base64url');
      return { token: `${VERSION}.${body}.${sign(body).toString('base64url')}`, session };
    },
    verify(token, now) {
      if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
      const [, body, signature] = parts as [string, string, string];
      if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]{43}$/.test(signature)) return undefined;
      const expected = sign(body);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      let payload: z.infer<typeof payloadSchema>;
      try {
        const parsed = payloadSchema.safeParse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
        if (!parsed.success) return undefined;
        payload = parsed.data;
      } catch {
        return undefined;
      }
      const time = now.getTime();
      // Expired; issued in the future; or issued for longer than sessions now last (the lifetime was shortened).
      if (time >= payload.exp || payload.iat > time + CLOCK_SKEW_MS || payload.exp - payload.iat > lifetimeMs) return undefined;
      return { agent: { id: payload.sub, displayName: payload.name }, issuedAt: payload.iat, expiresAt: payload.exp, nonce: payload.nonce, credential: payload.cred };
    },
  };
}

/** A short, non-reversible fingerprint of a credential (a password hash), for AgentSession.credential. */
export function credentialFingerprint(credential: string): string {
  return createHash('sha256').update(credential).digest('base64url').slice(0, 22);
}

// ---------------------------------------------------------------------------------------------------------------------
// Integration API keys (AGENT_API_KEYS): kept hashed, compared timing-safe.

export interface ApiKey {
  name: string;
  /** SHA-256 of the key: the key itself is not kept once parsed. */
  hash: Buffer;
}

export const MIN_API_KEY_LENGTH = 32;
const API_KEY_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** `name=key,name2=key2` → keys, or the problems with it (never echoing a key). */
export function parseApiKeys(value: string | undefined): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const entries = (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  entries.forEach((entry, index) => {
    const at = entry.indexOf('=');
    const name = at > 0 ? entry.slice(0, at).trim() : '';
    const key = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!API_KEY_NAME.test(name)) {
      problems.push(`AGENT_API_KEYS: entry ${index + 1} must be name=key with a name of a-z, 0-9, _ and - (value hidden)`);
    } else if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
      problems.push(`AGENT_API_KEYS: the key of "${name}" must be at least ${MIN_API_KEY_LENGTH} characters without spaces (value hidden)`);
    } else if (keys.some((known) => known.name === name)) {
      problems.push(`AGENT_API_KEYS: "${name}" is listed twice`);
    } else {
      keys.push({ name, hash: hashApiKey(key) });
    }
  });
  const hashes = new Set(keys.map((key) => key.hash.toString('hex')));
  if (hashes.size !== keys.length) problems.push('AGENT_API_KEYS: two integrations share a key; give each its own');
  return { keys, problems };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** The integration whose key this is; every configured key is compared (no early exit), each timing-safe. */
export function matchApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const hash = hashApiKey(presented);
  let found: ApiKey | undefined;
  for (const key of keys) if (timingSafeEqual(key.hash, hash) && !found) found = key;
  return found;
}

// ---------------------------------------------------------------------------------------------------------------------
// Environment

export interface AgentAuthSettings {
  /** Undefined: a random secret per process (sessions end on restart); createAgentAuth logs a warning. */
  sessionSecret: string | undefined;
  sessionLifetimeMs: number;
  accountsFile: string;
  apiKeys: ApiKey[];
  /** Sign-in with Microsoft Entra ID (OpenID Connect); unset, local accounts only. */
  oidc?: OidcSettings;
}

/** OpenID Connect sign-in (AGENT_OIDC_*): all of it, or none of it. */
export interface OidcSettings {
  /** The issuer identifier, exactly as its discovery document names it: https://login.microsoftonline.com/<tenant-id>/v2.0. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Where the identity provider sends the agent back: <console>/agent/oidc/callback, registered with the app. */
  redirectUrl: string;
  /**
   * Entra group object IDs or app-role values: an ID token must name one of them in its `groups` or `roles` claim, so a
   * sign-in to the tenant alone makes nobody an agent.
   */
  allowedGroups: string[];
}

export const OIDC_CALLBACK_PATH = '/agent/oidc/callback';
/** Set together or not at all (AGENT_OIDC_REDIRECT_URL may come from CONSOLE_PUBLIC_URL instead). */
const OIDC_REQUIRED = ['AGENT_OIDC_ISSUER', 'AGENT_OIDC_CLIENT_ID', 'AGENT_OIDC_CLIENT_SECRET', 'AGENT_OIDC_ALLOWED_GROUPS'] as const;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Entra's shared endpoints: any tenant's users (or personal accounts) could sign in through them. */
const SHARED_ENTRA_TENANTS = new Set(['common', 'organizations', 'consumers']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A group object ID (GUID) or an app-role value ("Console.Agent"). */
const ALLOWED_GROUP = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,119}$/;

/** URL.parse is Node ≥ 20.18; the engines allow 20.12. */
const parseUrl = (text: string): URL | undefined => (URL.canParse(text) ? new URL(text) : undefined);

/** https, or plain http to this machine (a development or test identity provider); no credentials, query or fragment. */
const endpointUrl = (what: string) =>
  z
    .string()
    .trim()
    .pipe(z.url({ protocol: /^https?$/, error: `must be a URL such as ${what}` }))
    .refine((text) => {
      const url = parseUrl(text);
      return !url || url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
    }, 'must use https (plain http only to localhost, for development)')
    .refine((text) => {
      const url = parseUrl(text);
      return !url || (!url.username && !url.password && !url.search && !url.hash);
    }, 'must have no user name, password, query or fragment');

const issuerSchema = endpointUrl('https://login.microsoftonline.com/<tenant-id>/v2.0').refine((text) => {
  const url = parseUrl(text);
  const tenant = url?.pathname.split('/')[1]?.toLowerCase() ?? '';
  return !(url?.hostname.endsWith('login.microsoftonline.com') && SHARED_ENTRA_TENANTS.has(tenant));
}, "must name your own tenant (https://login.microsoftonline.com/<tenant-id>/v2.0), not common, organizations or consumers: through those anyone's account could sign in");

const redirectSchema = endpointUrl(`https://console.example.com${OIDC_CALLBACK_PATH}`).refine(
  (text) => parseUrl(text)?.pathname === OIDC_CALLBACK_PATH,
  `must end in ${OIDC_CALLBACK_PATH} (where the console receives the answer)`,
);

/** The AGENT_OIDC_* settings; problems one line per variable, never echoing the client secret. */
function oidcEnv(value: (name: string) => string | undefined): { settings?: OidcSettings; problems: string[] } {
  const given = [...OIDC_REQUIRED, 'AGENT_OIDC_REDIRECT_URL'].filter((name) => value(name) !== undefined);
  if (!given.length) return { problems: [] };
  const missing = OIDC_REQUIRED.filter((name) => value(name) === undefined);
  if (missing.length) {
    return { problems: [`${missing.join(', ')}: sign-in with Entra ID needs ${OIDC_REQUIRED.join(', ')} set together (${given.join(', ')} set, ${missing.join(', ')} missing)`] };
  }
  const problems: string[] = [];
  const check = <T>(name: string, schema: z.ZodType<T>, input: string | undefined, shown = true): T | undefined => {
    const parsed = schema.safeParse(input);
    if (parsed.success) return parsed.data;
    problems.push(`${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}${shown ? ` (got ${JSON.stringify(input)})` : ' (value hidden)'}`);
    return undefined;
  };
  const issuer = check('AGENT_OIDC_ISSUER', issuerSchema, value('AGENT_OIDC_ISSUER'));
  const clientId = check('AGENT_OIDC_CLIENT_ID', z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be the application (client) ID, without spaces'), value('AGENT_OIDC_CLIENT_ID'));
  const clientSecret = check('AGENT_OIDC_CLIENT_SECRET', z.string().regex(/^[\x21-\x7e]{1,512}$/, 'must be the client secret\'s value, without spaces'), value('AGENT_OIDC_CLIENT_SECRET'), false);
  const consoleUrl = value('CONSOLE_PUBLIC_URL')?.trim().replace(/\/+$/, '');
  const redirectText = value('AGENT_OIDC_REDIRECT_URL') ?? (consoleUrl ? `${consoleUrl}${OIDC_CALLBACK_PATH}` : undefined);
  const redirectUrl =
    redirectText === undefined
      ? void problems.push(`AGENT_OIDC_REDIRECT_URL: required unless CONSOLE_PUBLIC_URL is set (then it is <CONSOLE_PUBLIC_URL>${OIDC_CALLBACK_PATH})`)
      : check(value('AGENT_OIDC_REDIRECT_URL') === undefined ? 'AGENT_OIDC_REDIRECT_URL (from CONSOLE_PUBLIC_URL)' : 'AGENT_OIDC_REDIRECT_URL', redirectSchema, redirectText);
  const groups = (value('AGENT_OIDC_ALLOWED_GROUPS') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  const badGroup = groups.find((group) => !ALLOWED_GROUP.test(group));
  if (!groups.length || badGroup !== undefined) {
    problems.push(`AGENT_OIDC_ALLOWED_GROUPS: must be a comma-separated list of Entra group object IDs or app-role values (${badGroup === undefined ? 'none given' : `got ${JSON.stringify(badGroup)}`})`);
  }
  if (problems.length || !issuer || !clientId || !clientSecret || !redirectUrl) return { problems };
  // Group IDs come lower-case in tokens; app-role values are compared as written.
  const allowedGroups = [...new Set(groups.map((group) => (GUID.test(group) ? group.toLowerCase() : group)))];
  return { settings: { issuer, clientId, clientSecret, redirectUrl, allowedGroups }, problems };
}

export const DEFAULT_ACCOUNTS_FILE = './data/agents.json';

/**
 * The console's sign-in settings from the environment: AGENT_SESSION_SECRET (≥ 32 characters; required once
 * MicrosoftAppId is set, i.e. in a real deployment), AGENT_SESSION_HOURS (1–24, default 8), AGENT_ACCOUNTS_FILE
 * (default ./data/agents.json) and AGENT_API_KEYS (`name=key,…`). Problems come one line per variable, as loadConfig's
 * do, and never echo a secret. Empty values count as unset, as in loadConfig. AGENT_OIDC_ISSUER, AGENT_OIDC_CLIENT_ID,
 * AGENT_OIDC_CLIENT_SECRET, AGENT_OIDC_ALLOWED_GROUPS and AGENT_OIDC_REDIRECT_URL (default from CONSOLE_PUBLIC_URL) add
 * sign-in with Microsoft Entra ID: all of them, or none.
 */
export function agentAuthEnv(env: NodeJS.ProcessEnv): { ok: true; settings: AgentAuthSettings } | { ok: false; problems: string[] } {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];
  const secret = value('AGENT_SESSION_SECRET');
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    problems.push(`AGENT_SESSION_SECRET: must be at least ${MIN_SECRET_LENGTH} characters, e.g. the output of \`openssl rand -base64 48\` (value hidden)`);
  } else if (secret === undefined && value('MicrosoftAppId')) {
    problems.push('AGENT_SESSION_SECRET: required when MicrosoftAppId is set (a real deployment): every instance must sign agent sessions with the same secret');
  }
  const hoursText = value('AGENT_SESSION_HOURS');
  const hours = hoursText === undefined ? DEFAULT_SESSION_HOURS : Number(hoursText);
  if (!Number.isInteger(hours) || hours < 1 || hours > 24) problems.push(`AGENT_SESSION_HOURS: must be a whole number from 1 to 24 (got ${JSON.stringify(hoursText)})`);
  const accountsFile = value('AGENT_ACCOUNTS_FILE') ?? DEFAULT_ACCOUNTS_FILE;
  const apiKeys = parseApiKeys(value('AGENT_API_KEYS'));
  problems.push(...apiKeys.problems);
  const oidc = oidcEnv(value);
  problems.push(...oidc.problems);
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    settings: { sessionSecret: secret, sessionLifetimeMs: hours * 3_600_000, accountsFile, apiKeys: apiKeys.keys, ...(oidc.settings ? { oidc: oidc.settings } : {}) },
  };
}
