import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { i18n, TFunction } from 'i18next';
import type { Request, Response, Server } from 'restify';
import { clientAddress } from '../../channels/rateLimiter';
import type { AgentIdentity } from '../../handoffs/handoffQueue';
import { createI18n, LANGUAGES, languageFromLocale, type Language } from '../../i18n';
import type { Logger } from '../../log';
import { agentIdSchema, createAgentAccounts, normaliseAgentId, readAgentsFile, type AgentAccounts } from './agentAccounts';
import { createCsrf, FormError, isFormContentType, LOGIN_CSRF_COOKIE, MAX_FORM_BYTES, readForm, sameOrigin } from './csrf';
import {
  agentFromClaims,
  createFlowCookieCodec,
  createOidcClient,
  OIDC_CALLBACK_PATH,
  OIDC_FLOW_COOKIE,
  OIDC_FLOW_COOKIE_PATH,
  OIDC_FLOW_LIFETIME_MS,
  OIDC_START_PATH,
  oidcCredential,
  OidcError,
  safeReturnPath,
  type OidcFailure,
} from './oidc';
import {
  API_KEY_ID_PREFIX,
  createSessionCodec,
  DEFAULT_SESSION_HOURS,
  matchApiKey,
  MIN_SECRET_LENGTH,
  SESSION_COOKIE,
  type AgentSession,
  type ApiKey,
  type OidcSettings,
} from './sessions';

/**
 * Sign-in to the agent console: each agent signs in as themselves with a local account (agentAccounts.ts), and gets a
 * signed session cookie (sessions.ts). Integrations reach /api/handoffs with their own API key instead.
 *
 *   GET  /agent/login   the sign-in page (Swedish or English), with its login-CSRF cookie
 *   POST /agent/login   form: id, password, _csrf → 303 to /agent, or the page again with one message for every failure
 *   POST /agent/logout  form: _csrf → 303 to /agent/login
 *
 * With OpenID Connect configured (Microsoft Entra ID, oidc.ts), the sign-in page offers "Sign in with Microsoft" (and
 * the local form only while the accounts file has accounts):
 *
 *   GET  /agent/oidc/start     → 303 to the provider, the flow (PKCE verifier, state, nonce, return path) in a cookie
 *   GET  /agent/oidc/callback  the provider's answer → the session cookie and a page that moves on to the console, or
 *                              the sign-in page with what went wrong (400/401/403/502), never the provider's words
 *
 * Other routes ask `agent(req, res)` / `agentOrApiKey(req, res)` (any request) and `form(req, res)` (a state-changing form post
 * under /agent: also reads the form and checks its CSRF token and origin).
 */

export const LOGIN_PATH = '/agent/login';
export const LOGOUT_PATH = '/agent/logout';
export const CONSOLE_HOME = '/agent';
/** Where an integration's API key is accepted (Authorization: Bearer <key>): the hand-off queue and the insights. */
export const API_KEY_PATH_PREFIXES = ['/api/handoffs', '/api/insights'] as const;

export type AgentEvent =
  | { type: 'sign-in'; agent: AgentIdentity; method: 'password' | 'oidc'; ip: string; at: Date }
  | { type: 'sign-out'; agent: AgentIdentity; ip: string; at: Date }
  | {
      type: 'sign-in-failed';
      /**
       * The id typed, when it looks like one (a password typed into the id field is not passed on); for OpenID Connect,
       * the id the provider's token would have given (`entra-<oid>`) when it named somebody not allowed in.
       */
      attemptedId: string | undefined;
      /**
       * `locked-out`: refused without checking, the account or address had too many failures. `oidc-…`: the sign-in
       * with the identity provider did not complete (see OidcFailure); `not-allowed`: it did, for someone in none of
       * AGENT_OIDC_ALLOWED_GROUPS.
       */
      reason: 'invalid-credentials' | 'locked-out' | `oidc-${OidcFailure}` | 'not-allowed';
      /** This failure started a lock-out. */
      lockedOut: boolean;
      ip: string;
      at: Date;
    };

export interface LockoutOptions {
  /** Failures within `windowMs`, per account id and per client address, that start a lock-out. */
  maxFailures: number;
  windowMs: number;
  /** How long a lock-out lasts. */
  lockMs: number;
  /** Keys remembered at most (the least recently used go first). */
  maxKeys: number;
}

