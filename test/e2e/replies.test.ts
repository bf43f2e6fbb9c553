import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelay, DEFAULT_REPLY_RETRY, ReplyTimeoutError, safeToSendAgain, withReplyRetries } from '../../src/bot/replyRetry';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { testConfig } from '../support/bot';
import { inbound } from '../support/connectorStub';
import { NOW } from '../support/facts';

/**
 * A Bot Connector that answers the first replies with the statuses given (and headers), then takes everything; it
 * records every reply it was sent, taken or not.
 */
async function flakyConnector(script: Array<{ status: number; headers?: Record<string, string> }>) {
  const attempts: Array<{ text?: string; status: number; at: number }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const activity = JSON.parse(body || '{}') as { text?: string; type?: string };
      if (activity.type !== 'message') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":"t"}');
        return;
      }
      const next = script.shift() ?? { status: 200 };
      attempts.push({ text: activity.text, status: next.status, at: Date.now() });
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(next.status < 300 ? JSON.stringify({ id: `r${attempts.length}` }) : '{"error":{"code":"x"}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    delivered: () => attempts.filter((a) => a.status < 300).map((a) => a.text),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('replies the connector does not take at once', () => {
  let app: App | undefined;
  let connector: Awaited<ReturnType<typeof flakyConnector>> | undefined;

  afterEach(async () => {
    await app?.close();
    await connector?.close();
  });

  async function greet(script: Array<{ status: number; headers?: Record<string, string> }>) {
    connector = await flakyConnector(script);
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    const { url } = await app.listen();
    const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, 'c1', { type: 'message', text: 'hej', locale: 'sv-SE', channelId: 'test' })) });
    return { status: res.status, connector };
  }

  it.each([412, 429, 502, 503, 504])('%i twice, then 200: retried here, the reply is delivered once, nothing sent twice', async (status) => {
    const { status: http, connector } = await greet([{ status }, { status }]);
    expect(http).toBe(200);
    const delivered = connector.delivered();
    expect(delivered[0]).toContain('Hej! Jag är prenumerationsassistenten.');
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(connector.attempts.filter((a) => a.text === delivered[0])).toHaveLength(3);
  });

  it('a 500 is never tried again (the connector may have posted it): one try, even though the SDK\'s own pipeline would retry it', async () => {
    const { status: http, connector } = await greet([{ status: 500 }]);
    expect(http).toBe(200);
    const greeting = connector.attempts.filter((a) => a.text?.includes('Hej! Jag är prenumerationsassistenten.'));
    expect(greeting).toHaveLength(1);
    expect(greeting[0].status).toBe(500);
  });

  it('a 429 asking for longer than a turn can wait is not waited for in the turn', async () => {
    const started = Date.now();
    const { connector } = await greet([{ status: 429, headers: { 'retry-after': '60' } }]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(connector.attempts.filter((a) => a.text?.includes('Hej! Jag är prenumerationsassistenten.'))).toHaveLength(1);
  });

  it('429 with Retry-After waits as long as asked before the next try', async () => {
    const { connector } = await greet([{ status: 429, headers: { 'retry-after': '1' } }]);
    const [first, second] = connector.attempts;
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);
    expect(connector.delivered()[0]).toContain('Hej!');
  });

  it('a 400 is not tried again: asking again will not make it better', async () => {
    const { connector } = await greet([{ status: 400 }]);
    const greeting = connector.attempts.filter((a) => a.text?.includes('Hej! Jag är prenumerationsassistenten.'));
    expect(greeting).toHaveLength(1);
  });

  it('waits double, with jitter; gives up after the last try; never retries what may have been posted', () => {
    const error = (statusCode: number) => ({ statusCode });
    expect(retryDelay(error(412), 1, DEFAULT_REPLY_RETRY, () => 1)).toBe(250);
    expect(retryDelay(error(503), 2, DEFAULT_REPLY_RETRY, () => 0)).toBe(250);
    expect(retryDelay(error(504), 3, DEFAULT_REPLY_RETRY, () => 1)).toBe(1000);
    expect(retryDelay(error(412), 4, DEFAULT_REPLY_RETRY)).toBeUndefined();
    expect(retryDelay(error(429), 1, DEFAULT_REPLY_RETRY, () => 1)).toBe(250);
    for (const status of [400, 401, 403, 404, 500, 501]) expect(retryDelay(error(status), 1, DEFAULT_REPLY_RETRY)).toBeUndefined();
    // Retry-After in seconds or as a date; longer than a turn may wait: not here.
    const after = (value: string) => ({ statusCode: 429, response: { headers: { get: (name: string) => (name === 'retry-after' ? value : undefined) } } });
    expect(retryDelay(after('2'), 1, DEFAULT_REPLY_RETRY)).toBe(2000);
    expect(retryDelay(after(new Date(Date.UTC(2026, 0, 1, 0, 0, 1)).toUTCString()), 1, DEFAULT_REPLY_RETRY, Math.random, Date.UTC(2026, 0, 1))).toBe(1000);
    expect(retryDelay(after('60'), 1, DEFAULT_REPLY_RETRY)).toBeUndefined();
    // Refused, or reset before any answer (a stale kept-alive socket): not received. No answer in time: it may have been.
    expect(retryDelay({ code: 'ECONNREFUSED' }, 1, DEFAULT_REPLY_RETRY, () => 1)).toBe(250);
    expect(retryDelay({ code: 'ECONNRESET' }, 1, DEFAULT_REPLY_RETRY, () => 1)).toBe(250);
    expect(retryDelay({ message: 'socket hang up' }, 1, DEFAULT_REPLY_RETRY, () => 1)).toBe(250);
    expect(retryDelay(new ReplyTimeoutError(5000), 1, DEFAULT_REPLY_RETRY)).toBeUndefined();
  });

  it('the turn\'s budget for replies: every reply gets its first try, no retry or wait ends past it, and what was refused may be sent later', async () => {
    const busy = Object.assign(new Error('busy'), { statusCode: 503 });
    expect(await withReplyRetries(async () => 'sent', { ...DEFAULT_REPLY_RETRY, deadline: Date.now() - 1 })).toBe('sent');
    let late = 0;
    await expect(
      withReplyRetries(
        async () => {
          late++;
          throw busy;
        },
        { ...DEFAULT_REPLY_RETRY, deadline: Date.now() - 1 },
      ),
    ).rejects.toBe(busy);
    expect(late).toBe(1);
    let tries = 0;
    const started = Date.now();
    const failure = await withReplyRetries(
      async () => {
        tries++;
        throw busy;
      },
      { ...DEFAULT_REPLY_RETRY, attempts: 10, baseDelayMs: 200, deadline: Date.now() + 700 },
    ).catch((error: unknown) => error);
    expect(failure).toBe(busy);
    expect(Date.now() - started).toBeLessThan(700);
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(safeToSendAgain(failure)).toBe(true);
  });

  it('a connector that never answers does not hold the turn: the reply is given up after its time limit', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    const { url } = await app.listen();
    const started = Date.now();
    const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'c-silent', { type: 'message', text: 'hej', locale: 'sv-SE', channelId: 'test' })) });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(DEFAULT_REPLY_RETRY.timeoutMs * 2);
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});
