import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config';
import { agentFromClaims, createFlowCookieCodec, safeReturnPath, type OidcFlow } from '../../src/console/auth/oidc';
import type { OidcSettings } from '../../src/console/auth/sessions';
import type { AuditRecord } from '../../src/cases/caseLog';
import { silentLogger } from '../../src/log';
import { createApp, type App } from '../../src/server';
import { memoryStateStore } from '../../src/storage';
import { addAgent } from '../../src/tools/agentAdd';
import { i18n, testConfig } from '../support/bot';
import { NOW } from '../support/facts';

/**
 * Sign-in with Microsoft Entra ID (OpenID Connect), over real HTTP: the bot's server on loopback and a stand-in
 * identity provider beside it (discovery, signing keys, authorization and token endpoints, the way Entra answers).
 * The provider checks what a real one does (PKCE verifier, client secret, redirect URI, one use per code) and signs
 * ID tokens with a fresh RSA key; each test may make it answer wrongly (another audience, another nonce, no group,
 * an error, an outage) and the console must refuse with its own words, an audit record and no session.
 */

const en = i18n.getFixedT('en');
const sv = i18n.getFixedT('sv');
const CLIENT_ID = '6f1b2c3d-0000-4000-8000-00000000c0de';
const CLIENT_SECRET = 'stub~client~secret~0123456789';
const AGENTS_GROUP = '0a0a0a0a-1111-4222-8333-444444444444';
const MAJA_OID = '11111111-2222-4333-8444-555555555555';

// ---------------------------------------------------------------------------------------------------------------------
// A stand-in identity provider

interface StubProvider {
  issuer: string;
  /** Claims to add to (or, as undefined, take from) the next ID tokens. */
  claims: Record<string, unknown>;
  /** The authorization endpoint answers with this error instead of a code. */
  authorizeError?: { error: string; error_description: string };
  /** The token endpoint drops the connection (the provider went down between the two legs). */
  tokenDown: boolean;
  /** What reached the token endpoint, the last time. */
  lastToken?: { pkceChecked: boolean; clientAuthenticated: boolean; redirectUri: string | null };
  authorizeRequests: URLSearchParams[];
  close(): Promise<void>;
}

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

function signJwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const body = b64url(JSON.stringify(claims));
  return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), key).toString('base64url')}`;
}

async function startStubProvider(): Promise<StubProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(8).toString('hex');
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string; clientId: string }>();
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', stub.issuer);
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    const path = url.pathname.slice(new URL(stub.issuer).pathname.length);
    if (path === '/.well-known/openid-configuration') {
      json(200, {
        issuer: stub.issuer,
        authorization_endpoint: `${stub.issuer}/authorize`,
        token_endpoint: `${stub.issuer}/token`,
        jwks_uri: `${stub.issuer}/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        scopes_supported: ['openid', 'profile', 'email'],
      });
    } else if (path === '/keys') {
      json(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
    } else if (path === '/authorize') {
      const query = url.searchParams;
      stub.authorizeRequests.push(query);
      const back = new URL(query.get('redirect_uri') ?? '');
      if (stub.authorizeError) {
        for (const [name, value] of Object.entries(stub.authorizeError)) back.searchParams.set(name, value);
      } else {
        const code = randomBytes(24).toString('base64url');
        codes.set(code, { challenge: query.get('code_challenge') ?? '', nonce: query.get('nonce') ?? '', redirectUri: back.href, clientId: query.get('client_id') ?? '' });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', query.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      res.end();
    } else if (path === '/token' && req.method === 'POST') {
      if (stub.tokenDown) {
        req.socket.destroy();
        return;
      }
      const form = new URLSearchParams(body);
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const pkceChecked = !!code && createHash('sha256').update(verifier).digest('base64url') === code.challenge;
      const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent) : [];
      const clientAuthenticated =
        (form.get('client_id') === CLIENT_ID && form.get('client_secret') === CLIENT_SECRET) || (basicId === CLIENT_ID && basicSecret === CLIENT_SECRET);
      stub.lastToken = { pkceChecked, clientAuthenticated, redirectUri: form.get('redirect_uri') };
      if (!code || !pkceChecked || !clientAuthenticated || form.get('grant_type') !== 'authorization_code' || form.get('redirect_uri') !== code.redirectUri) {
        json(400, { error: 'invalid_grant', error_description: 'AADSTS70000: the code or verifier is wrong' });
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: stub.issuer,
        aud: code.clientId,
        sub: 'pairwise-subject-of-maja',
        oid: MAJA_OID,
        tid: 'tenant-1',
        name: 'Maja Berg',
        preferred_username: 'maja.berg@example.com',
        groups: [AGENTS_GROUP, '99999999-0000-4000-8000-000000000000'],
        nonce: code.nonce,
        iat: now,
        nbf: now,
        exp: now + 3600,
        ...stub.claims,
      };
      for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
      json(200, { token_type: 'Bearer', access_token: randomBytes(16).toString('hex'), expires_in: 3600, id_token: signJwt(claims, privateKey, kid) });
    } else {
      json(404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stub: StubProvider = {
    issuer: `http://127.0.0.1:${(server.address() as AddressInfo).port}/tenant-1/v2.0`,
    claims: {},
    tokenDown: false,
    authorizeRequests: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return stub;
}

/** A port nothing listens on (taken and given back at once): the bot's, to name its callback before it starts, or a dead issuer's. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------------------------------
// HTTP as a browser does it (node:http, so that the Host header can be a real host name's)

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  cookies: string[];
}

function send(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookieNamed = (reply: Reply, name: string) => reply.cookies.find((c) => c.startsWith(`${name}=`));
const pair = (setCookie: string | undefined) => setCookie?.split(';')[0] ?? '';

/** The whole round trip: the console's start, the provider's authorization endpoint, and back to the console's callback. */
async function roundTrip(base: string, options: { start?: string; headers?: Record<string, string>; tamper?: (callback: URL) => void; cookie?: (flowCookie: string) => string } = {}) {
  const start = await send(`${base}${options.start ?? '/agent/oidc/start?lang=en'}`, options.headers);
  expect(start.status, start.text).toBe(303);
  const flowCookie = cookieNamed(start, 'agent_oidc');
  const authorize = new URL(String(start.headers.location));
  const provider = await send(authorize.href);
  expect(provider.status).toBe(302);
  const callback = new URL(String(provider.headers.location));
  options.tamper?.(callback);
  const cookie = options.cookie ? options.cookie(pair(flowCookie)) : pair(flowCookie);
  const done = await send(`${base}${callback.pathname}${callback.search}`, { ...options.headers, ...(cookie ? { cookie } : {}) });
  return { start, flowCookie, authorize, callback, done, session: pair(cookieNamed(done, 'agent_session')) };
}

// ---------------------------------------------------------------------------------------------------------------------

describe('sign-in with Microsoft Entra ID (OpenID Connect)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-oidc-'));
  const accountsFile = join(dir, 'agents.json');
  let stub: StubProvider;
  let app: App;
  let base: string;
  let settings: OidcSettings;
  const audit: AuditRecord[] = [];

  beforeAll(async () => {
    stub = await startStubProvider();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    settings = { issuer: stub.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: `${base}/agent/oidc/callback`, allowedGroups: [AGENTS_GROUP, 'Console.Agent'] };
    const config = testConfig({ port });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, oidc: settings } }, silentLogger, { store: memoryStateStore(), now: () => NOW });
    // Sign-ins belong to no case: the audit records are read where the server writes them.
    const record = app.runtime.cases.audit.bind(app.runtime.cases);
    vi.spyOn(app.runtime.cases, 'audit').mockImplementation(async (entry) => {
      audit.push(entry);
      return record(entry);
    });
    await app.listen();
  });

  beforeEach(() => {
    stub.claims = {};
    stub.authorizeError = undefined;
    stub.tokenDown = false;
    audit.length = 0;
  });

  afterAll(async () => {
    await app?.close();
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers "Sign in with Microsoft" on the sign-in page, and no password form while there are no local accounts', async () => {
    const page = await send(`${base}/agent/login?lang=en`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(en('console:login.microsoft'));
    expect(page.text).toContain('href="/agent/oidc/start?lang=en"');
    expect(page.text).not.toContain('type="password"');
    const swedish = await send(`${base}/agent/login?lang=sv`);
    expect(swedish.text).toContain(sv('console:login.microsoft'));
  });

  it('signs an agent in: PKCE, state and nonce to the provider and back, a session, the console with her name, the audit', async () => {
    const { start, flowCookie, authorize, done, session } = await roundTrip(base);

    // To the provider: the authorization code flow with PKCE (S256), state and nonce, for this client and callback.
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${stub.issuer}/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: settings.redirectUrl,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    for (const name of ['code_challenge', 'state', 'nonce']) expect(authorize.searchParams.get(name)).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    // The flow cookie: unreadable, short-lived, for the callback only, and Lax (the way back is a cross-site GET).
    expect(flowCookie).toMatch(/^agent_oidc=f1\.[A-Za-z0-9_-]+; Path=\/agent\/oidc; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(flowCookie).not.toContain(authorize.searchParams.get('state'));
    expect(start.headers['cache-control']).toBe('no-store');

    // The provider saw the verifier that matches the challenge, and the client's secret.
    expect(stub.lastToken).toEqual({ pkceChecked: true, clientAuthenticated: true, redirectUri: settings.redirectUrl });

    // Back at the console: a session, the flow cookie gone, and a page that moves on to the console by itself.
    expect(done.status, done.text).toBe(200);
    expect(cookieNamed(done, 'agent_session')).toMatch(/^agent_session=v1\.[^;]+; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    expect(cookieNamed(done, 'agent_oidc')).toMatch(/^agent_oidc=; Path=\/agent\/oidc; Max-Age=0; HttpOnly; SameSite=Lax; Expires=/);
    expect(done.text).toContain('<meta http-equiv="refresh" content="0;url=/agent">');
    expect(done.text).toContain(en('console:login.signedIn.text', { name: 'Maja Berg' }));

    const console_ = await send(`${base}/agent`, { cookie: session, 'accept-language': 'en' });
    expect(console_.status).toBe(200);
    expect(console_.text).toContain(en('console:signedInAs', { name: 'Maja Berg' }));
    expect(audit).toEqual([
      expect.objectContaining({ action: 'agent:sign-in', caller: `agent:entra-${MAJA_OID}`, channel: 'console', details: { agent: { id: `entra-${MAJA_OID}`, displayName: 'Maja Berg' }, method: 'oidc' } }),
    ]);
  });

  it('returns to the console page the sign-in was started for, and never to another site', async () => {
    const back = await roundTrip(base, { start: '/agent/oidc/start?return=%2Fagent%2Fhandoffs%2Fh-123' });
    expect(back.done.text).toContain('content="0;url=/agent/handoffs/h-123"');
    const away = await roundTrip(base, { start: '/agent/oidc/start?return=%2F%2Fevil.example%2Fagent' });
    expect(away.done.text).toContain('content="0;url=/agent"');
    expect(safeReturnPath('https://evil.example/agent')).toBe('/agent');
    expect(safeReturnPath('/agent/../api/handoffs')).toBe('/agent');
    expect(safeReturnPath('/agent\\evil')).toBe('/agent');
    expect(safeReturnPath('/agent/oidc/callback')).toBe('/agent');
  });

  it('an agent signed in with Microsoft signs out like any other; the session is gone', async () => {
    const { session } = await roundTrip(base);
    const page = await send(`${base}/agent`, { cookie: session });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const out = await send(`${base}/agent/logout`, { cookie: session, 'content-type': 'application/x-www-form-urlencoded' }, 'POST', new URLSearchParams({ _csrf: csrf }).toString());
    expect(out.status).toBe(303);
    expect(cookieNamed(out, 'agent_session')).toMatch(/^agent_session=; .*Max-Age=0/);
    expect(audit.map((record) => record.action)).toEqual(['agent:sign-in', 'agent:sign-out']);
  });

  /** A refused sign-in: the sign-in page with the reason in the language it began in, no session, the flow cookie gone, audited. */
  function expectRefused(done: Reply, status: number, message: string, reason: string, attemptedId?: string) {
    expect(done.status, done.text).toBe(status);
    expect(done.text).toContain(en(`console:login.${message}`).replace(/'/g, '&#39;'));
    expect(done.text).toContain('href="/agent/oidc/start?lang=en"'); // try again
    expect(cookieNamed(done, 'agent_session')).toBeUndefined();
    expect(cookieNamed(done, 'agent_oidc')).toMatch(/^agent_oidc=; .*Max-Age=0/);
    expect(audit.filter((record) => record.action.startsWith('agent:'))).toEqual([
      expect.objectContaining({ action: 'agent:sign-in-failed', caller: `agent:${attemptedId ?? 'unknown'}`, details: { reason } }),
    ]);
  }

  it('refuses an answer whose state is not the one this browser sent', async () => {
    const { done } = await roundTrip(base, { tamper: (callback) => callback.searchParams.set('state', 'x'.repeat(43)) });
    expectRefused(done, 400, 'oidc.state', 'oidc-state');
  });

  it('refuses an answer without the flow cookie, or with a forged one', async () => {
    // Without the cookie the page speaks the browser's language (the flow said which it began in).
    const { done } = await roundTrip(base, { cookie: () => '', headers: { 'accept-language': 'en' } });
    expectRefused(done, 400, 'oidc.state', 'oidc-state');
    audit.length = 0;
    const forged = await roundTrip(base, { cookie: (flowCookie) => `${flowCookie.slice(0, -4)}AAAA`, headers: { 'accept-language': 'en' } });
    expectRefused(forged.done, 400, 'oidc.state', 'oidc-state');
  });

  it('refuses an ID token with another nonce', async () => {
    stub.claims = { nonce: 'a-nonce-from-another-sign-in-0123456789' };
    const { done } = await roundTrip(base);
    expectRefused(done, 401, 'oidc.refused', 'oidc-refused');
  });

  it('refuses an ID token issued to another application (audience)', async () => {
    stub.claims = { aud: 'another-application' };
    const { done } = await roundTrip(base);
    expectRefused(done, 401, 'oidc.refused', 'oidc-refused');
  });

  it('refuses an ID token from another issuer, or one that has expired', async () => {
    stub.claims = { iss: 'https://login.microsoftonline.com/another-tenant/v2.0' };
    expectRefused((await roundTrip(base)).done, 401, 'oidc.refused', 'oidc-refused');
    audit.length = 0;
    const past = Math.floor(Date.now() / 1000) - 7200;
    stub.claims = { iat: past, nbf: past, exp: past + 3600 };
    expectRefused((await roundTrip(base)).done, 401, 'oidc.refused', 'oidc-refused');
  });

  it('refuses somebody of the tenant in none of the allowed groups or roles, and lets in one with an allowed app role', async () => {
    stub.claims = { groups: ['99999999-0000-4000-8000-000000000000'] };
    const { done } = await roundTrip(base);
    expectRefused(done, 403, 'oidc.notAllowed', 'not-allowed', `entra-${MAJA_OID}`);

    audit.length = 0;
    stub.claims = { groups: undefined, roles: ['Console.Agent'], name: 'Ola <b>Nordmann</b>', oid: 'AAAAAAAA-2222-4333-8444-555555555555' };
    const role = await roundTrip(base);
    expect(role.done.status).toBe(200);
    // Whatever the provider calls somebody is shown as text, never as markup.
    expect(role.done.text).toContain('Ola &lt;b&gt;Nordmann&lt;/b&gt;');
    expect(audit[0]).toMatchObject({ action: 'agent:sign-in', caller: 'agent:entra-aaaaaaaa-2222-4333-8444-555555555555' });
  });

  it('says so when the agent cancels at the provider, without echoing what the provider wrote', async () => {
    stub.authorizeError = { error: 'access_denied', error_description: '<script>alert(1)</script> AADSTS65004: User declined' };
    const { done } = await roundTrip(base);
    expectRefused(done, 401, 'oidc.cancelled', 'oidc-cancelled');
    expect(done.text).not.toContain('<script>');
    expect(done.text).not.toContain('AADSTS');
  });

  it('says the provider cannot be reached when its token endpoint is down', async () => {
    stub.tokenDown = true;
    const { done } = await roundTrip(base);
    expectRefused(done, 502, 'oidc.unavailable', 'oidc-unavailable');
  });

  it('marks every cookie Secure when the console is reached by a host name, not localhost', async () => {
    const headers = { host: 'console.example.test' };
    const { flowCookie, done } = await roundTrip(base, { headers });
    expect(flowCookie).toMatch(/; HttpOnly; SameSite=Lax; Secure$/);
    expect(cookieNamed(done, 'agent_session')).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });

  it('keeps local accounts working beside it, and offers both once the accounts file has one', async () => {
    await addAgent({ file: accountsFile, id: 'kim', displayName: 'Kim', password: 'correct horse battery staple' });
    const page = await send(`${base}/agent/login?lang=en`);
    expect(page.text).toContain(en('console:login.microsoft'));
    expect(page.text).toContain(en('console:login.orLocal'));
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const signIn = await send(
      `${base}/agent/login`,
      { cookie: pair(cookieNamed(page, 'agent_login_csrf')), 'content-type': 'application/x-www-form-urlencoded' },
      'POST',
      new URLSearchParams({ id: 'kim', password: 'correct horse battery staple', _csrf: csrf }).toString(),
    );
    expect(signIn.status).toBe(303);
    expect((await send(`${base}/agent`, { cookie: pair(cookieNamed(signIn, 'agent_session')) })).status).toBe(200);
    expect(audit.at(-1)).toMatchObject({ action: 'agent:sign-in', caller: 'agent:kim', details: { method: 'password' } });
  });
});

describe('an identity provider that cannot be reached', () => {
  let app: App;
  let base: string;
  const audit: AuditRecord[] = [];

  beforeAll(async () => {
    const [port, deadPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    const config = testConfig({ port });
    const oidc: OidcSettings = { issuer: `http://127.0.0.1:${deadPort}/tenant-1/v2.0`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: `${base}/agent/oidc/callback`, allowedGroups: [AGENTS_GROUP] };
    app = await createApp({ ...config, agents: { ...config.agents, oidc } }, silentLogger, { store: memoryStateStore(), now: () => NOW });
    vi.spyOn(app.runtime.cases, 'audit').mockImplementation(async (entry) => void audit.push(entry));
    await app.listen();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('gets a friendly page with a way to try again, an audit record, and the server carries on', async () => {
    const start = await send(`${base}/agent/oidc/start?lang=sv`);
    expect(start.status).toBe(502);
    expect(start.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(start.text).toContain(sv('console:login.oidc.unavailable'));
    expect(start.text).toContain('href="/agent/oidc/start?lang=sv"');
    expect(cookieNamed(start, 'agent_oidc')).toBeUndefined();
    expect(audit).toEqual([expect.objectContaining({ action: 'agent:sign-in-failed', details: { reason: 'oidc-unavailable' } })]);
    expect((await send(`${base}/healthz`)).status).toBe(200);
  });
});

describe('the pieces', () => {
  const flow: OidcFlow = { codeVerifier: 'v'.repeat(43), state: 's'.repeat(43), nonce: 'n'.repeat(43), returnTo: '/agent', language: 'sv', expiresAt: Date.parse('2030-01-01T00:10:00Z') };

  it('the flow cookie opens only with the same secret, untampered and in time', () => {
    const codec = createFlowCookieCodec('a-session-secret-of-at-least-32-characters');
    const sealed = codec.seal(flow);
    const before = new Date('2030-01-01T00:09:59Z');
    expect(codec.open(sealed, before)).toEqual(flow);
    expect(sealed).not.toContain(b64url(flow.codeVerifier).slice(0, 20));
    expect(codec.open(sealed, new Date('2030-01-01T00:10:00Z'))).toBeUndefined();
    expect(createFlowCookieCodec('another-session-secret-of-32-characters!').open(sealed, before)).toBeUndefined();
    const flipped = `${sealed.slice(0, 10)}${sealed[10] === 'A' ? 'B' : 'A'}${sealed.slice(11)}`;
    expect(codec.open(flipped, before)).toBeUndefined();
    expect(codec.open(undefined, before)).toBeUndefined();
    expect(codec.open('f1.', before)).toBeUndefined();
  });

  it('an ID token makes an agent only with an allowed group or role; the id is stable and never a local one', () => {
    const claims = { iss: 'https://login.microsoftonline.com/t/v2.0', sub: 'x', oid: MAJA_OID.toUpperCase(), name: '  Maja\u0007 Berg ', groups: [AGENTS_GROUP.toUpperCase()] };
    expect(agentFromClaims(claims, [AGENTS_GROUP])).toEqual({ ok: true, agent: { id: `entra-${MAJA_OID}`, displayName: 'Maja Berg' } });
    expect(agentFromClaims({ ...claims, groups: [] }, [AGENTS_GROUP])).toEqual({ ok: false, reason: 'not-allowed', attemptedId: `entra-${MAJA_OID}`, groupOverage: false });
    // Too many groups for the token: Entra leaves them out and says where to find them; an app role still works.
    expect(agentFromClaims({ ...claims, groups: undefined, _claim_names: { groups: 'src1' } }, [AGENTS_GROUP])).toMatchObject({ ok: false, groupOverage: true });
    expect(agentFromClaims({ ...claims, groups: undefined, roles: ['Console.Agent'] }, ['Console.Agent'])).toMatchObject({ ok: true });
    // A provider without oid: a hash of issuer and subject; no name: the username, else the id.
    const other = agentFromClaims({ iss: 'https://idp.example', sub: 'Maja', preferred_username: 'maja@example.com', roles: ['agents'] }, ['agents']);
    expect(other).toMatchObject({ ok: true, agent: { id: expect.stringMatching(/^oidc-[0-9a-f]{32}$/), displayName: 'maja@example.com' } });
    expect(agentFromClaims({ iss: 'x', roles: ['agents'] }, ['agents'])).toEqual({ ok: false, reason: 'no-identity' });
  });
});

describe('configuration (AGENT_OIDC_* variables)', () => {
  const entra = {
    AGENT_OIDC_ISSUER: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
    AGENT_OIDC_CLIENT_ID: CLIENT_ID,
    AGENT_OIDC_CLIENT_SECRET: 'Abc8Q~secret-value-from-the-portal',
    AGENT_OIDC_ALLOWED_GROUPS: `${AGENTS_GROUP.toUpperCase()}, Console.Agent`,
    CONSOLE_PUBLIC_URL: 'https://support.example.com/',
  };

  it('reads all of it, the callback from CONSOLE_PUBLIC_URL unless given', () => {
    expect(loadConfig(entra)).toMatchObject({
      ok: true,
      config: {
        agents: {
          oidc: {
            issuer: entra.AGENT_OIDC_ISSUER,
            clientId: CLIENT_ID,
            clientSecret: entra.AGENT_OIDC_CLIENT_SECRET,
            redirectUrl: 'https://support.example.com/agent/oidc/callback',
            allowedGroups: [AGENTS_GROUP, 'Console.Agent'],
          },
        },
      },
    });
    expect(loadConfig({ ...entra, AGENT_OIDC_REDIRECT_URL: 'http://localhost:3978/agent/oidc/callback' })).toMatchObject({ config: { agents: { oidc: { redirectUrl: 'http://localhost:3978/agent/oidc/callback' } } } });
    const none = loadConfig({});
    expect(none.ok && none.config.agents.oidc).toBeUndefined();
  });

  it('all or nothing: some set and some missing is one clear problem', () => {
    const result = loadConfig({ AGENT_OIDC_ISSUER: entra.AGENT_OIDC_ISSUER, AGENT_OIDC_CLIENT_ID: CLIENT_ID });
    expect(result).toEqual({ ok: false, problems: [expect.stringMatching(/^AGENT_OIDC_CLIENT_SECRET, AGENT_OIDC_ALLOWED_GROUPS: .*set together/)] });
    expect(loadConfig({ AGENT_OIDC_REDIRECT_URL: 'https://support.example.com/agent/oidc/callback' }).ok).toBe(false);
    const { CONSOLE_PUBLIC_URL: _, ...withoutConsole } = entra;
    expect(loadConfig(withoutConsole)).toEqual({ ok: false, problems: [expect.stringMatching(/^AGENT_OIDC_REDIRECT_URL: required unless CONSOLE_PUBLIC_URL/)] });
  });

  it('https only (plain http to localhost for development), one tenant, the right callback path, an allow-list; the secret never shown', () => {
    const problems = (env: Record<string, string>) => {
      const result = loadConfig({ ...entra, ...env });
      return result.ok ? [] : result.problems;
    };
    expect(problems({ AGENT_OIDC_ISSUER: 'http://login.example.com/t/v2.0' })).toEqual([expect.stringMatching(/^AGENT_OIDC_ISSUER: must use https/)]);
    expect(problems({ AGENT_OIDC_ISSUER: 'http://127.0.0.1:8080/t/v2.0' })).toEqual([]);
    expect(problems({ AGENT_OIDC_ISSUER: 'https://login.microsoftonline.com/common/v2.0' })).toEqual([expect.stringMatching(/^AGENT_OIDC_ISSUER: must name your own tenant/)]);
    expect(problems({ AGENT_OIDC_ISSUER: 'not a url' })).toEqual([expect.stringMatching(/^AGENT_OIDC_ISSUER: must be a URL/)]);
    expect(problems({ AGENT_OIDC_REDIRECT_URL: 'https://support.example.com/callback' })).toEqual([expect.stringMatching(/^AGENT_OIDC_REDIRECT_URL: must end in \/agent\/oidc\/callback/)]);
    expect(problems({ CONSOLE_PUBLIC_URL: 'http://support.example.com' })).toEqual([expect.stringMatching(/^AGENT_OIDC_REDIRECT_URL \(from CONSOLE_PUBLIC_URL\): must use https/)]);
    expect(problems({ AGENT_OIDC_ALLOWED_GROUPS: ' , ' })).toEqual([expect.stringMatching(/^AGENT_OIDC_ALLOWED_GROUPS: /)]);
    expect(problems({ AGENT_OIDC_ALLOWED_GROUPS: 'agents; admins' })).toEqual([expect.stringMatching(/^AGENT_OIDC_ALLOWED_GROUPS: .*"agents; admins"/)]);
    const secret = problems({ AGENT_OIDC_CLIENT_SECRET: 'has a space in it' });
    expect(secret).toEqual([expect.stringMatching(/^AGENT_OIDC_CLIENT_SECRET: .*\(value hidden\)$/)]);
    expect(secret.join('')).not.toContain('has a space');
  });
});