export const DEFAULT_LOCKOUT: LockoutOptions = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000, maxKeys: 50_000 };

export interface AgentAuthDeps {
  logger: Logger;
  /** The local accounts; by default read from `accountsFile`. */
  accounts?: AgentAccounts;
  accountsFile?: string;
  /** ≥ 32 characters, the same on every instance. Unset: random per process (sessions end on restart), with a warning. */
  sessionSecret?: string;
  sessionLifetimeMs?: number;
  apiKeys?: readonly ApiKey[];
  /** Sign-in, sign-out and failed sign-in, for the caller's audit log. Awaited; a failure is logged, never shown. */
  onAgentEvent?: (event: AgentEvent) => void | Promise<void>;
  now?: () => Date;
  /** Behind a reverse proxy: X-Forwarded-For/-Proto/-Host are believed (as TRUST_PROXY says for the widget). */
  trustProxy?: boolean;
  /** The sign-in page's language when neither ?lang= nor Accept-Language says (default sv). */
  defaultLanguage?: Language;
  i18n?: i18n;
  lockout?: Partial<LockoutOptions>;
  maxFormBytes?: number;
  /** Sign-in with Microsoft Entra ID (OpenID Connect), besides or instead of local accounts. */
  oidc?: OidcSettings;
}

export interface AgentAuth {
  /**
   * A signed-in agent for the console's pages, or undefined after answering: a 303 redirect to the sign-in page (401
   * JSON under /api/).
   */
  agent(req: Request, res: Response): AgentIdentity | undefined;
  /** Like `agent`, and under /api/handoffs and /api/insights an integration's `Authorization: Bearer <key>` instead of the cookie. */
  agentOrApiKey(req: Request, res: Response): AgentIdentity | undefined;
  /** This request's session's CSRF token ('' without a session, whose forms would be refused anyway). */
  csrfToken(req: Request): string;
  /**
   * The fields of a form post (the first value of each), once its CSRF token and origin check out; undefined after
   * answering 403 (no session, wrong or missing token, foreign origin), 415 (not a url-encoded form) or 413.
   */
  form(req: Request, res: Response): Promise<Record<string, string> | undefined>;
  /** The language of a console page for this request (?lang=, else Accept-Language, else the default). */
  languageOf(req: Request): Language;
  /** Whether the request's session is still good (a live stream checks it now and then). */
  stillSignedIn(req: Request): boolean;
}

/**
 * Whether server.ts's pre handler should let this request's body through although it is not JSON: a url-encoded form
 * POSTed to a plain /agent path. The path is the raw one, and may hold only letters, digits, `_`, `-` and `/` — no dots
 * or escapes — so no `/agent/../api/messages` can carry a form past the check to a JSON route.
 */
export function isAgentFormPost(req: Pick<Request, 'method' | 'url' | 'headers'>): boolean {
  if (req.method !== 'POST' || !isFormContentType(req.headers['content-type'])) return false;
  const path = (req.url ?? '').split('?')[0] as string;
  return /^\/agent(?:\/[A-Za-z0-9_-]+)*\/?$/.test(path);
}

