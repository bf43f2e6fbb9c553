import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AgentIdentity } from '../../handoffs/handoffQueue';
import { LANGUAGES, type Language } from '../../i18n';
import type { Logger } from '../../log';
import { agentIdSchema } from './agentAccounts';
import { deriveKey, OIDC_CALLBACK_PATH, type OidcSettings } from './sessions';

/**
 * Sign-in with Microsoft Entra ID (or any OpenID Connect provider): the authorization code flow with PKCE, `state` and
 * `nonce`, through openid-client (discovery, token exchange, ID token checks: signature, iss, aud, exp, nonce). What
 * this module adds: the short-lived flow cookie that carries verifier, state and nonce across the round trip, and the
 * rule that turns an ID token into an agent — only someone the token places in an allowed group or app role.
 *
 * openid-client is ESM-only and the project compiles to CommonJS: it is loaded with `import()`, which tsc keeps as a
 * real dynamic import (module node16), on first use.
 */

export { OIDC_CALLBACK_PATH };
export const OIDC_START_PATH = '/agent/oidc/start';
/** Carries one sign-in across the identity provider: SameSite=Lax, since the way back is a cross-site top-level GET. */
export const OIDC_FLOW_COOKIE = 'agent_oidc';
export const OIDC_FLOW_COOKIE_PATH = '/agent/oidc';
/** Long enough to type a password and answer MFA; short enough that a forgotten tab's flow is dead. */
export const OIDC_FLOW_LIFETIME_MS = 10 * 60_000;
/** The console's home, where a sign-in ends unless it was started for a page of the console. */
const CONSOLE_HOME = '/agent';
const SCOPE = 'openid profile';
/** Metadata is discovered once and kept this long (the signing keys are fetched again by the library as they rotate). */
const DISCOVERY_TTL_MS = 24 * 3_600_000;
/** After a failed discovery, sign-ins fail at once for this long rather than each waiting on a provider that is down. */
const RETRY_DISCOVERY_AFTER_MS = 5_000;
const HTTP_TIMEOUT_SECONDS = 10;

type OpenIdClient = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });
type Configuration = import('openid-client', { with: { 'resolution-mode': 'import' } }).Configuration;

let library: Promise<OpenIdClient> | undefined;
/** Kept as `import()` in the CommonJS build: require() cannot load an ES module on Node 20. */
const loadLibrary = (): Promise<OpenIdClient> => (library ??= import('openid-client'));

// ---------------------------------------------------------------------------------------------------------------------
// The flow cookie

/** What the callback needs from the start of the same sign-in. */
export interface OidcFlow {
  codeVerifier: string;
  state: string;
  nonce: string;
  /** A page of the console (validated with safeReturnPath). */
  returnTo: string;
  language: Language;
  /** ms since the epoch. */
  expiresAt: number;
}

const token = z.string().regex(/^[A-Za-z0-9_-]{22,128}$/);
const flowSchema = z.strictObject({
  codeVerifier: token,
  state: token,
  nonce: token,
  returnTo: z.string().max(300),
  language: z.enum(LANGUAGES),
  expiresAt: z.number().int().positive(),
});

const FLOW_VERSION = 'f1';

export interface FlowCookieCodec {
  seal(flow: OidcFlow): string;
  /** The flow in a cookie value, or undefined when it is missing, forged, from another secret, or expired. */
  open(value: string | undefined, now: Date): OidcFlow | undefined;
}

/**
 * The flow is encrypted and authenticated (AES-256-GCM, key derived from the session secret): the PKCE verifier stays
 * unreadable even where the cookie is seen, and any instance sharing AGENT_SESSION_SECRET can finish the sign-in.
 */
