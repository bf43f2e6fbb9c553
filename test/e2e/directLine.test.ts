import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import nock from 'nock';
import { gunzipSync } from 'node:zlib';
import type { Activity } from 'botbuilder';
import { createApp, type App } from '../../src/server';
import { createLogger, silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { loadConfig, type AppConfig } from '../../src/config';
import { i18n, testConfig } from '../support/bot';
import { NOW } from '../support/facts';
import { WEBCHAT_PATH } from '../../src/channels/webChat/widgetRoutes';
import { createRateLimiter } from '../../src/channels/rateLimiter';

/**
 * The widget's way in, over real HTTP: the token endpoint, and the bot's own Direct Line 3.0 endpoint driven the way
 * the stock Web Chat drives it (start, post with a clientActivityID, poll with a watermark, refresh), plus the
 * production exchange of DIRECTLINE_SECRET with Microsoft's service (nock).
 */
const sv = i18n.getFixedT('sv');
const en = i18n.getFixedT('en');

async function start(config: Partial<AppConfig> = {}, logLines?: string[]): Promise<{ app: App; url: string }> {
  const logger = logLines ? createLogger('debug', (line) => logLines.push(line)) : silentLogger;
  const app = await createApp(testConfig(config), logger, { store: memoryStateStore(), now: () => NOW });
  return { app, url: (await app.listen()).url };
}

interface Token {
  token: string;
  conversationId: string;
  userId: string;
  expiresIn: number;
  mode: string;
}

/** A Direct Line client as Web Chat is one: token, start, post, poll. */
function client(url: string) {
  let watermark = '';
  const headers = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const self = {
    async token(extra: Record<string, string> = {}): Promise<Response> {
      return fetch(`${url}/api/directline/token`, { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: '{}' });
    },
    async open(locale: string): Promise<Token> {
      const token = (await (await self.token()).json()) as Token;
      const started = await fetch(`${url}/v3/directline/conversations`, { method: 'POST', headers: headers(token.token), body: JSON.stringify({ user: { id: token.userId }, locale }) });
      expect(started.status).toBe(200);
      return token;
    },
    post(token: Token, activity: Record<string, unknown>, conversationId = token.conversationId): Promise<Response> {
      return fetch(`${url}/v3/directline/conversations/${conversationId}/activities`, { method: 'POST', headers: headers(token.token), body: JSON.stringify(activity) });
    },
    poll(token: Token, from = watermark, conversationId = token.conversationId): Promise<Response> {
      return fetch(`${url}/v3/directline/conversations/${conversationId}/activities?watermark=${from}`, { headers: headers(token.token) });
    },
    /** Polls until a bot message matching `pattern` arrives (as Web Chat does every 200 ms); returns every new activity. */
    async until(token: Token, pattern: RegExp, timeoutMs = 5000): Promise<Array<Partial<Activity>>> {
      const seen: Array<Partial<Activity>> = [];
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const set = (await (await self.poll(token)).json()) as { activities: Array<Partial<Activity>>; watermark: string };
        watermark = set.watermark;
        seen.push(...set.activities);
        if (seen.some((a) => a.from?.role === 'bot' && pattern.test(a.text ?? ''))) return seen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no bot message matching ${pattern} within ${timeoutMs} ms; got: ${seen.map((a) => a.text).join(' | ')}`);
    },
  };
  return self;
}

describe('the local Direct Line endpoint (no DIRECTLINE_SECRET)', () => {
  let app: App;
  let url: string;

  beforeAll(async () => ({ app, url } = await start()));
  afterAll(() => app.close());

  it('gives a token for a new conversation, never reused, with the local mode the widget needs', async () => {
    const c = client(url);
    const [first, second] = await Promise.all([c.token(), c.token()]);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const a = (await first.json()) as Token;
    const b = (await second.json()) as Token;
    expect(a).toMatchObject({ mode: 'local', expiresIn: 1800 });
    expect(a.token).toMatch(/^[\w-]{40,}$/);
    expect(a.userId).toMatch(/^web_/);
    expect(b.token).not.toBe(a.token);
    expect(b.conversationId).not.toBe(a.conversationId);
  });

  it('greets at conversation start in the locale of conversationStartProperties, Swedish and English', async () => {
    const c = client(url);
    const swedish = await c.open('sv-SE');
    expect((await c.until(swedish, /Vad vill du göra\?/)).map((a) => a.text)).toContain(sv('main:whatToDo'));
    const d = client(url);
    const english = await d.open('en-US');
    const greeting = await d.until(english, /What would you like to do\?/);
    expect(greeting.every((a) => a.from?.role === 'bot' && a.recipient?.id === english.userId)).toBe(true);
    expect(greeting.map((a) => a.text)).toContain(en('main:whatToDo'));
  });

  it("gives the caller's own message back with its clientActivityID (Web Chat's proof it was sent), then the answer", async () => {
    const c = client(url);
    const token = await c.open('sv-SE');
    await c.until(token, /Vad vill du göra\?/);
    const posted = await c.post(token, { type: 'message', text: 'Jag vill säga upp min prenumeration', locale: 'sv-SE', from: { id: 'someone-else', role: 'user' }, channelData: { clientActivityID: 'client-1', clientTimestamp: '2026-12-01T10:00:00Z' } });
    expect(posted.status).toBe(200);
    const { id } = (await posted.json()) as { id: string };
    const after = await c.until(token, /användar-ID/);
    const echo = after.find((a) => a.id === id);
    // The sender is who the token says, whatever the client claimed.
    expect(echo).toMatchObject({ type: 'message', text: 'Jag vill säga upp min prenumeration', from: { id: token.userId, role: 'user' }, channelData: { clientActivityID: 'client-1' } });
    const reply = after.find((a) => a.from?.role === 'bot' && /användar-ID/.test(a.text ?? ''));
    expect(reply?.replyToId).toBe(id);
    expect(reply).not.toHaveProperty('serviceUrl');
  });

  /** The bot's activities of a whole verification, posted answer by answer, as Web Chat would read them. */
  async function verifiedAnna(at: string): Promise<Array<Partial<Activity>>> {
    const c = client(at);
    const token = await c.open('sv-SE');
    await c.until(token, /Vad vill du göra\?/);
    const answers = ['Jag vill säga upp min prenumeration', 'anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', 'ja'];
    for (const [i, text] of answers.entries()) expect((await c.post(token, { type: 'message', text, locale: 'sv-SE', channelData: { clientActivityID: `v${i}` } })).status).toBe(200);
    return ((await (await c.poll(token, '0')).json()) as { activities: Array<Partial<Activity>> }).activities;
  }

  it('shows the bot typing while it checks the details (a typing activity before the verdict), as Web Chat renders it', async () => {
    // Every verdict takes this long at least (VERIFICATION_MIN_RESPONSE_MS): the caller waits, and sees the bot typing.
    const padded = await start({ verificationMinResponseMs: 600 });
    try {
      const all = await verifiedAnna(padded.url);
      const checking = all.findIndex((a) => a.text?.startsWith(sv('verify:checking')));
      expect(checking).toBeGreaterThan(0);
      expect(all[checking - 1]).toMatchObject({ type: 'typing', from: { role: 'bot' } });
    } finally {
      await padded.app.close();
    }
  });

  it('shows no typing where the answer comes at once: the words, without an indicator flickering before them', async () => {
    const all = await verifiedAnna(url);
    expect(all.some((a) => a.text?.startsWith(sv('verify:checking')))).toBe(true);
    expect(all.filter((a) => a.type === 'typing')).toEqual([]);
  });

  it('counts watermarks from 0 (= none): each poll gives only what is new, and the watermark never goes back', async () => {
    const c = client(url);
    const token = await c.open('en-US');
    await c.until(token, /What would you like to do\?/);
    const all = (await (await c.poll(token, '0')).json()) as { activities: unknown[]; watermark: string };
    const none = (await (await c.poll(token, '')).json()) as { activities: unknown[]; watermark: string };
    expect(none).toEqual(all);
    expect(Number(all.watermark)).toBe(all.activities.length);
    const later = (await (await c.poll(token, all.watermark)).json()) as { activities: unknown[]; watermark: string };
    expect(later).toEqual({ activities: [], watermark: all.watermark });
    const beyond = (await (await c.poll(token, '999999')).json()) as { activities: unknown[]; watermark: string };
    expect(beyond).toEqual({ activities: [], watermark: all.watermark });
  });

  it("keeps each browser to its own conversation: another's id, a made-up token or none at all is 403", async () => {
    const c = client(url);
    const mine = await c.open('sv-SE');
    const theirs = await client(url).open('sv-SE');
    expect((await c.poll(mine, '', theirs.conversationId)).status).toBe(403);
    expect((await c.post(mine, { type: 'message', text: 'hej' }, theirs.conversationId)).status).toBe(403);
    expect((await c.poll({ ...mine, token: 'made-up-token' })).status).toBe(403);
    const anonymous = await fetch(`${url}/v3/directline/conversations/${mine.conversationId}/activities`);
    expect(anonymous.status).toBe(403);
    expect(await anonymous.json()).toEqual({ error: { code: 'TokenExpiredOrInvalid' } });
  });

  it('refreshes a token for the same conversation; reconnecting (a page reloaded) finds the conversation again', async () => {
    const c = client(url);
    const token = await c.open('sv-SE');
    await c.until(token, /Vad vill du göra\?/);
    const refreshed = await fetch(`${url}/v3/directline/tokens/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token.token}` } });
    expect(refreshed.status).toBe(200);
    const fresh = (await refreshed.json()) as { conversationId: string; token: string; expires_in: number };
    expect(fresh.conversationId).toBe(token.conversationId);
    expect(fresh.token).not.toBe(token.token);
    const resumed = await fetch(`${url}/v3/directline/conversations/${token.conversationId}?watermark=`, { headers: { authorization: `Bearer ${fresh.token}` } });
    expect(resumed.status).toBe(200);
    expect(await resumed.json()).toMatchObject({ conversationId: token.conversationId, token: fresh.token });
    const history = (await (await c.poll({ ...token, token: fresh.token }, '')).json()) as { activities: Array<Partial<Activity>> };
    expect(history.activities.map((a) => a.text)).toContain(sv('main:whatToDo'));
  });

  it('starting the same conversation twice greets once', async () => {
    const c = client(url);
    const token = await c.open('sv-SE');
    await fetch(`${url}/v3/directline/conversations`, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: '{}' });
    await c.until(token, /Vad vill du göra\?/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const all = (await (await c.poll(token, '')).json()) as { activities: Array<Partial<Activity>> };
    expect(all.activities.filter((a) => a.text === sv('main:whatToDo'))).toHaveLength(1);
  });

  it('a language picked in the widget switches the conversation and asks the open question again in it', async () => {
    const c = client(url);
    const token = await c.open('sv-SE');
    await c.until(token, /Vad vill du göra\?/);
    await c.post(token, { type: 'message', text: 'Jag vill säga upp min prenumeration', locale: 'sv-SE', channelData: { clientActivityID: 'c1' } });
    await c.until(token, /användar-ID/);
    expect((await c.post(token, { type: 'event', name: 'setLanguage', value: 'en', locale: 'en-US', channelData: { clientActivityID: 'c2', localeChosen: true } })).status).toBe(200);
    const switched = await c.until(token, /user ID/);
    expect(switched.map((a) => a.text)).toContain(en('interruptions:languageSwitched'));
    // The choice sticks, whatever locale later messages carry, and the answer given is kept.
    await c.post(token, { type: 'message', text: 'anna.lindqvist@fjordfika.se', locale: 'sv-SE', channelData: { clientActivityID: 'c3' } });
    await c.until(token, /phone/i);
  });

  it('refuses what it does not take: a malformed activity 400, an upload or a multipart body 415', async () => {
    const c = client(url);
    const token = await c.open('sv-SE');
    expect((await c.post(token, { type: 'conversationUpdate' })).status).toBe(400);
    expect((await c.post(token, { type: 'message', text: 42 })).status).toBe(400);
    const upload = await fetch(`${url}/v3/directline/conversations/${token.conversationId}/upload?userId=${token.userId}`, { method: 'POST', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(upload.status).toBe(415);
    const form = new FormData();
    form.append('file', new Blob(['x'.repeat(1000)]), 'a.txt');
    const multipart = await fetch(`${url}/v3/directline/conversations/${token.conversationId}/upload`, { method: 'POST', headers: { authorization: `Bearer ${token.token}` }, body: form });
    expect(multipart.status).toBe(415);
  });

  it('answers CORS for its own origin and allowed ones only; the preflight allows what Web Chat sends', async () => {
    const own = new URL(url).origin;
    const preflight = await fetch(`${url}/v3/directline/conversations`, { method: 'OPTIONS', headers: { origin: own, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-ms-bot-agent' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(own);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, x-ms-bot-agent, X-Requested-With');
    const refused = await fetch(`${url}/api/directline/token`, { method: 'OPTIONS', headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const token = await client(url).token({ origin: 'https://elsewhere.example' });
    expect(token.status).toBe(403);
    expect(await token.json()).toEqual({ error: 'OriginNotAllowed' });
  });

  it('no one speaks in a local conversation through /api/messages, whatever serviceUrl or channel they claim', async () => {
    const token = await client(url).open('sv-SE');
    const forged = (fields: Record<string, unknown>) =>
      fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'message', text: 'ja', channelId: 'directline', serviceUrl: 'http://127.0.0.1:1', conversation: { id: token.conversationId }, from: { id: token.userId }, ...fields }),
      });
    expect((await forged({})).status).toBe(403);
    expect((await forged({ serviceUrl: 'https://directline.local.invalid/', conversation: { id: 'another' } })).status).toBe(403);
  });

  it('counts only loopback names as the bot\'s own origin: a page whose name points here (DNS rebinding) is refused', async () => {
    const { port } = new URL(url);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/api/directline/token', method: 'POST', headers: { host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
    const own = await client(url).token({ origin: new URL(url).origin });
    expect(own.status).toBe(200);
  });

  it('serves the demo page, the widget with its words in both languages, and Web Chat from npm (gzip, cached)', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<script src="/widget.js" async></script>');
    const widget = await (await fetch(`${url}/widget.js`)).text();
    expect(widget).toContain(JSON.stringify(sv('widget:notAllowed')));
    expect(widget).toContain(JSON.stringify(en('widget:launcher')));
    expect(widget).toContain(WEBCHAT_PATH);
    expect(widget).not.toContain('__WIDGET_CONFIG__*/null');
    const bundle = await fetch(`${url}${WEBCHAT_PATH}`, { headers: { 'accept-encoding': 'identity' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toContain('immutable');
    const etag = bundle.headers.get('etag') as string;
    expect((await fetch(`${url}${WEBCHAT_PATH}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('sends the Web Chat bundle compressed to a browser that takes gzip', async () => {
    const { request } = await import('node:http');
    const body = await new Promise<Buffer>((resolve, reject) => {
      request(`${url}${WEBCHAT_PATH}`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        expect(res.headers['content-encoding']).toBe('gzip');
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
      })
        .on('error', reject)
        .end();
    });
    expect(body.length).toBeLessThan(1_500_000);
    expect(gunzipSync(body).toString('utf8', 0, 2000)).toMatch(/webchat|WebChat|function/);
  });
});

