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
export function deriveKey(secret: string | Buffer, purpose: 'agent-session' | 'agent-csrf' | 'agent-login-csrf'): Buffer {
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
}

export const DEFAULT_ACCOUNTS_FILE = './data/agents.json';

/**
 * The console's sign-in settings from the environment: AGENT_SESSION_SECRET (≥ 32 characters; required once
 * MicrosoftAppId is set, i.e. in a real deployment), AGENT_SESSION_HOURS (1–24, default 8), AGENT_ACCOUNTS_FILE
 * (default ./data/agents.json) and AGENT_API_KEYS (`name=key,…`). Problems come one line per variable, as loadConfig's
 * do, and never echo a secret. Empty values count as unset, as in loadConfig.
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
  if (problems.length) return { ok: false, problems };
  return { ok: true, settings: { sessionSecret: secret, sessionLifetimeMs: hours * 3_600_000, accountsFile, apiKeys: apiKeys.keys } };
}
