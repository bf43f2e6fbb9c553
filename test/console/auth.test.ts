import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import restify, { type Request, type Response, type Server } from 'restify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { agentsFileSchema, createAgentAccounts, readAgentsFile } from '../../src/console/auth/agentAccounts';
import { readLocaleResources } from '../../src/i18n';
import { silentLogger } from '../../src/log';
import { isAgentFormPost, registerAgentAuth, type AgentAuth, type AgentAuthDeps, type AgentEvent } from '../../src/console/auth/routes';
import { agentAuthEnv, createSessionCodec, parseApiKeys, SESSION_COOKIE } from '../../src/console/auth/sessions';
import { addAgent, AgentAddError } from '../../src/tools/agentAdd';

const SECRET = 'test-secret-test-secret-test-secret-0123456789';
const PASSWORD = 'correct horse battery';
const API_KEY = 'k'.repeat(20) + '0123456789abcdef';
const START = Date.parse('2027-01-04T09:00:00Z');
const HOUR = 3_600_000;

let dir: string;
let accountsFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-auth-'));
  accountsFile = join(dir, 'data', 'agents.json');
  // Through agent:add's own function, at the real bcrypt cost: sign-in below checks real hashes.
  await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja Berg', password: PASSWORD, now: new Date(START) });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  ms: number;
}

