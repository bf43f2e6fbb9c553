import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { createLogger } from '../../src/log';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';

describe('server over real HTTP (embedded SQLite, no credentials)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bot-e2e-'));
  const logLines: string[] = [];
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  const post = (body: string, contentType = 'application/json') =>
    fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': contentType }, body });

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(
      testConfig({ storage: { kind: 'sqlite', path: join(dir, 'bot.sqlite') }, sqlitePath: join(dir, 'bot.sqlite'), maxBodyBytes: 64 * 1024 }),
      createLogger('debug', (line) => logLines.push(line)),
    );
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('invoke activities get an answer, never 501', () => {
    const invoke = (conversationId: string, name: string, value?: unknown) =>
      post(JSON.stringify(inbound(connector.url, conversationId, { type: 'invoke', name, value, locale: 'sv-SE' })));

    it("Teams' health check is told all is well", async () => {
      const res = await invoke('conv-invoke-health', 'healthCheck');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ healthResults: { success: true } });
    });

    it('an invoke the bot does not know is acknowledged with an empty 200', async () => {
      const res = await invoke('conv-invoke-unknown', 'composeExtension/query', { commandId: 'x' });
      expect(res.status).toBe(200);
    });

    it("a card's Action.Execute answers the question open, as a button's message would", async () => {
      expect((await openSwedishChat('conv-invoke-card')).status).toBe(200);
      const res = await invoke('conv-invoke-card', 'adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'choose', data: { choice: 'general' } } });
      expect(res.status).toBe(200);
      // The card comes back refreshed: the question and the choice, no buttons to press again.
      const body = (await res.json()) as { value: { actions?: unknown } };
      expect(body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: { type: 'AdaptiveCard' } });
      expect(JSON.stringify(body.value)).toContain('✔ Allmänna frågor');
      expect(body.value.actions).toBeUndefined();
      expect(connector.textsFor('conv-invoke-card').join('\n')).toContain('Så här fungerar en uppsägning:');
    });
  });

  it('GET /healthz answers once the store answers', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  /** A Swedish caller opens a chat of their own; each test uses its own conversation id, so none relies on another. */
  const openSwedishChat = (conversationId: string) =>
    post(JSON.stringify(inbound(connector.url, conversationId, {
      type: 'conversationUpdate', locale: 'sv-SE', membersAdded: [{ id: `user-${conversationId}`, name: 'Caller' }],
    })));

  it('a Swedish caller who opens the chat is greeted in Swedish at the connector', async () => {
    const res = await openSwedishChat('conv-sv-greeting');
    expect(res.status).toBe(200);
    const texts = connector.textsFor('conv-sv-greeting');
    expect(texts[0]).toContain('Hej! Jag är prenumerationsassistenten.');
    expect(texts[1]).toBe('Vad vill du göra?');
  });

  it('a Swedish message is answered in Swedish, in the same conversation', async () => {
    expect((await openSwedishChat('conv-sv-message')).status).toBe(200);
    const greeting = connector.textsFor('conv-sv-message');
    expect(greeting.at(-1)).toBe('Vad vill du göra?');
    const res = await post(JSON.stringify(inbound(connector.url, 'conv-sv-message', { type: 'message', text: 'Allmänna frågor', locale: 'sv-SE' })));
    expect(res.status).toBe(200);
    const texts = connector.textsFor('conv-sv-message').slice(greeting.length);
    expect(texts[0]).toContain('Så här fungerar en uppsägning:');
    expect(texts[1]).toBe('Vill du att jag tittar på din egen prenumeration? Välj vad du vill göra, så kontrollerar jag först vem du är.');
    // Answered once, to this conversation, in reply to the message: not a new greeting.
    expect(texts.join('\n')).not.toContain('Hej! Jag är prenumerationsassistenten.');
  });

  it('an English message gets an English greeting and the suggested actions', async () => {
    const res = await post(JSON.stringify(inbound(connector.url, 'conv-en', { type: 'message', text: 'hello', locale: 'en-US' })));
    expect(res.status).toBe(200);
    const replies = connector.replies.filter((r) => r.activity.conversation?.id === 'conv-en');
    expect(replies[0].activity.text).toContain("Hi! I'm the subscription assistant.");
    expect(replies[1].activity.suggestedActions?.actions.map((a) => a.title)).toEqual([
      'Cancel subscription', 'Fast revoke', 'Reactivate', 'General questions', 'Talk to a person',
    ]);
    expect(replies[0].path).toMatch(/^\/v3\/conversations\/conv-en\/activities\//);
    expect(replies[0].authorization).toBeUndefined(); // no app ID: nothing to sign with
  });

  it.each([
    ['malformed JSON', '{"type":"message",', 'application/json', 400],
    ['a JSON array', '[1,2,3]', 'application/json', 400],
    ['a JSON string', '"hello"', 'application/json', 400],
    ['plain text', 'hello', 'text/plain', 415],
    ['a form (what any web page can make a browser post)', 'type=message&text=hi&serviceUrl=http%3A%2F%2F127.0.0.1%3A1&channelId=x&conversation[id]=c', 'application/x-www-form-urlencoded', 415],
    ['an activity without a type', JSON.stringify({ text: 'hi', serviceUrl: 'http://127.0.0.1:1', channelId: 'x', conversation: { id: 'c' } }), 'application/json', 400],
    ['an activity without a conversation', JSON.stringify({ type: 'message', text: 'hi', serviceUrl: 'http://127.0.0.1:1', channelId: 'x' }), 'application/json', 400],
    ['a serviceUrl that is no URL', JSON.stringify({ type: 'message', serviceUrl: 'not a url', channelId: 'x', conversation: { id: 'c' } }), 'application/json', 400],
  ])('%s → %i with a plain body, and the server stays up', async (_name, body, contentType, status) => {
    const res = await post(body, contentType);
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).not.toMatch(/position|Unexpected|JSON at|stack|Error:/i);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a body over the limit → 413', async () => {
    const res = await post(JSON.stringify({ type: 'message', text: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'PayloadTooLarge' });
  });

  it('a compressed body is refused (415): it could inflate past any limit', async () => {
    const { gzipSync } = await import('node:zlib');
    const res = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(Buffer.from(JSON.stringify({ type: 'message', text: 'x'.repeat(1_000_000) }))),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: 'UnsupportedMediaType' });
  });

  it('an unknown route → 404 without details', async () => {
    const res = await fetch(`${base}/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('nothing-here');
  });

  it('logs carry no parser internals to the caller but keep them for operators', async () => {
    const logged = logLines.length;
    const res = await post('{"type":"message",');
    expect(res.status).toBe(400);
    expect(await res.text()).not.toMatch(/position|Unexpected|JSON at|stack|Error:|Invalid JSON/i);
    expect(logLines.slice(logged).some((line) => line.includes('"event":"http.error"') && line.includes('Invalid JSON'))).toBe(true);
  });
});