/** Registers the sign-in routes and returns what other routes need to check who is asking. */
export function registerAgentAuth(server: Server, deps: AgentAuthDeps): AgentAuth {
  const { logger } = deps;
  const now = deps.now ?? (() => new Date());
  const trustProxy = deps.trustProxy ?? false;
  const defaultLanguage = deps.defaultLanguage ?? 'sv';
  const maxFormBytes = deps.maxFormBytes ?? MAX_FORM_BYTES;
  const accounts = deps.accounts ?? createAgentAccounts({ file: deps.accountsFile, logger });
  const apiKeys = deps.apiKeys ?? [];
  const i18n = deps.i18n ?? createI18n(defaultLanguage);

  let secret: string | Buffer | undefined = deps.sessionSecret;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) throw new Error(`the agent session secret must be at least ${MIN_SECRET_LENGTH} characters`);
  if (secret === undefined) {
    secret = randomBytes(48);
    logger.warn('agent-auth.ephemeral-secret', {
      hint: 'AGENT_SESSION_SECRET is not set: agent sessions are signed with a random secret and end when the process restarts (one instance only)',
    });
  }
  const sessionLifetimeMs = deps.sessionLifetimeMs ?? DEFAULT_SESSION_HOURS * 3_600_000;
  const codec = createSessionCodec({ secret, lifetimeMs: sessionLifetimeMs });
  const csrf = createCsrf(secret, { trustProxy });
  const lockout = createLockout({ ...DEFAULT_LOCKOUT, ...deps.lockout });
  const oidc = deps.oidc
    ? { settings: deps.oidc, client: createOidcClient(deps.oidc, { logger }), flows: createFlowCookieCodec(secret), credential: oidcCredential(deps.oidc) }
    : undefined;
  /** How long a password check takes here (moving average): a locked-out refusal takes as long. */
  let typicalCheckMs = 250;

  const emit = async (event: AgentEvent) => {
    try {
      await deps.onAgentEvent?.(event);
    } catch (error) {
      logger.error('agent-auth.event-failed', { type: event.type, error: error as Error });
    }
  };

  const languageOf = (req: Request): Language => {
    const asked = new URL(req.url ?? '/', 'http://localhost').searchParams.get('lang');
    if (asked && (LANGUAGES as readonly string[]).includes(asked)) return asked as Language;
    return languageFromAcceptLanguage(req.headers['accept-language']) ?? defaultLanguage;
  };
  const translate = (language: Language): TFunction => i18n.getFixedT(language, 'console');

  function sessionOf(req: Request): AgentSession | undefined {
    const values = readCookies(req).get(SESSION_COOKIE) ?? [];
    // Two session cookies (one planted for another path or domain) are not sorted out: neither counts.
    if (values.length !== 1) return undefined;
    const session = codec.verify(values[0], now());
    if (!session) return undefined;
    // Signed in with the identity provider configured now: nothing local to check (the provider decided at sign-in).
    if (oidc && session.credential === oidc.credential) return session;
    // The account was removed, or its password changed, since the session began: it ends now.
    if (!accounts.stillValid(session.agent.id, session.credential)) return undefined;
    return session;
  }

  function apiKeyAgent(req: Request): AgentIdentity | undefined {
    if (!apiKeys.length || !API_KEY_PATH_PREFIXES.some((prefix) => underPrefix(pathOf(req), prefix))) return undefined;
    const presented = /^Bearer ([\x21-\x7e]{1,512})$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!presented) return undefined;
    const key = matchApiKey(apiKeys, presented);
    return key ? { id: `${API_KEY_ID_PREFIX}${key.name}`, displayName: key.name } : undefined;
  }

  function refuse(req: Request, res: Response, hadCookie: boolean): undefined {
    res.setHeader('Cache-Control', 'no-store');
    if (pathOf(req).startsWith('/api/')) {
      res.setHeader('WWW-Authenticate', apiKeys.length ? 'Bearer realm="agent"' : 'Cookie realm="agent"');
      res.send(401, { error: 'Unauthorized' });
      return undefined;
    }
    // A cookie that no longer counts (expired, tampered, account gone) is dropped on the way to the sign-in page.
    if (hadCookie) res.setHeader('Set-Cookie', clearCookie(SESSION_COOKIE, '/', secureCookies(req, trustProxy)));
    res.setHeader('Location', LOGIN_PATH);
    res.writeHead(303);
    res.end();
    return undefined;
  }

  function requireAgent(req: Request, res: Response, options: { apiKey: boolean } = { apiKey: true }): AgentIdentity | undefined {
    // Under /api/handoffs, explicit credentials decide: a wrong key is 401 whatever cookie comes with it.
    if (options.apiKey && req.headers.authorization !== undefined && apiKeys.length && API_KEY_PATH_PREFIXES.some((prefix) => underPrefix(pathOf(req), prefix))) {
      const agent = apiKeyAgent(req);
      return agent ?? refuse(req, res, false);
    }
    const session = sessionOf(req);
    if (session) return { id: session.agent.id, displayName: session.agent.displayName };
    return refuse(req, res, readCookies(req).has(SESSION_COOKIE));
  }

  /** The posted form, or undefined once the request has been answered (too large, compressed, not a form). */
  async function formOrAnswer(req: Request, res: Response): Promise<URLSearchParams | undefined> {
    try {
      return await readForm(req, maxFormBytes);
    } catch (error) {
      answerFormError(res, error, logger);
      return undefined;
    }
  }

  function forbidden(req: Request, res: Response): void {
    const language = languageOf(req);
    const t = translate(language);
    sendHtml(res, 403, language, page(language, t('forbidden.title'), `<h1>${escapeHtml(t('forbidden.title'))}</h1>\n<p role="alert">${escapeHtml(t('forbidden.text'))}</p>`));
  }

  /**
   * Whether the sign-in page offers the local form: always without OpenID Connect (as before it); with it, only while
   * the accounts file has accounts (development, or a break-glass account), so that agents see one way in.
   */
  function localSignInOffered(): boolean {
    if (!oidc) return true;
    try {
      return readAgentsFile(accounts.file).agents.some((agent) => agent.passwordHash !== undefined);
    } catch {
      return false; // a broken file signs nobody in (agentAccounts logs why)
    }
  }

  /** The sign-in page, with a login-CSRF cookie (the one the browser has, while it looks like ours, or a new one). */
  function loginPage(
    req: Request,
    res: Response,
    status: number,
    notice?: { message: 'failed' | 'expired' | `oidc.${OidcFailure | 'notAllowed'}`; id?: string },
    options: { language?: Language; cookies?: string[] } = {},
  ): void {
    const language = options.language ?? languageOf(req);
    const t = translate(language);
    const had = readCookies(req).get(LOGIN_CSRF_COOKIE);
    const nonce = had?.length === 1 && /^[A-Za-z0-9_-]{22,64}$/.test(had[0] as string) ? (had[0] as string) : randomBytes(18).toString('base64url');
    res.setHeader('Set-Cookie', [cookie(LOGIN_CSRF_COOKIE, nonce, { path: LOGIN_PATH, maxAgeSeconds: 2 * 3600, secure: secureCookies(req, trustProxy) }), ...(options.cookies ?? [])]);
    const other = language === 'sv' ? 'en' : 'sv';
    const local = localSignInOffered();
    const returnTo = safeReturnPath(new URL(req.url ?? '/', 'http://localhost').searchParams.get('return'));
    const startUrl = `${OIDC_START_PATH}?lang=${language}${returnTo === CONSOLE_HOME ? '' : `&return=${encodeURIComponent(returnTo)}`}`;
    const body = [
      `<h1>${escapeHtml(t('login.heading'))}</h1>`,
      `<p>${escapeHtml(t(oidc ? 'login.oidcIntro' : 'login.intro'))}</p>`,
      notice ? `<p class="notice" role="alert">${escapeHtml(t(`login.${notice.message}`))}</p>` : '',
      oidc ? `<p><a class="button" href="${escapeHtml(startUrl)}">${escapeHtml(t('login.microsoft'))}</a></p>` : '',
      oidc && local ? `<p class="or">${escapeHtml(t('login.orLocal'))}</p>` : '',
    ].filter(Boolean);
    if (local) body.push(...localForm(language, nonce, t, notice?.id));
    body.push(`<p class="language"><a href="${LOGIN_PATH}?lang=${other}" hreflang="${other}" lang="${other}">${escapeHtml(t('login.otherLanguage'))}</a></p>`);
    sendHtml(res, status, language, page(language, t('login.title'), body.join('\n')));
  }

  /** The local account's form; after a failed attempt it keeps the id typed (and puts the cursor in the password). */
  function localForm(language: Language, nonce: string, t: TFunction, typedId: string | undefined): string[] {
    return [
      `<form method="post" action="${LOGIN_PATH}?lang=${language}">`,
      `<input type="hidden" name="_csrf" value="${escapeHtml(csrf.loginTokenFor(nonce))}">`,
      `<label for="id">${escapeHtml(t('login.id'))}</label>`,
      `<input id="id" name="id" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64" required${typedId ? '' : ' autofocus'} value="${escapeHtml(typedId ?? '')}">`,
      `<label for="password">${escapeHtml(t('login.password'))}</label>`,
      `<input id="password" name="password" type="password" autocomplete="current-password" maxlength="1024" required${typedId ? ' autofocus' : ''}>`,
      `<button type="submit">${escapeHtml(t('login.submit'))}</button>`,
      '</form>',
    ];
  }

  server.get(LOGIN_PATH, async (req: Request, res: Response) => {
    if (sessionOf(req)) {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Location', CONSOLE_HOME);
      res.writeHead(303);
      res.end();
      return;
    }
    loginPage(req, res, 200);
  });

  server.post(LOGIN_PATH, async (req: Request, res: Response) => {
    let form: URLSearchParams;
    try {
      form = await readForm(req, maxFormBytes);
    } catch (error) {
      answerFormError(res, error, logger);
      return;
    }
    const loginNonce = readCookies(req).get(LOGIN_CSRF_COOKIE);
    if (!csrf.verifyLoginCsrf(req, loginNonce?.length === 1 ? loginNonce[0] : undefined)) {
      loginPage(req, res, 403, { message: 'expired' });
      return;
    }
    const typedId = (form.get('id') ?? '').slice(0, 256);
    const id = normaliseAgentId(typedId);
    const password = form.get('password') ?? '';
    const ip = clientAddress(req, trustProxy);
    // Failures count per account *from this address*, and per address: someone who knows an agent's id cannot keep
    // the agent out by failing on purpose from elsewhere (bcrypt and 12-character passwords make spread-out guessing slow).
    const keys = [`id:${id}|ip:${ip}`, `ip:${ip}`];
    const attemptedId = agentIdSchema.safeParse(id).success ? id : undefined;
    const started = now();

    if (!lockout.begin(keys, started.getTime())) {
      // The same answer as a wrong password, after about as long; the password is not even looked at.
      await delay(typicalCheckMs);
      await emit({ type: 'sign-in-failed', attemptedId, reason: 'locked-out', lockedOut: false, ip, at: started });
      loginPage(req, res, 401, { message: 'failed', id: typedId });
      return;
    }
    const clock = performance.now();
    const verified = await accounts.verifyPassword(id, password).catch((error: unknown) => {
      logger.error('agent-auth.check-failed', { error: error as Error });
      return undefined;
    });
    typicalCheckMs = Math.round(0.8 * typicalCheckMs + 0.2 * (performance.now() - clock));
    const lockedOut = lockout.end(keys, now().getTime(), verified === undefined);
    if (!verified) {
      if (lockedOut) logger.warn('agent-auth.locked-out', { attemptedId, ip });
      await emit({ type: 'sign-in-failed', attemptedId, reason: 'invalid-credentials', lockedOut, ip, at: started });
      loginPage(req, res, 401, { message: 'failed', id: typedId });
      return;
    }
    lockout.clear(`id:${id}`);
    const { token } = codec.issue(verified.agent, verified.credential, now());
    const secure = secureCookies(req, trustProxy);
    res.setHeader('Set-Cookie', [
      cookie(SESSION_COOKIE, token, { path: '/', maxAgeSeconds: Math.floor(sessionLifetimeMs / 1000), secure }),
      clearCookie(LOGIN_CSRF_COOKIE, LOGIN_PATH, secure),
    ]);
    await emit({ type: 'sign-in', agent: verified.agent, method: 'password', ip, at: now() });
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Location', CONSOLE_HOME);
    res.writeHead(303);
    res.end();
  });

  if (oidc) {
    /** Status and message of the sign-in page for each way an OpenID Connect sign-in can fail. */
    const OIDC_FAILURE_PAGE: Record<OidcFailure, [status: number, message: `oidc.${OidcFailure}`]> = {
      unavailable: [502, 'oidc.unavailable'],
      cancelled: [401, 'oidc.cancelled'],
      state: [400, 'oidc.state'],
      refused: [401, 'oidc.refused'],
    };

    server.get(OIDC_START_PATH, async (req: Request, res: Response) => {
      const language = languageOf(req);
      const secure = secureCookies(req, trustProxy);
      try {
        const returnTo = safeReturnPath(new URL(req.url ?? '/', 'http://localhost').searchParams.get('return'));
        const { url, flow } = await oidc.client.begin({ returnTo, language, now: now() });
        const flowCookie = cookie(OIDC_FLOW_COOKIE, oidc.flows.seal(flow), { path: OIDC_FLOW_COOKIE_PATH, maxAgeSeconds: OIDC_FLOW_LIFETIME_MS / 1000, secure, sameSite: 'Lax' });
        res.setHeader('Set-Cookie', flowCookie);
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Location', url.href);
        res.writeHead(303);
        res.end();
      } catch (error) {
        const failure = error instanceof OidcError ? error.failure : 'unavailable';
        if (!(error instanceof OidcError)) logger.error('agent-auth.oidc-start-failed', { error: error as Error });
        await emit({ type: 'sign-in-failed', attemptedId: undefined, reason: `oidc-${failure}`, lockedOut: false, ip: clientAddress(req, trustProxy), at: now() });
        const [status, message] = OIDC_FAILURE_PAGE[failure];
        loginPage(req, res, status, { message }, { language });
      }
    });

    server.get(OIDC_CALLBACK_PATH, async (req: Request, res: Response) => {
      const secure = secureCookies(req, trustProxy);
      const ip = clientAddress(req, trustProxy);
      // The flow is used once, whatever comes of it.
      const clearFlow = clearCookie(OIDC_FLOW_COOKIE, OIDC_FLOW_COOKIE_PATH, secure, 'Lax');
      const flowValues = readCookies(req).get(OIDC_FLOW_COOKIE);
      const flow = flowValues?.length === 1 ? oidc.flows.open(flowValues[0], now()) : undefined;
      const language = flow?.language ?? languageOf(req);
      const refuse = async (status: number, message: `oidc.${OidcFailure | 'notAllowed'}`, reason: Extract<AgentEvent, { type: 'sign-in-failed' }>['reason'], attemptedId?: string) => {
        await emit({ type: 'sign-in-failed', attemptedId, reason, lockedOut: false, ip, at: now() });
        loginPage(req, res, status, { message }, { language, cookies: [clearFlow] });
      };
      if (!flow) {
        // No sign-in begun in this browser (or begun too long ago): nothing here can be trusted to finish one.
        logger.warn('agent-auth.oidc-no-flow', { hadCookie: flowValues !== undefined });
        await refuse(...OIDC_FAILURE_PAGE.state, 'oidc-state');
        return;
      }
      let claims: Record<string, unknown>;
      try {
        claims = await oidc.client.finish(new URL(req.url ?? '/', 'http://localhost').searchParams, flow);
      } catch (error) {
        const failure = error instanceof OidcError ? error.failure : 'refused';
        const cause = error instanceof OidcError && error.cause instanceof Error ? error.cause : (error as Error);
        logger.warn('agent-auth.oidc-failed', { failure, code: error instanceof OidcError ? error.code : undefined, error: cause });
        await refuse(...OIDC_FAILURE_PAGE[failure], `oidc-${failure}`);
        return;
      }
      const verdict = agentFromClaims(claims, oidc.settings.allowedGroups);
      if (!verdict.ok) {
        if (verdict.reason === 'not-allowed') {
          logger.warn('agent-auth.oidc-not-allowed', {
            attemptedId: verdict.attemptedId,
            hint: verdict.groupOverage
              ? 'the user is in too many groups for the token to list them: give access with an app role instead'
              : 'the ID token names none of AGENT_OIDC_ALLOWED_GROUPS in its groups or roles claim',
          });
          await refuse(403, 'oidc.notAllowed', 'not-allowed', verdict.attemptedId);
        } else {
          logger.warn('agent-auth.oidc-no-identity', {});
          await refuse(...OIDC_FAILURE_PAGE.refused, 'oidc-refused');
        }
        return;
      }
      const { token } = codec.issue(verdict.agent, oidc.credential, now());
      res.setHeader('Set-Cookie', [
        cookie(SESSION_COOKIE, token, { path: '/', maxAgeSeconds: Math.floor(sessionLifetimeMs / 1000), secure }),
        clearFlow,
        clearCookie(LOGIN_CSRF_COOKIE, LOGIN_PATH, secure),
      ]);
      await emit({ type: 'sign-in', agent: verdict.agent, method: 'oidc', ip, at: now() });
      signedInPage(res, language, verdict.agent, safeReturnPath(flow.returnTo));
    });
  }

  /**
   * After an OpenID Connect sign-in, a page that moves on to the console by itself rather than a redirect: the way here
   * began on the provider's site, and browsers withhold SameSite=Strict cookies (the session) from every redirect of
   * such a chain; a navigation this page starts is same-site, and carries the session.
   */
  function signedInPage(res: Response, language: Language, agent: AgentIdentity, returnTo: string): void {
    const t = translate(language);
    const body = [
      `<h1>${escapeHtml(t('login.signedIn.title'))}</h1>`,
      `<p>${escapeHtml(t('login.signedIn.text', { name: agent.displayName }))}</p>`,
      `<p><a class="button" href="${escapeHtml(returnTo)}">${escapeHtml(t('login.signedIn.continue'))}</a></p>`,
    ];
    sendHtml(res, 200, language, page(language, t('login.signedIn.title'), body.join('\n'), `<meta http-equiv="refresh" content="0;url=${escapeHtml(returnTo)}">`));
  }

  server.post(LOGOUT_PATH, async (req: Request, res: Response) => {
    const session = sessionOf(req);
    const secure = secureCookies(req, trustProxy);
    // Another site's form (which arrives without the SameSite=Strict cookie) cannot sign an agent out either.
    if (!sameOrigin(req, trustProxy)) {
      forbidden(req, res);
      return;
    }
    if (session) {
      try {
        await readForm(req, maxFormBytes);
      } catch (error) {
        answerFormError(res, error, logger);
        return;
      }
      if (!csrf.verifyCsrf(req, session)) {
        forbidden(req, res);
        return;
      }
      await emit({ type: 'sign-out', agent: session.agent, ip: clientAddress(req, trustProxy), at: now() });
    }
    // Signed out already (or never signed in): the cookie goes all the same, and the answer is the same.
    res.setHeader('Set-Cookie', clearCookie(SESSION_COOKIE, '/', secure));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Location', LOGIN_PATH);
    res.writeHead(303);
    res.end();
  });

  async function formFields(req: Request, res: Response): Promise<Record<string, string> | undefined> {
    const form = await formOrAnswer(req, res);
    if (!form) return undefined;
    const session = sessionOf(req);
    if (!session || !csrf.verifyCsrf(req, session)) {
      forbidden(req, res);
      return undefined;
    }
    const fields: Record<string, string> = Object.create(null);
    for (const [name, value] of form) if (!Object.hasOwn(fields, name)) fields[name] = value;
    return fields;
  }

  return {
    agent: (req, res) => requireAgent(req, res, { apiKey: false }),
    agentOrApiKey: (req, res) => requireAgent(req, res),
    csrfToken: (req) => {
      const session = sessionOf(req);
      return session ? csrf.tokenFor(session) : '';
    },
    form: formFields,
    languageOf,
    stillSignedIn: (req) => sessionOf(req) !== undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Lock-out after repeated failures

interface Lockout {
  /** False when a key is locked out, or has as many failures plus checks under way as the limit allows. */
  begin(keys: string[], now: number): boolean;
  /** After the check begun: records a failure (true when it started a lock-out). */
  end(keys: string[], now: number, failed: boolean): boolean;
  clear(key: string): void;
}

/**
 * Failures per key within a sliding window; at `maxFailures` the key is refused for `lockMs`. Checks under way count
 * against the limit too, so that parallel guesses cannot slip past it while bcrypt is busy.
 */
function createLockout(options: LockoutOptions): Lockout {
  const entries = new Map<string, { failures: number[]; lockedUntil: number; inFlight: number }>();
  /** Beyond maxKeys the least recently used go first, sparing keys locked out or being checked while others remain. */
  const evict = (now: number) => {
    for (const [key, e] of entries) {
      if (entries.size <= options.maxKeys) return;
      if (e.inFlight === 0 && e.lockedUntil <= now) entries.delete(key);
    }
    for (const key of entries.keys()) {
      if (entries.size <= options.maxKeys) return;
      entries.delete(key);
    }
  };
  const entry = (key: string, now: number) => {
    const found = entries.get(key) ?? { failures: [], lockedUntil: 0, inFlight: 0 };
    found.failures = found.failures.filter((at) => at > now - options.windowMs);
    entries.delete(key); // re-inserted last: least recently used first
    entries.set(key, found);
    evict(now);
    return found;
  };
  return {
    begin(keys, now) {
      const found = keys.map((key) => entry(key, now));
      if (found.some((e) => e.lockedUntil > now || e.failures.length + e.inFlight >= options.maxFailures)) return false;
      for (const e of found) e.inFlight++;
      return true;
    },
    end(keys, now, failed) {
      let locked = false;
      for (const key of keys) {
        const e = entry(key, now);
        e.inFlight = Math.max(0, e.inFlight - 1);
        if (!failed) continue;
        e.failures.push(now);
        if (e.failures.length >= options.maxFailures) {
          e.lockedUntil = now + options.lockMs;
          e.failures = [];
          locked = true;
        }
      }
      return locked;
    },
    clear(key) {
      const e = entries.get(key);
      if (e) {
        e.failures = [];
        e.lockedUntil = 0;
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// HTTP details

function pathOf(req: Request): string {
  return (req.url ?? '/').split('?')[0] as string;
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** `Cookie:` → name → values (a name may come more than once). */
export function readCookies(req: Pick<Request, 'headers'>): Map<string, string[]> {
  const cookies = new Map<string, string[]>();
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
    cookies.set(name, [...(cookies.get(name) ?? []), value]);
  }
  return cookies;
}

/**
 * Cookies are Secure unless the request came over plain http to this machine by name (localhost, 127.0.0.1, [::1]):
 * the only place a browser would otherwise be without a session on a developer's machine.
 */
export function secureCookies(req: Request, trustProxy: boolean): boolean {
  const forwardedProto = trustProxy ? String(req.headers['x-forwarded-proto'] ?? '').split(',').at(-1)?.trim().toLowerCase() : undefined;
  const encrypted = Boolean((req.socket as { encrypted?: boolean } | undefined)?.encrypted) || forwardedProto === 'https';
  if (encrypted) return true;
  const host = String(req.headers.host ?? '').trim().toLowerCase().replace(/:\d+$/, '');
  return !['localhost', '127.0.0.1', '[::1]'].includes(host);
}

/** Strict unless said otherwise: only the OpenID Connect flow cookie must come back on a cross-site navigation (Lax). */
function cookie(name: string, value: string, options: { path: string; maxAgeSeconds: number; secure: boolean; sameSite?: 'Strict' | 'Lax' }): string {
  return `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAgeSeconds}; HttpOnly; SameSite=${options.sameSite ?? 'Strict'}${options.secure ? '; Secure' : ''}`;
}

function clearCookie(name: string, path: string, secure: boolean, sameSite?: 'Strict' | 'Lax'): string {
  return `${cookie(name, '', { path, maxAgeSeconds: 0, secure, sameSite })}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}

function answerFormError(res: Response, error: unknown, logger: Logger): void {
  if (error instanceof FormError) {
    res.send(error.status, { error: error.code });
    return;
  }
  logger.warn('agent-auth.form-unreadable', { error: error as Error });
  res.send(400, { error: 'InvalidForm' });
}

/** The first of sv/en the browser prefers (by q-value), or undefined when it names neither. */
export function languageFromAcceptLanguage(header: string | string[] | undefined): Language | undefined {
  if (typeof header !== 'string') return undefined;
  const ranked = header
    .split(',')
    .map((item, index) => {
      const [tag = '', ...params] = item.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((item) => item.tag && item.q > 0 && /^(?:sv|en)(?:[-_]|$)/i.test(item.tag))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.length ? languageFromLocale(ranked[0]?.tag) : undefined;
}

/** HTML escaping for text and attribute values: the console's one escaper (its pages call it `esc`). */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string);
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1b1d21}',
  'main{max-width:22rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}',
  'h1{font-size:1.35rem;margin:0 0 1rem}',
  'label{display:block;margin:1rem 0 .25rem;font-weight:600}',
  'input{box-sizing:border-box;width:100%;padding:.5rem;font-size:1rem}',
  'button{margin-top:1.25rem;padding:.6rem 1.2rem;font-size:1rem}',
  '.notice{padding:.75rem;background:#fdecea;border-left:4px solid #c62828}',
  'a.button{display:inline-block;margin-top:.5rem;padding:.6rem 1.2rem;font-size:1rem;background:#0f6cbd;color:#fff;border-radius:4px;text-decoration:none}',
  '.or{margin-top:1.5rem;color:#555}',
  '.language{margin-top:1.5rem;font-size:.9rem}',
].join('\n');
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

function page(language: Language, title: string, body: string, head = ''): string {
  return [
    '<!doctype html>',
    `<html lang="${language}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    ...(head ? [head] : []),
    '</head>',
    '<body>',
    '<main>',
    body,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function sendHtml(res: Response, status: number, language: Language, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Content-Language', language);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Content-Security-Policy', `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
  res.writeHead(status);
  res.end(body);
}
