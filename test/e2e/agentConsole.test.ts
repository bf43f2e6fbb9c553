import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { addAgent } from '../../src/tools/agentAdd';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';
import { switchableSubscriptions } from '../support/billing';
import { WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

/**
 * The agent console over real HTTP, as a browser uses it: an agent signs in with their own account, sees the waiting
 * hand-off in the queue, takes it (the caller's channel is told who joined), follows the caller's messages live
 * (Server-Sent Events), replies (delivered in the caller's channel) and hands the caller back to the bot. Every action
 * is in the audit with the agent's identity; without a session there is nothing to see (303 / 401), and a form without
 * its CSRF token is refused.
 */
const sv = i18n.getFixedT('sv');
const PASSWORD = 'correct horse battery staple';

describe('the agent console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-'));
  const accountsFile = join(dir, 'agents.json');
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    connector = await startConnectorStub();
    const config = testConfig();
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, apiKeys: [] } }, silentLogger, { store: memoryStateStore(), now: () => NOW });
    url = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const cookieFrom = (res: Response, name: string) => res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`))?.split(';')[0] ?? '';

  async function signIn(): Promise<string> {
    const page = await fetch(`${url}/agent/login`);
    const loginCookie = cookieFrom(page, 'agent_login_csrf');
    const form = new URLSearchParams({ id: 'maja', password: PASSWORD, _csrf: csrfIn(await page.text()) });
    const res = await fetch(`${url}/agent/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(res.status).toBe(303);
    const session = cookieFrom(res, 'agent_session');
    expect(session).toMatch(/^agent_session=v1\./);
    return session;
  }

  const post = (path: string, cookie: string, fields: Record<string, string>) =>
    fetch(`${url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  /** Reads Server-Sent Events until `count` have come (or the time is up). */
  function listen(cookie: string, count: number): Promise<Array<{ kind: string; handoffId: string }>> {
    return new Promise((resolve, reject) => {
      const got: Array<{ kind: string; handoffId: string }> = [];
      const req = request(`${url}/agent/events`, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buffer = '';
        res.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          for (const match of buffer.matchAll(/^data: (.+)$/gm)) got.push(JSON.parse(match[1]));
          buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
          if (got.length >= count) {
            req.destroy();
            resolve(got);
          }
        });
      });
      req.on('error', (error) => (got.length >= count ? undefined : reject(error)));
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve(got);
      }, 5000).unref();
    });
  }

  it('is closed without a session: pages redirect to the sign-in, the API says 401', async () => {
    const page = await fetch(`${url}/agent`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/agent/login');
    expect((await fetch(`${url}/api/handoffs`)).status).toBe(401);
    expect((await fetch(`${url}/agent/events`, { redirect: 'manual' })).status).toBe(303);
  });

  it('an agent signs in, takes a waiting hand-off, talks with the caller live, and hands back', async () => {
    const conversation = 'console-caller';
    const say = (text: string) => fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversation, { type: 'message', text, locale: 'sv-SE' })) });
    expect((await say('Jag vill prata med en person')).status).toBe(200);
    const [entry] = (await app.runtime.liveHandoffs.queue.list({ status: 'waiting' })).filter((e) => e.conversationKey === `webchat/${conversation}`);
    expect(entry).toBeDefined();

    const cookie = await signIn();
    const queuePage = await (await fetch(`${url}/agent`, { headers: { cookie } })).text();
    expect(queuePage).toContain(entry.id);
    expect(queuePage).toContain(sv('console:reason.caller-asked'));
    const api = (await (await fetch(`${url}/api/handoffs?status=waiting`, { headers: { cookie } })).json()) as { handoffs: Array<{ id: string }> };
    expect(api.handoffs.map((h) => h.id)).toContain(entry.id);

    // The conversation page: the packet (masked), the transcript so far, and "take it".
    const view = await (await fetch(`${url}/agent/handoffs/${entry.id}`, { headers: { cookie } })).text();
    expect(view).toContain(sv('console:handoff.take'));
    expect(view).toContain('Jag vill prata med en person');
    const csrf = csrfIn(view);

    // A form without its token is refused; with it, the agent takes the hand-off and the caller is told.
    expect((await post(`/agent/handoffs/${entry.id}/take`, cookie, {})).status).toBe(403);
    const events = listen(cookie, 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await post(`/agent/handoffs/${entry.id}/take`, cookie, { _csrf: csrf })).status).toBe(303);
    expect(connector.textsFor(conversation).at(-1)).toBe(sv('handoff:agentJoined', { name: 'Maja' }));

    // The caller writes: the agent's page hears of it at once, and the bot is silent.
    const before = connector.textsFor(conversation).length;
    expect((await say('Hej, jag vill byta betalsätt')).status).toBe(200);
    expect(connector.textsFor(conversation).length).toBe(before);
    expect(await events).toEqual([
      { kind: 'taken', handoffId: entry.id },
      { kind: 'message', handoffId: entry.id },
    ]);
    const lines = (await (await fetch(`${url}/agent/handoffs/${entry.id}/messages?after=0`, { headers: { cookie } })).json()) as { messages: Array<{ seq: number; html: string }> };
    expect(lines.messages.map((m) => m.html).join('')).toContain('Hej, jag vill byta betalsätt');

    // The agent replies from the page: the caller reads it in their own channel.
    expect((await post(`/agent/handoffs/${entry.id}/reply`, cookie, { _csrf: csrf, text: 'Hej! Det ordnar jag åt dig.' })).status).toBe(303);
    expect(connector.textsFor(conversation).at(-1)).toBe(sv('handoff:agentSays', { name: 'Maja', text: 'Hej! Det ordnar jag åt dig.' }));

    // A hand-back to somewhere the console does not offer is refused, and the agent keeps the conversation.
    const refused = await post(`/agent/handoffs/${entry.id}/handback`, cookie, { _csrf: csrf, to: 'delete-everything' });
    expect(refused.headers.get('location')).toBe(`/agent/handoffs/${entry.id}?refused=handback`);
    // Straight into a flow only for a verified administrator (this caller is not verified), however the form is made.
    const notVerified = await post(`/agent/handoffs/${entry.id}/handback`, cookie, { _csrf: csrf, to: 'cancel' });
    expect(notVerified.headers.get('location')).toBe(`/agent/handoffs/${entry.id}?refused=handback`);
    expect(await app.runtime.liveHandoffs.queue.get(entry.id)).toMatchObject({ status: 'active' });

    // Handed back: the caller is told, and the bot answers again.
    expect((await post(`/agent/handoffs/${entry.id}/handback`, cookie, { _csrf: csrf })).status).toBe(303);
    expect(connector.textsFor(conversation).at(-1)).toBe(sv('handoff:handedBack', { name: 'Maja' }));
    const afterHandBack = connector.textsFor(conversation).length;
    await say('Vad händer med våra data om vi säger upp?');
    expect(connector.textsFor(conversation).length).toBeGreaterThan(afterHandBack);

    // Each of Maja's actions is in the audit under her name.
    const audit = await app.runtime.cases.auditFor(entry.id);
    expect(audit.filter((record) => record.caller === 'agent:maja').map((record) => record.action)).toEqual(['handoff:taken', 'handoff:replied', 'handoff:handed-back']);
  });
});

describe('settling a pending case from the console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-pending-'));
  const accountsFile = join(dir, 'agents.json');
  const path = join(dir, 'bot.sqlite');
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const { subscriptions, billing } = switchableSubscriptions(path);

  beforeAll(async () => {
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    connector = await startConnectorStub();
    const config = testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, outbox: { intervalMs: 600_000, maxAgeHours: 24, graceMs: 600_000 } });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile } }, silentLogger, { now: () => NOW, subscriptions });
    url = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Anna confirms an end-of-term cancellation while billing is down, twice: the case stays pending, a colleague gets it. */
  async function pendingHandoff(conversation: string) {
    const say = (text: string) => fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversation, { type: 'message', text, locale: 'en-US' })) });
    for (const text of [WORDS.en.cancel, ...answersOf(DEMO_CALLERS.anna), WORDS.en.yes, WORDS.en.endOfTerm]) await say(text);
    billing.down = true;
    await say(WORDS.en.yes);
    await say(WORDS.en.yes);
    billing.down = false;
    const [entry] = (await app.runtime.liveHandoffs.queue.list({ status: 'waiting' })).filter((e) => e.conversationKey === `webchat/${conversation}`);
    expect(entry).toMatchObject({ reason: 'backend-failure' });
    const packet = (await app.runtime.cases.findCase(entry.id))?.details as { packet: { unfinishedCase: { reference: string; status: string } } };
    expect(packet.packet.unfinishedCase.status).toBe('pending');
    return { handoff: entry.id, pending: packet.packet.unfinishedCase.reference };
  }

  async function signIn(): Promise<string> {
    const page = await fetch(`${url}/agent/login`);
    const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('agent_login_csrf='))?.split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const res = await fetch(`${url}/agent/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ id: 'maja', password: PASSWORD, _csrf: csrf }).toString() });
    return res.headers.getSetCookie().find((c) => c.startsWith('agent_session='))?.split(';')[0] ?? '';
  }

  it('the agent makes the change now, or drops it; either way the case is settled once, under the agent\'s name', async () => {
    const cookie = await signIn();
    const settle = async (handoff: string, how: string) => {
      const before = await (await fetch(`${url}/agent/handoffs/${handoff}`, { headers: { cookie, 'accept-language': 'en' } })).text();
      const csrf = /name="_csrf" value="([^"]+)"/.exec(before)?.[1] ?? '';
      // Only the agent who holds the conversation settles it, with the caller.
      expect(before).not.toContain('Make the change now');
      expect((await fetch(`${url}/agent/handoffs/${handoff}/settle`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, how }).toString() })).headers.get('location')).toContain('refused=settle');
      await fetch(`${url}/agent/handoffs/${handoff}/take`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() });
      const view = await (await fetch(`${url}/agent/handoffs/${handoff}`, { headers: { cookie, 'accept-language': 'en' } })).text();
      expect(view).toContain('Make the change now');
      const res = await fetch(`${url}/agent/handoffs/${handoff}/settle`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, how }).toString() });
      expect(res.status).toBe(303);
      return res.headers.get('location');
    };

    const dropped = await pendingHandoff('pending-dropped');
    expect(await settle(dropped.handoff, 'cancel')).toBe(`/agent/handoffs/${dropped.handoff}`);
    expect(await app.runtime.cases.findCase(dropped.pending)).toMatchObject({ status: 'not-done' });
    expect((await app.runtime.cases.auditFor(dropped.pending)).at(-1)).toMatchObject({ action: 'turn-off-auto-renew:abandoned', caller: 'agent:maja' });
    // Settled: the buttons are gone, and the worker leaves it alone.
    expect(await (await fetch(`${url}/agent/handoffs/${dropped.handoff}`, { headers: { cookie, 'accept-language': 'en' } })).text()).not.toContain('Make the change now');
    expect(await app.runtime.actions.retryPending(dropped.pending)).toBe('settled-before');

    const made = await pendingHandoff('pending-made');
    expect(await settle(made.handoff, 'retry')).toBe(`/agent/handoffs/${made.handoff}`);
    expect(await app.runtime.cases.findCase(made.pending)).toMatchObject({ status: 'done' });
    expect((await app.runtime.cases.auditFor(made.pending)).at(-1)).toMatchObject({ action: 'turn-off-auto-renew:done', caller: 'agent:maja' });
  });
});