describe('limits of the token endpoint', () => {
  it('rate-limits tokens per client: 429 with Retry-After once the minute is used up', async () => {
    const { app, url } = await start({ webChat: { allowedOrigins: [], directLine: { kind: 'local' }, tokensPerMinute: 3, trustProxy: false } });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await client(url).token()).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limited = await client(url).token();
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
    }
  });

  it('the token bucket refills with time and keeps clients apart', () => {
    let now = 0;
    const limiter = createRateLimiter(2, { now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((r) => r.ok)).toEqual([true, true, false]);
    expect(limiter.take('b').ok).toBe(true);
    now += 30_000;
    expect(limiter.take('a').ok).toBe(true);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 30 });
  });

  it('with a Bot Framework identity and no secret, there is no local endpoint unless LOCAL_DIRECTLINE=on', async () => {
    const identity = { MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'x', OTP_SENDER: 'http', SMS_GATEWAY_URL: 'https://sms.example', AGENT_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' };
    const deployed = loadConfig(identity);
    expect(deployed.ok && deployed.config.webChat.directLine).toEqual({ kind: 'none' });
    const enabled = loadConfig({ ...identity, LOCAL_DIRECTLINE: 'on' });
    expect(enabled.ok && enabled.config.webChat.directLine).toEqual({ kind: 'local' });
    expect(loadConfig({}).ok && (loadConfig({}) as { config: AppConfig }).config.webChat.directLine).toEqual({ kind: 'local' });
    const bad = loadConfig({ WIDGET_ALLOWED_ORIGINS: 'https://help.example.com/path' });
    expect(bad.ok).toBe(false);
    const good = loadConfig({ WIDGET_ALLOWED_ORIGINS: 'https://help.example.com, http://localhost:8080' });
    expect(good.ok && good.config.webChat.allowedOrigins).toEqual(['https://help.example.com', 'http://localhost:8080']);

    const { app, url } = await start({ auth: { MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'x', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' }, webChat: { allowedOrigins: [], directLine: { kind: 'none' }, tokensPerMinute: 10, trustProxy: false } });
    try {
      expect((await client(url).token()).status).toBe(503);
      expect((await fetch(`${url}/v3/directline/conversations`, { method: 'POST' })).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('production: DIRECTLINE_SECRET exchanged with the Direct Line service', () => {
  const SECRET = 'directline-secret-never-in-a-browser';
  const ENDPOINT = 'https://europe.directline.botframework.com/v3/directline';
  let app: App;
  let url: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    ({ app, url } = await start({ webChat: { allowedOrigins: ['https://help.example.com'], directLine: { kind: 'service', secret: SECRET, endpoint: ENDPOINT, timeoutMs: 1000 }, tokensPerMinute: 100, trustProxy: false } }, logLines));
    nock.disableNetConnect();
    nock.enableNetConnect(/127\.0\.0\.1|localhost/);
  });
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    await app.close();
  });

  it('asks tokens/generate with the secret for a dl_ user it makes up, and gives the browser only the token', async () => {
    let sentUser: string | undefined;
    const scope = nock('https://europe.directline.botframework.com', { reqheaders: { authorization: `Bearer ${SECRET}` } })
      .post('/v3/directline/tokens/generate', (body: { user?: { id?: string } }) => {
        sentUser = body.user?.id;
        return true;
      })
      .reply(200, { conversationId: 'conv-from-service', token: 'service-token', expires_in: 3600 });
    const res = await client(url).token({ origin: 'https://help.example.com' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://help.example.com');
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({ token: 'service-token', conversationId: 'conv-from-service', userId: sentUser, expiresIn: 3600, mode: 'service', domain: ENDPOINT });
    expect(sentUser).toMatch(/^dl_[\w-]{16}$/);
    expect(scope.isDone()).toBe(true);
  });

  it('the service down or refusing the secret: 502 for the widget, nothing of the secret in the log', async () => {
    nock('https://europe.directline.botframework.com').post('/v3/directline/tokens/generate').times(2).reply(503, 'unavailable');
    expect((await client(url).token()).status).toBe(502);
    nock('https://europe.directline.botframework.com').post('/v3/directline/tokens/generate').reply(403, { error: { code: 'BadArgument', message: 'secret' } });
    expect((await client(url).token()).status).toBe(502);
    nock('https://europe.directline.botframework.com').post('/v3/directline/tokens/generate').reply(200, { unexpected: true });
    expect((await client(url).token()).status).toBe(502);
    expect(logLines.some((line) => line.includes('directline.token-failed'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(SECRET);
  });

  it('no local endpoint beside the service, and no demo page (it is for development); the widget is served', async () => {
    expect((await fetch(`${url}/v3/directline/conversations`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/widget.js`)).status).toBe(200);
  });
});