interface TestApp {
  url: URL;
  auth: AgentAuth;
  events: AgentEvent[];
  advance(ms: number): void;
  send(method: string, path: string, options?: { headers?: Record<string, string>; body?: string | Record<string, string>; cookie?: string }): Promise<Reply>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

/** A bare restify server as src/server.ts builds one (its pre check with the /agent exception, JSON body parser), plus the auth routes. */
async function start(overrides: Partial<AgentAuthDeps> = {}, options: { bodyParser?: boolean } = {}): Promise<TestApp> {
  let clock = START;
  const events: AgentEvent[] = [];
  const server = restify.createServer({ handleUncaughtExceptions: false });
  server.pre((req: Request, res: Response, next: () => void) => {
    const length = req.headers['content-length'];
    const hasBody = (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
    const json = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(String(req.headers['content-type'] ?? ''));
    if (hasBody && !json && !isAgentFormPost(req)) {
      res.send(415, { error: 'UnsupportedMediaType' });
      return;
    }
    next();
  });
  if (options.bodyParser !== false) server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, mapFiles: false }));
  const auth = registerAgentAuth(server, {
    logger: silentLogger,
    accountsFile,
    sessionSecret: SECRET,
    apiKeys: parseApiKeys(`crm=${API_KEY}`).keys,
    now: () => new Date(clock),
    onAgentEvent: (event) => void events.push(event),
    ...overrides,
  });
  // The console's page and an API, protected as the real ones will be.
  server.get('/agent', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    res.send(200, { agent, csrf: auth.csrfToken(req) });
  });
  server.get('/api/handoffs', async (req: Request, res: Response) => {
    const agent = auth.agentOrApiKey(req, res);
    if (!agent) return;
    res.send(200, { agent });
  });
  server.post('/agent/handoffs/:id/take', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const form = await auth.form(req, res);
    if (!form) return;
    res.send(200, { agent, note: form.note });
  });
  // As src/console/consoleRoutes.ts does it: agent(), then form().
  server.post('/agent/handoffs/:id/reply', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const form = await auth.form(req, res);
    if (!form) return;
    res.send(200, { agent, note: form.note });
  });
  server.post('/api/messages', async (req: Request, res: Response) => res.send(200, { body: req.body }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);

  const send: TestApp['send'] = (method, path, options = {}) =>
    new Promise((resolve, reject) => {
      const body = typeof options.body === 'object' ? new URLSearchParams(options.body).toString() : options.body;
      const headers: Record<string, string> = {
        ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...(body !== undefined && !options.headers?.['transfer-encoding'] ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...options.headers,
      };
      const began = performance.now();
      const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - began }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { url, auth, events, advance: (ms) => (clock += ms), send };
}

/** name → the whole Set-Cookie line, from a reply. */
function setCookies(reply: Reply): Map<string, string> {
  const lines = reply.headers['set-cookie'] ?? [];
  return new Map(lines.map((line) => [line.slice(0, line.indexOf('=')), line]));
}
const cookieValue = (line: string | undefined) => (line ? (line.split(';')[0] as string).slice(line.indexOf('=') + 1) : undefined);
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

/** GET the sign-in page, then POST it: as a browser does, with the page's login-CSRF cookie and token. */
async function signIn(app: TestApp, id: string, password: string, headers: Record<string, string> = {}) {
  const page = await app.send('GET', '/agent/login', { headers });
  const loginCookie = cookieValue(setCookies(page).get('agent_login_csrf'));
  const reply = await app.send('POST', '/agent/login', { headers, cookie: `agent_login_csrf=${loginCookie}`, body: { id, password, _csrf: csrfIn(page.text) ?? '' } });
  const session = cookieValue(setCookies(reply).get(SESSION_COOKIE));
  return { reply, session, sessionCookie: session ? `${SESSION_COOKIE}=${session}` : '' };
}

const locales = readLocaleResources();
const text = (language: 'sv' | 'en', key: string) => key.split('.').reduce<any>((node, part) => node?.[part], locales[language].console) as string;

describe('agent sign-in', () => {
  it('signs an agent in: 303 to /agent and a session cookie with HttpOnly, SameSite=Strict, Path=/ and 8 h, which /agent accepts', async () => {
    const app = await start();
    const { reply, sessionCookie } = await signIn(app, 'Maja', PASSWORD);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/agent');
    const line = setCookies(reply).get(SESSION_COOKIE) as string;
    const attributes = line.split(';').slice(1).map((part) => part.trim());
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${8 * 3600}`]));
    // Plain http to 127.0.0.1: a browser would drop a Secure cookie here.
    expect(attributes).not.toContain('Secure');
    // The sign-in form's own CSRF cookie is done with.
    expect(setCookies(reply).get('agent_login_csrf')).toMatch(/Max-Age=0/);

    const page = await app.send('GET', '/agent', { cookie: sessionCookie });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.text).agent).toEqual({ id: 'maja', displayName: 'Maja Berg' });
    expect(app.events).toEqual([expect.objectContaining({ type: 'sign-in', agent: { id: 'maja', displayName: 'Maja Berg' }, method: 'password', ip: '127.0.0.1' })]);
    // Signed in already: the sign-in page sends the agent on.
    expect((await app.send('GET', '/agent/login', { cookie: sessionCookie })).headers.location).toBe('/agent');
  });

  it('marks the cookie Secure for any other host, and over https behind a trusted proxy', async () => {
    const app = await start({ trustProxy: true });
    const byName = await signIn(app, 'maja', PASSWORD, { host: 'console.example.com' });
    expect(setCookies(byName.reply).get(SESSION_COOKIE)).toMatch(/; Secure\b/);
    const proxied = await signIn(app, 'maja', PASSWORD, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
    expect(setCookies(proxied.reply).get(SESSION_COOKIE)).toMatch(/; Secure\b/);
  });

  it('answers a wrong password and an unknown account alike: same status, same page, both after a bcrypt check', async () => {
    const app = await start();
    // Apart from the id typed and the form's token (each attempt here is a fresh browser), the very same page.
    const same = (reply: Reply, id: string) => reply.text.replace(`value="${id}"`, 'value="…"').replace(/name="_csrf" value="[^"]+"/, '');
    const wrong = [await signIn(app, 'maja', 'not the password!'), await signIn(app, 'maja', 'not the password?')];
    const unknown = [await signIn(app, 'nobody', 'not the password!'), await signIn(app, 'nobody', 'not the password?')];
    for (const attempt of [...wrong, ...unknown]) {
      expect(attempt.reply.status).toBe(401);
      expect(attempt.session).toBeUndefined();
    }
    expect(same(unknown[0]!.reply, 'nobody')).toBe(same(wrong[0]!.reply, 'maja'));
    expect(wrong[0]!.reply.text).toContain(text('sv', 'login.failed'));
    // Timing class: an unknown account is checked against a dummy hash of the same cost, not answered at once.
    const slower = (a: Reply, b: Reply) => Math.min(a.ms, b.ms);
    const wrongMs = slower(wrong[0]!.reply, wrong[1]!.reply);
    const unknownMs = slower(unknown[0]!.reply, unknown[1]!.reply);
    expect(wrongMs).toBeGreaterThan(30);
    expect(unknownMs / wrongMs).toBeGreaterThan(0.5);
    expect(unknownMs / wrongMs).toBeLessThan(2);
    expect(app.events.map((event) => event.type === 'sign-in-failed' && [event.attemptedId, event.reason])).toEqual([
      ['maja', 'invalid-credentials'],
      ['maja', 'invalid-credentials'],
      ['nobody', 'invalid-credentials'],
      ['nobody', 'invalid-credentials'],
    ]);
  });

  it('locks an account at an address for 15 minutes after 5 failures there, with the wrong-password answer; not elsewhere', async () => {
    const app = await start({ trustProxy: true });
    const guesser = { 'x-forwarded-for': '198.51.100.1' };
    for (let n = 1; n <= 5; n++) expect((await signIn(app, 'maja', `wrong password ${n}`, guesser)).reply.status).toBe(401);
    const locked = await signIn(app, 'maja', PASSWORD, guesser);
    expect(locked.reply.status).toBe(401);
    expect(locked.session).toBeUndefined();
    expect(locked.reply.text).toContain(text('sv', 'login.failed'));
    expect(app.events.at(-1)).toMatchObject({ type: 'sign-in-failed', reason: 'locked-out' });
    expect(app.events.at(-2)).toMatchObject({ type: 'sign-in-failed', reason: 'invalid-credentials', lockedOut: true });
    // Someone failing on purpose with Maja's id does not keep Maja herself out.
    expect((await signIn(app, 'maja', PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).reply.status).toBe(303);
    app.advance(14 * 60_000);
    expect((await signIn(app, 'maja', PASSWORD, guesser)).reply.status).toBe(401);
    app.advance(60_000);
    expect((await signIn(app, 'maja', PASSWORD, guesser)).reply.status).toBe(303);
  });

  it('locks an address for 15 minutes after 5 failures there, whatever the accounts tried', async () => {
    const app = await start({ trustProxy: true });
    const attacker = { 'x-forwarded-for': '203.0.113.66' };
    for (const id of ['anna', 'bo', 'cecilia', 'david', 'erik']) expect((await signIn(app, id, 'guessing here', attacker)).reply.status).toBe(401);
    expect((await signIn(app, 'maja', PASSWORD, attacker)).reply.status).toBe(401);
    // Maja herself, elsewhere, is not locked out by it.
    expect((await signIn(app, 'maja', PASSWORD, { 'x-forwarded-for': '192.0.2.10' })).reply.status).toBe(303);
    app.advance(15 * 60_000);
    expect((await signIn(app, 'maja', PASSWORD, attacker)).reply.status).toBe(303);
  });

  it('ends a session after 8 hours (the clock is the test\'s)', async () => {
    const app = await start();
    const { sessionCookie } = await signIn(app, 'maja', PASSWORD);
    app.advance(8 * HOUR - 1000);
    expect((await app.send('GET', '/agent', { cookie: sessionCookie })).status).toBe(200);
    app.advance(1000);
    const page = await app.send('GET', '/agent', { cookie: sessionCookie });
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/agent/login');
    expect(setCookies(page).get(SESSION_COOKIE)).toMatch(/Max-Age=0/);
    expect((await app.send('GET', '/api/handoffs', { cookie: sessionCookie })).status).toBe(401);
  });

  it('refuses a tampered cookie, one signed with another secret, and one from a longer-lived configuration', async () => {
    const app = await start();
    const { session } = await signIn(app, 'maja', PASSWORD);
    const [version, body, signature] = (session as string).split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'admin', name: 'Admin' })).toString('base64url');
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    const otherSecret = createSessionCodec({ secret: 'another-secret-another-secret-another-secret' }).issue({ id: 'maja', displayName: 'Maja Berg' }, payload.cred, new Date(START)).token;
    const longer = createSessionCodec({ secret: SECRET, lifetimeMs: 48 * HOUR }).issue({ id: 'maja', displayName: 'Maja Berg' }, payload.cred, new Date(START)).token;
    const genuine = `${version}.${body}.${signature}`;
    expect((await app.send('GET', '/agent', { cookie: `${SESSION_COOKIE}=${genuine}` })).status).toBe(200);
    for (const token of [`${version}.${forged}.${signature}`, `${version}.${body}.${flipped}`, otherSecret, longer, `${version}.${body}.`, `${version}.${body}`]) {
      expect((await app.send('GET', '/agent', { cookie: `${SESSION_COOKIE}=${token}` })).status, token).toBe(303);
      expect((await app.send('GET', '/api/handoffs', { cookie: `${SESSION_COOKIE}=${token}` })).status, token).toBe(401);
    }
    // Two session cookies at once (one planted for another path): neither counts.
    expect((await app.send('GET', '/agent', { cookie: `${SESSION_COOKIE}=${genuine}; ${SESSION_COOKIE}=${genuine}` })).status).toBe(303);
  });

  it('without a session: 401 JSON on /api/…, 303 to the sign-in page for pages', async () => {
    const app = await start();
    const api = await app.send('GET', '/api/handoffs');
    expect(api.status).toBe(401);
    expect(api.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(api.text)).toEqual({ error: 'Unauthorized' });
    const page = await app.send('GET', '/agent');
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/agent/login');
  });

  it('accepts an integration API key on /api/handoffs only; a wrong key is 401 even with a session', async () => {
    const app = await start();
    const ok = await app.send('GET', '/api/handoffs', { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).agent).toEqual({ id: 'api:crm', displayName: 'crm' });
    const { sessionCookie } = await signIn(app, 'maja', PASSWORD);
    for (const authorization of [`Bearer ${API_KEY.slice(0, -1)}x`, `Bearer ${API_KEY}${API_KEY}`, 'Bearer', `Basic ${API_KEY}`]) {
      expect((await app.send('GET', '/api/handoffs', { headers: { authorization }, cookie: sessionCookie })).status, authorization).toBe(401);
    }
    // Not a way into the console's pages.
    expect((await app.send('GET', '/agent', { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(303);
  });
});

describe('CSRF and form posts', () => {
  it('sign-in without the form\'s login-CSRF cookie or with a wrong token is 403, and nobody is signed in', async () => {
    const app = await start();
    const page = await app.send('GET', '/agent/login');
    const loginCookie = `agent_login_csrf=${cookieValue(setCookies(page).get('agent_login_csrf'))}`;
    const token = csrfIn(page.text) as string;
    const attempts: Array<Parameters<TestApp['send']>[2]> = [
      { body: { id: 'maja', password: PASSWORD, _csrf: token } }, // no cookie: a form posted from another site
      { cookie: loginCookie, body: { id: 'maja', password: PASSWORD } },
      { cookie: loginCookie, body: { id: 'maja', password: PASSWORD, _csrf: `${token.slice(0, -2)}AA` } },
      { cookie: 'agent_login_csrf=someone-elses-cookie-value-123', body: { id: 'maja', password: PASSWORD, _csrf: token } },
      { cookie: loginCookie, body: { id: 'maja', password: PASSWORD, _csrf: token }, headers: { origin: 'https://evil.example' } },
    ];
    for (const attempt of attempts) {
      const reply = await app.send('POST', '/agent/login', attempt);
      expect(reply.status, JSON.stringify(attempt)).toBe(403);
      expect(setCookies(reply).has(SESSION_COOKIE)).toBe(false);
    }
    const right = await app.send('POST', '/agent/login', { cookie: loginCookie, body: { id: 'maja', password: PASSWORD, _csrf: token }, headers: { origin: app.url.origin } });
    expect(right.status).toBe(303);
  });

  it('sign-out and other console posts need this session\'s token (403 otherwise) and a same-host Origin', async () => {
    const app = await start();
    const { sessionCookie } = await signIn(app, 'maja', PASSWORD);
    const other = await signIn(app, 'maja', PASSWORD);
    const token = JSON.parse((await app.send('GET', '/agent', { cookie: sessionCookie })).text).csrf as string;
    const othersToken = JSON.parse((await app.send('GET', '/agent', { cookie: other.sessionCookie })).text).csrf as string;
    expect(othersToken).not.toBe(token);

    for (const path of ['/agent/handoffs/CX-1/take', '/agent/handoffs/CX-1/reply', '/agent/logout']) {
      expect((await app.send('POST', path, { cookie: sessionCookie, body: { note: 'x' } })).status, path).toBe(403);
      expect((await app.send('POST', path, { cookie: sessionCookie, body: { _csrf: othersToken } })).status, path).toBe(403);
      expect((await app.send('POST', path, { cookie: sessionCookie, body: { _csrf: token }, headers: { origin: 'http://evil.example' } })).status, path).toBe(403);
      expect((await app.send('POST', path, { cookie: sessionCookie, body: { _csrf: token }, headers: { 'sec-fetch-site': 'cross-site' } })).status, path).toBe(403);
    }
    const taken = await app.send('POST', '/agent/handoffs/CX-1/take', { cookie: sessionCookie, body: { _csrf: token, note: 'på väg' }, headers: { origin: app.url.origin } });
    expect(taken.status).toBe(200);
    expect(JSON.parse(taken.text)).toEqual({ agent: { id: 'maja', displayName: 'Maja Berg' }, note: 'på väg' });
    const replied = await app.send('POST', '/agent/handoffs/CX-1/reply', { cookie: sessionCookie, body: { _csrf: token, note: 'hej' }, headers: { origin: app.url.origin } });
    expect(JSON.parse(replied.text)).toEqual({ agent: { id: 'maja', displayName: 'Maja Berg' }, note: 'hej' });
    // The token may come in a header too (a script's JSON would not pass the form check, so a form it is here).
    expect((await app.send('POST', '/agent/handoffs/CX-1/take', { cookie: sessionCookie, body: {}, headers: { 'x-csrf-token': token } })).status).toBe(200);

    const out = await app.send('POST', '/agent/logout', { cookie: sessionCookie, body: { _csrf: token } });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/agent/login');
    expect(setCookies(out).get(SESSION_COOKIE)).toMatch(/^agent_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/);
    expect(app.events.filter((event) => event.type === 'sign-out')).toEqual([expect.objectContaining({ agent: { id: 'maja', displayName: 'Maja Berg' } })]);
    // Without a session a console post is sent to sign in; an API path would get 401.
    expect((await app.send('POST', '/agent/handoffs/CX-1/take', { body: { _csrf: token } })).status).toBe(303);
  });

  it('lets url-encoded forms through to /agent paths only; JSON to /agent/login is 415, a form to /api/messages is 415', async () => {
    const app = await start();
    const json = await app.send('POST', '/agent/login', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'maja', password: PASSWORD }) });
    expect(json.status).toBe(415);
    const form = await app.send('POST', '/api/messages', { body: { type: 'message', channelId: 'x' } });
    expect(form.status).toBe(415);
    const sneaky = await app.send('POST', '/agent/../api/messages', { body: { type: 'message' } });
    expect(sneaky.status).toBe(415);
    const multipart = await app.send('POST', '/agent/login', { headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' });
    expect(multipart.status).toBe(415);
    const big = await app.send('POST', '/agent/login', { body: { id: 'maja', password: 'x'.repeat(70_000) } });
    expect(big.status).toBe(413);

    const post = (url: string, type = 'application/x-www-form-urlencoded', method = 'POST') => isAgentFormPost({ method, url, headers: { 'content-type': type } } as never);
    expect([post('/agent/login'), post('/agent/logout?lang=en'), post('/agent/handoffs/CX-12/take'), post('/agent')]).toEqual([true, true, true, true]);
    expect([
      post('/agent/../api/messages'),
      post('/agent/%2e%2e/api/messages'),
      post('/api/messages'),
      post('//agent/login'),
      post('/agentx'),
      post('/agent/login', 'multipart/form-data'),
      post('/agent/login', 'text/plain'),
      post('/agent/login', undefined, 'PUT'),
    ]).toEqual([false, false, false, false, false, false, false, false]);
  });

  it('reads the form from the request itself where no body parser ran first (and caps it there too)', async () => {
    const app = await start({}, { bodyParser: false });
    expect((await signIn(app, 'maja', PASSWORD)).reply.status).toBe(303);
    const big = 'id=maja&password=' + 'x'.repeat(70_000);
    // Chunked, so no Content-Length gives it away before it is read.
    expect((await app.send('POST', '/agent/login', { headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' }, body: big })).status).toBe(413);
  });
});

describe('the sign-in page', () => {
  it('is Swedish by default, English by ?lang=en or Accept-Language, from locales/*/console.json', async () => {
    const app = await start();
    const sv = await app.send('GET', '/agent/login');
    expect(sv.status).toBe(200);
    expect(sv.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(sv.text).toContain('<html lang="sv">');
    expect(sv.text).toContain(text('sv', 'login.heading'));
    expect(sv.headers['content-security-policy']).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    expect(sv.headers['cache-control']).toBe('no-store');
    const login = setCookies(sv).get('agent_login_csrf') as string;
    expect(login).toMatch(/; Path=\/agent\/login; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    const en = await app.send('GET', '/agent/login?lang=en');
    expect(en.text).toContain('<html lang="en">');
    expect(en.text).toContain(text('en', 'login.heading'));
    expect((await app.send('GET', '/agent/login', { headers: { 'accept-language': 'de;q=1, en-GB;q=0.8, sv;q=0.5' } })).text).toContain(text('en', 'login.heading'));
    expect((await app.send('GET', '/agent/login', { headers: { 'accept-language': 'sv-FI, en;q=0.9' } })).text).toContain(text('sv', 'login.heading'));
  });

  it('escapes what it shows again: a typed id comes back as text, never markup', async () => {
    const app = await start();
    const { reply } = await signIn(app, '"><script>alert(1)</script>', 'whatever password');
    expect(reply.status).toBe(401);
    expect(reply.text).not.toContain('<script>');
    expect(reply.text).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    // Not an id at all: the event does not pass it on (it might be a password typed in the wrong field).
    expect(app.events.at(-1)).toMatchObject({ type: 'sign-in-failed', attemptedId: undefined });
  });

  it('has every console string in both languages', () => {
    const keys = (tree: unknown, prefix = ''): string[] =>
      tree && typeof tree === 'object' ? Object.entries(tree).flatMap(([key, value]) => keys(value, prefix ? `${prefix}.${key}` : key)) : [prefix];
    expect(keys(locales.sv.console).sort()).toEqual(keys(locales.en.console).sort());
    expect(keys(locales.sv.console).length).toBeGreaterThan(5);
  });
});

describe('agent:add (addAgent)', () => {
  it('writes a valid accounts file (mode 0600) that a running server picks up without a restart', async () => {
    const file = join(dir, 'fresh', 'agents.json');
    const accounts = createAgentAccounts({ file, logger: silentLogger });
    expect(await accounts.verifyPassword('olle', 'olles secret password')).toBeUndefined();

    expect(await addAgent({ file, id: 'Olle', displayName: '  Olle Ek ', password: 'olles secret password', now: new Date(START) })).toEqual({ created: true, file });
    const written = JSON.parse(readFileSync(file, 'utf8'));
    expect(agentsFileSchema.safeParse(written).success).toBe(true);
    expect(written.agents).toEqual([{ id: 'olle', displayName: 'Olle Ek', passwordHash: expect.stringMatching(/^\$2b\$12\$/), createdAt: '2027-01-04T09:00:00.000Z' }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('olles secret password');
    expect(await accounts.verifyPassword('olle', 'olles secret password')).toEqual({ agent: { id: 'olle', displayName: 'Olle Ek' }, credential: expect.any(String) });

    // Updating: a new name and password, the same createdAt; the old password stops working at once.
    expect((await addAgent({ file, id: 'olle', displayName: 'Olle Ekström', password: 'a brand new password', now: new Date(START + HOUR) })).created).toBe(false);
    expect(readAgentsFile(file).agents).toEqual([expect.objectContaining({ id: 'olle', displayName: 'Olle Ekström', createdAt: '2027-01-04T09:00:00.000Z' })]);
    expect(await accounts.verifyPassword('olle', 'olles secret password')).toBeUndefined();
    expect((await accounts.verifyPassword('olle', 'a brand new password'))?.agent.displayName).toBe('Olle Ekström');

    // Known in Teams by their Entra object ID (kept in lower case, as Teams sends it); nobody else is.
    await addAgent({ file, id: 'olle', displayName: 'Olle Ekström', password: 'a brand new password', entraObjectId: '6B1D7C1E-1111-4222-8333-944445555666' });
    expect(accounts.byEntraObjectId('6b1d7c1e-1111-4222-8333-944445555666')).toEqual({ id: 'olle', displayName: 'Olle Ekström' });
    expect(accounts.byEntraObjectId('6b1d7c1e-1111-4222-8333-000000000000')).toBeUndefined();
    // One object ID, one agent.
    await expect(addAgent({ file, id: 'stina', displayName: 'Stina', password: 'stinas own password', entraObjectId: '6b1d7c1e-1111-4222-8333-944445555666' })).rejects.toThrow(/already given to olle/);

    // Known in Teams only: no password, so the password form never lets them in; an existing password stays.
    await addAgent({ file, id: 'stina', displayName: 'Stina', entraObjectId: '6b1d7c1e-1111-4222-8333-000000000001' });
    expect(readAgentsFile(file).agents.find((agent) => agent.id === 'stina')).not.toHaveProperty('passwordHash');
    expect(await accounts.verifyPassword('stina', '')).toBeUndefined();
    expect(accounts.byEntraObjectId('6b1d7c1e-1111-4222-8333-000000000001')).toEqual({ id: 'stina', displayName: 'Stina' });
    await addAgent({ file, id: 'olle', displayName: 'Olle Ekström', entraObjectId: '6b1d7c1e-1111-4222-8333-944445555666' });
    expect((await accounts.verifyPassword('olle', 'a brand new password'))?.agent.id).toBe('olle');
    // A hand-edited file cannot list an object ID twice, nor an agent with neither a password nor an object ID.
    expect(agentsFileSchema.safeParse({ agents: [...readAgentsFile(file).agents, { id: 'kim', displayName: 'Kim', createdAt: '2027-01-04T09:00:00.000Z', entraObjectId: '6b1d7c1e-1111-4222-8333-000000000001' }] }).success).toBe(false);
    expect(agentsFileSchema.safeParse({ agents: [{ id: 'kim', displayName: 'Kim', createdAt: '2027-01-04T09:00:00.000Z' }] }).success).toBe(false);
    expect(agentsFileSchema.safeParse({ agents: [{ id: 'entra-kim', displayName: 'Kim', createdAt: '2027-01-04T09:00:00.000Z', entraObjectId: '6b1d7c1e-1111-4222-8333-000000000002' }] }).success).toBe(false);
  });

  it('refuses a password under 12 characters (and other bad input), leaving the file as it was', async () => {
    const file = join(dir, 'short', 'agents.json');
    await addAgent({ file, id: 'kim', displayName: 'Kim', password: 'twelve chars' });
    const before = readFileSync(file, 'utf8');
    await expect(addAgent({ file, id: 'lo', displayName: 'Lo', password: 'elevenchars' })).rejects.toThrow(/at least 12 characters/);
    await expect(addAgent({ file, id: 'kim', displayName: 'Kim', password: 'short' })).rejects.toBeInstanceOf(AgentAddError);
    await expect(addAgent({ file, id: 'api:crm', displayName: 'X', password: 'long enough password' })).rejects.toThrow(/--id/);
    await expect(addAgent({ file, id: 'lo', displayName: ' ', password: 'long enough password' })).rejects.toThrow(/--name/);
    await expect(addAgent({ file, id: 'lo', displayName: 'Lo', password: 'å'.repeat(40) })).rejects.toThrow(/72 bytes/);
    // Entra-signed-in agents are entra-<object id>: no local account may pass for one; an object ID is a GUID.
    await expect(addAgent({ file, id: 'entra-6b1d7c1e', displayName: 'X', password: 'long enough password' })).rejects.toThrow(/entra-/);
    await expect(addAgent({ file, id: 'oidc-abc', displayName: 'X', password: 'long enough password' })).rejects.toThrow(/oidc-/);
    await expect(addAgent({ file, id: 'lo', displayName: 'Lo', password: 'long enough password', entraObjectId: 'not-a-guid' })).rejects.toThrow(/--entra-object-id/);
    await expect(addAgent({ file, id: 'lo', displayName: 'Lo' })).rejects.toThrow(/--entra-object-id is needed/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // A broken file is not overwritten.
    writeFileSync(file, '{"agents": [');
    await expect(addAgent({ file, id: 'lo', displayName: 'Lo', password: 'long enough password' })).rejects.toThrow(/not valid JSON/);
    expect(readFileSync(file, 'utf8')).toBe('{"agents": [');
  });

  it('ends the sessions of an account removed from the file, or whose password was changed', async () => {
    const file = join(dir, 'revoke', 'agents.json');
    await addAgent({ file, id: 'maja', displayName: 'Maja Berg', password: PASSWORD });
    const app = await start({ accountsFile: file });
    const { sessionCookie } = await signIn(app, 'maja', PASSWORD);
    expect((await app.send('GET', '/agent', { cookie: sessionCookie })).status).toBe(200);
    await addAgent({ file, id: 'maja', displayName: 'Maja Berg', password: 'a changed password' });
    expect((await app.send('GET', '/agent', { cookie: sessionCookie })).status).toBe(303);
    const again = await signIn(app, 'maja', 'a changed password');
    expect((await app.send('GET', '/agent', { cookie: again.sessionCookie })).status).toBe(200);
    writeFileSync(file, JSON.stringify({ agents: [] }));
    expect((await app.send('GET', '/agent', { cookie: again.sessionCookie })).status).toBe(303);
  });
});

describe('configuration (AGENT_* variables)', () => {
  it('needs AGENT_SESSION_SECRET (≥ 32 characters) in a deployment, and well-formed API keys; never echoes a secret', () => {
    expect(agentAuthEnv({}).ok).toBe(true);
    expect(agentAuthEnv({ MicrosoftAppId: 'app' })).toEqual({ ok: false, problems: [expect.stringMatching(/^AGENT_SESSION_SECRET: required when MicrosoftAppId/)] });
    const short = agentAuthEnv({ AGENT_SESSION_SECRET: 'too-short-secret' });
    expect(short.ok).toBe(false);
    expect(JSON.stringify(short)).not.toContain('too-short-secret');
    const keys = agentAuthEnv({ AGENT_SESSION_SECRET: SECRET, AGENT_API_KEYS: 'crm=short-key, bad name=whatever' });
    expect(keys.ok || keys.problems).toEqual([expect.stringMatching(/"crm" must be at least 32/), expect.stringMatching(/entry 2/)]);
    expect(JSON.stringify(keys)).not.toContain('short-key');
    const good = agentAuthEnv({ AGENT_SESSION_SECRET: SECRET, AGENT_SESSION_HOURS: '4', AGENT_API_KEYS: `crm=${API_KEY}`, AGENT_ACCOUNTS_FILE: '/etc/agents.json' });
    expect(good.ok && { ...good.settings, apiKeys: good.settings.apiKeys.map((key) => key.name) }).toEqual({
      sessionSecret: SECRET,
      sessionLifetimeMs: 4 * HOUR,
      accountsFile: '/etc/agents.json',
      apiKeys: ['crm'],
    });
    expect(agentAuthEnv({ AGENT_SESSION_HOURS: '0' }).ok).toBe(false);
  });
});