export function createFlowCookieCodec(secret: string | Buffer): FlowCookieCodec {
  const key = deriveKey(secret, 'agent-oidc-flow');
  return {
    seal(flow) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(FLOW_VERSION));
      const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
      return `${FLOW_VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
    },
    open(value, now) {
      if (!value || value.length > 2048 || !value.startsWith(`${FLOW_VERSION}.`)) return undefined;
      const raw = Buffer.from(value.slice(FLOW_VERSION.length + 1), 'base64url');
      if (raw.length < 12 + 16 + 2) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(FLOW_VERSION));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
        const parsed = flowSchema.safeParse(JSON.parse(text));
        if (!parsed.success || parsed.data.expiresAt <= now.getTime()) return undefined;
        return parsed.data;
      } catch {
        return undefined; // tampered with, or sealed with another secret
      }
    },
  };
}

/**
 * A page of the console to return to after signing in, or the console's home: a path under /agent only (never
 * another host, `//evil`, a backslash trick, or the sign-in routes themselves).
 */
export function safeReturnPath(value: string | null | undefined): string {
  if (!value || value.length > 300 || !/^\/agent(?:\/[A-Za-z0-9_-]+)*$/.test(value)) return CONSOLE_HOME;
  if (/^\/agent\/(?:login|logout|oidc)(?:\/|$)/.test(value)) return CONSOLE_HOME;
  return value;
}

// ---------------------------------------------------------------------------------------------------------------------
// From ID token to agent

export type ClaimsVerdict =
  | { ok: true; agent: AgentIdentity }
  /** `groupOverage`: the user is in so many groups that Entra left them out of the token (use an app role instead). */
  | { ok: false; reason: 'not-allowed'; attemptedId: string; groupOverage: boolean }
  | { ok: false; reason: 'no-identity' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DISPLAY_NAME_MAX = 80;

/**
 * The agent an ID token names, when one of its `groups` or `roles` is allowed. The id is stable and cannot be taken
 * by a local account by accident: `entra-<oid>` (the user's object ID, the same in every app of the tenant and never
 * reused), or, from a provider without `oid`, `oidc-` and a hash of issuer and subject. Names and addresses change;
 * these do not. The display name is the token's `name` (else `preferred_username`).
 */
export function agentFromClaims(claims: Record<string, unknown>, allowedGroups: readonly string[]): ClaimsVerdict {
  const oid = typeof claims.oid === 'string' && GUID.test(claims.oid) ? claims.oid.toLowerCase() : undefined;
  const sub = typeof claims.sub === 'string' && claims.sub.length > 0 ? claims.sub : undefined;
  const id = oid ? `entra-${oid}` : sub ? `oidc-${createHash('sha256').update(`${String(claims.iss)}|${sub}`).digest('hex').slice(0, 32)}` : undefined;
  if (!id || !agentIdSchema.safeParse(id).success) return { ok: false, reason: 'no-identity' };

  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  const held = new Set([...strings(claims.groups).map((group) => (GUID.test(group) ? group.toLowerCase() : group)), ...strings(claims.roles)]);
  if (!allowedGroups.some((group) => held.has(group))) {
    const claimNames = claims._claim_names;
    const groupOverage = typeof claimNames === 'object' && claimNames !== null && 'groups' in claimNames;
    return { ok: false, reason: 'not-allowed', attemptedId: id, groupOverage };
  }
  return { ok: true, agent: { id, displayName: displayNameFrom(claims) ?? id } };
}

function displayNameFrom(claims: Record<string, unknown>): string | undefined {
  for (const claim of [claims.name, claims.preferred_username]) {
    if (typeof claim !== 'string') continue;
    const name = claim.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim();
    if (name) return [...name].slice(0, DISPLAY_NAME_MAX).join('');
  }
  return undefined;
}

/**
 * What an OIDC session carries where a local one carries its password's fingerprint: bound to issuer and client, so
 * that pointing the console at another tenant or app ends the sessions of the old one. Never a valid local fingerprint
 * (those are base64url, without ':').
 */
export function oidcCredential(settings: Pick<OidcSettings, 'issuer' | 'clientId'>): string {
  return `oidc:${createHash('sha256').update(`${settings.issuer}|${settings.clientId}`).digest('base64url').slice(0, 22)}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// The protocol

/**
 * Why a sign-in did not complete. `unavailable`: the provider could not be reached (or answered nonsense at
 * discovery); `cancelled`: it answered with an error (the agent cancelled, or consent or policy refused); `state`: the
 * answer belongs to no sign-in begun in this browser; `refused`: the code or the ID token did not check out.
 */
export type OidcFailure = 'unavailable' | 'cancelled' | 'state' | 'refused';

export class OidcError extends Error {
  override name = 'OidcError';
  constructor(
    readonly failure: OidcFailure,
    /** The library's error code or the provider's `error` (a short token, safe to log), when there is one. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`OpenID Connect sign-in failed: ${failure}${code ? ` (${code})` : ''}`, options);
  }
}

export interface OidcClient {
  /** Where to send the browser, and the flow to keep in its cookie until it comes back. */
  begin(options: { returnTo: string; language: Language; now: Date }): Promise<{ url: URL; flow: OidcFlow }>;
  /** The claims of the ID token once the answer at the callback URL checks out; an OidcError otherwise. */
  finish(callbackQuery: URLSearchParams, flow: OidcFlow): Promise<Record<string, unknown>>;
}

export function createOidcClient(settings: OidcSettings, options: { logger: Logger; now?: () => number }): OidcClient {
  const now = options.now ?? Date.now;
  /** Plain http only to an issuer on this machine (a development or test provider); config refuses it elsewhere. */
  const insecure = new URL(settings.issuer).protocol === 'http:';
  let discovered: { configuration: Promise<Configuration>; at: number; failed: boolean } | undefined;

  async function configuration(client: OpenIdClient): Promise<Configuration> {
    if (!discovered || now() - discovered.at > (discovered.failed ? RETRY_DISCOVERY_AFTER_MS : DISCOVERY_TTL_MS)) {
      const attempt = client.discovery(new URL(settings.issuer), settings.clientId, settings.clientSecret, undefined, {
        timeout: HTTP_TIMEOUT_SECONDS,
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
      });
      const entry = { configuration: attempt, at: now(), failed: false };
      discovered = entry;
      // A provider that was down is asked again a few seconds later, not remembered as down.
      attempt.catch(() => {
        entry.failed = true;
        entry.at = now();
      });
    }
    try {
      return await discovered.configuration;
    } catch (error) {
      options.logger.warn('agent-auth.oidc-discovery-failed', { code: codeOf(error), error: error as Error });
      throw new OidcError('unavailable', codeOf(error), { cause: error });
    }
  }

  return {
    async begin({ returnTo, language, now: at }) {
      const client = await loadLibrary();
      const config = await configuration(client);
      const codeVerifier = client.randomPKCECodeVerifier();
      const flow: OidcFlow = {
        codeVerifier,
        state: client.randomState(),
        nonce: client.randomNonce(),
        returnTo: safeReturnPath(returnTo),
        language,
        expiresAt: at.getTime() + OIDC_FLOW_LIFETIME_MS,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: SCOPE,
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      return { url, flow };
    },

    async finish(callbackQuery, flow) {
      const client = await loadLibrary();
      // Checked here as well as by the library, to tell "not this browser's sign-in" from a refused token.
      if (callbackQuery.get('state') !== flow.state) throw new OidcError('state', undefined);
      const config = await configuration(client);
      // The library takes the redirect_uri for the token request from this URL: the registered one, with the answer.
      const callbackUrl = new URL(settings.redirectUrl);
      callbackUrl.search = callbackQuery.toString();
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: flow.codeVerifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new OidcError('refused', 'no-id-token');
        return claims as Record<string, unknown>;
      } catch (error) {
        if (error instanceof OidcError) throw error;
        if (error instanceof client.AuthorizationResponseError) throw new OidcError('cancelled', safeCode(error.error), { cause: error });
        throw new OidcError(unreachable(error) ? 'unavailable' : 'refused', codeOf(error), { cause: error });
      }
    },
  };
}

/** A network failure or a timeout, as opposed to an answer that did not check out. */
function unreachable(error: unknown): boolean {
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return true;
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown; error?: unknown } | undefined)?.error ?? (error as { code?: unknown } | undefined)?.code;
  return safeCode(code);
}

/** Provider-supplied codes are logged and audited only when they look like one (`invalid_grant`, `OAUTH_…`). */
function safeCode(code: unknown): string | undefined {
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}
