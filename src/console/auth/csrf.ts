import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request } from 'restify';
import { deriveKey, type AgentSession } from './sessions';

/**
 * The console's forms: how their bodies are read, and the checks every state-changing POST under /agent makes.
 *
 * - CSRF tokens are bound to the session: HMAC(key, session nonce), sent in the hidden field `_csrf` (or the
 *   X-CSRF-Token header, for scripts). A token from another session, or none, is refused with 403.
 * - The sign-in form has no session yet: GET /agent/login sets a random pre-session cookie, and its token is the HMAC
 *   of that cookie's value (login CSRF: no other site can sign a browser in as somebody else).
 * - An Origin header, when the browser sends one, must name this host; Sec-Fetch-Site must not be cross-site.
 */

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const LOGIN_CSRF_COOKIE = 'agent_login_csrf';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
/** A console form is a few fields; more than this is not one. */
export const MAX_FORM_BYTES = 64 * 1024;

export class FormError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: 'InvalidForm' | 'PayloadTooLarge' | 'UnsupportedMediaType',
  ) {
    super(code);
    this.name = 'FormError';
  }
}

export function isFormContentType(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && /^application\/x-www-form-urlencoded\s*(?:;\s*charset="?utf-8"?\s*)?$/i.test(value.trim());
}

const forms = new WeakMap<Request, URLSearchParams>();

/**
 * The request's url-encoded form. The body is read here, not by restify's bodyParser: in the server the bodyParser
 * (a `use` handler) has already run for the route and, for a form, left the raw text in `req.rawBody` — that is taken;
 * on a server without it the stream is read here, up to `maxBytes`. Either way it is parsed with URLSearchParams
 * (flat fields, no qs nesting). Read once per request; later calls (verifyCsrf) get the same form.
 */
export async function readForm(req: Request, maxBytes = MAX_FORM_BYTES): Promise<URLSearchParams> {
  const known = forms.get(req);
  if (known) return known;
  if (!isFormContentType(req.headers['content-type'])) throw new FormError(415, 'UnsupportedMediaType');
  const encoding = req.headers['content-encoding'];
  if (encoding && String(encoding).toLowerCase() !== 'identity') throw new FormError(415, 'UnsupportedMediaType');
  const length = Number(req.headers['content-length'] ?? 0);
  if (Number.isFinite(length) && length > maxBytes) throw new FormError(413, 'PayloadTooLarge');

  const loose = req as Request & { rawBody?: unknown; _readBody?: boolean; body?: unknown };
  let text: string;
  if (typeof loose.rawBody === 'string') text = loose.rawBody;
  else if (typeof loose.body === 'string') text = loose.body;
  else if (Buffer.isBuffer(loose.body)) text = loose.body.toString('utf8');
  else if (loose._readBody || req.readableEnded) text = ''; // read already, and nothing was in it
  else text = await readStream(req, maxBytes);
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new FormError(413, 'PayloadTooLarge');
  const form = new URLSearchParams(text);
  forms.set(req, form);
  return form;
}

function readStream(req: Request, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        reject(new FormError(413, 'PayloadTooLarge'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      failed = true;
      reject(error);
    });
  });
}

/** One field of a form read before, as a string (the first when repeated), or undefined. */
export function formField(req: Request, name: string): string | undefined {
  return forms.get(req)?.get(name) ?? undefined;
}

/**
 * A POST from this site: an Origin header, when present, names this host (X-Forwarded-Host behind a trusted proxy),
 * and Sec-Fetch-Site, when present, is not cross-site or same-site (another subdomain).
 */
export function sameOrigin(req: Request, trustProxy = false): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  const forwarded = req.headers['x-forwarded-host'];
  const host = (trustProxy && typeof forwarded === 'string' && forwarded.trim() ? (forwarded.split(',').at(-1) as string) : String(req.headers.host ?? '')).trim().toLowerCase();
  try {
    const url = new URL(String(origin));
    return (url.protocol === 'https:' || url.protocol === 'http:') && host !== '' && url.host.toLowerCase() === host;
  } catch {
    return false; // "null" (a sandboxed frame, a redirect from elsewhere) or garbage
  }
}

export interface Csrf {
  /** The `_csrf` value for this session's forms. */
  tokenFor(session: Pick<AgentSession, 'nonce'>): string;
  /** The hidden field itself, ready for a form. */
  fieldFor(session: Pick<AgentSession, 'nonce'>): string;
  /** Same origin, and the token of this session in the form read (readForm) or the X-CSRF-Token header. */
  verifyCsrf(req: Request, session: Pick<AgentSession, 'nonce'>): boolean;
  /** The sign-in form's token, bound to its pre-session cookie. */
  loginTokenFor(loginNonce: string): string;
  verifyLoginCsrf(req: Request, loginNonce: string | undefined): boolean;
}

export function createCsrf(secret: string | Buffer, options: { trustProxy?: boolean } = {}): Csrf {
  const sessionKey = deriveKey(secret, 'agent-csrf');
  const loginKey = deriveKey(secret, 'agent-login-csrf');
  const mac = (key: Buffer, value: string) => createHmac('sha256', key).update(value).digest();
  const submitted = (req: Request): string | undefined => {
    const header = req.headers[CSRF_HEADER];
    return formField(req, CSRF_FIELD) ?? (typeof header === 'string' ? header : undefined);
  };
  const matches = (given: string | undefined, expected: Buffer) => {
    if (!given || !/^[A-Za-z0-9_-]{43}$/.test(given)) return false;
    const bytes = Buffer.from(given, 'base64url');
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  };
  const tokenFor = (session: Pick<AgentSession, 'nonce'>) => mac(sessionKey, session.nonce).toString('base64url');

  return {
    tokenFor,
    fieldFor: (session) => `<input type="hidden" name="${CSRF_FIELD}" value="${tokenFor(session)}">`,
    verifyCsrf: (req, session) => sameOrigin(req, options.trustProxy) && matches(submitted(req), mac(sessionKey, session.nonce)),
    loginTokenFor: (loginNonce) => mac(loginKey, loginNonce).toString('base64url'),
    verifyLoginCsrf: (req, loginNonce) =>
      loginNonce !== undefined && /^[A-Za-z0-9_-]{22,64}$/.test(loginNonce) && sameOrigin(req, options.trustProxy) && matches(submitted(req), mac(loginKey, loginNonce)),
  };
}
