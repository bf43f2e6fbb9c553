import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore, type StateStore } from '../../src/storage';
import { createTurnQueue, TurnQueueFullError } from '../../src/bot/turnQueue';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a caller who types fast (one instance)', () => {
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
    // A store that takes a while, like one across a network: turns that are not queued surely overlap.
    const memory = memoryStateStore();
    const slowStore: StateStore = { ...memory, read: async (keys) => (await sleep(60), memory.read(keys)), write: async (changes) => (await sleep(60), memory.write(changes)) };
    app = await createApp(testConfig(), silentLogger, { store: slowStore, now: () => NOW });
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
  });

  const post = (conversationId: string, text: string) =>
    fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale: 'en-US' })) });

  it.each([1, 2, 3])('four answers sent while the turn before is still running are all kept, in order (run %i)', async (run) => {
    const id = `fast-${run}`;
    expect((await post(id, 'Cancel subscription')).status).toBe(200);
    const [userId, phone, contact, organisation] = answersOf(DEMO_CALLERS.anna);
    const sent: Array<Promise<Response>> = [];
    for (const answer of [userId, phone, contact, organisation]) {
      sent.push(post(id, answer));
      // Far apart enough to arrive in this order; far closer than a turn takes.
      await sleep(40);
    }
    expect((await Promise.all(sent)).map((res) => res.status)).toEqual([200, 200, 200, 200]);
    const t = i18n.getFixedT('en');
    const texts = connector.textsFor(id);
    // Each question asked once, and the next one after the fourth answer is the address.
    expect(texts.filter((text) => text === t('verify:ask.phone'))).toHaveLength(1);
    expect(texts.at(-1)).toBe(t('verify:ask.postalAddress'));
  });

  it('the same "yes" delivered ten times at once acts once and is answered once', async () => {
    const id = 'duplicate-yes';
    for (const text of ['Cancel subscription', ...answersOf(DEMO_CALLERS.anna), 'yes', 'At the end of the term']) expect((await post(id, text)).status).toBe(200);
    const t = i18n.getFixedT('en');
    expect(connector.textsFor(id).at(-1)).toBe(t('cancel:confirmEndOfTerm'));
    const yes = JSON.stringify(inbound(connector.url, id, { type: 'message', text: 'yes', locale: 'en-US', id: 'the-one-yes' }));
    const copies = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: yes })));
    expect(copies.map((res) => res.status)).toEqual(Array(10).fill(200));
    // The receipt is a card in Web Chat: its summary carries the reference.
    const receipts = connector.replies.filter((reply) => reply.activity.conversation?.id === id && /CX-/.test(reply.activity.summary ?? ''));
    expect(receipts).toHaveLength(1);
  });

  it('a conversation flooded with turns has the surplus refused, not queued without end', async () => {
    const queue = createTurnQueue(3);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queued = [1, 2, 3].map(() => queue.run('flood', () => gate));
    await expect(queue.run('flood', async () => undefined)).rejects.toBeInstanceOf(TurnQueueFullError);
    // Another conversation is not affected, and once the flood drains there is room again.
    await expect(queue.run('calm', async () => 'ok')).resolves.toBe('ok');
    release();
    await Promise.all(queued);
    await expect(queue.run('flood', async () => 'again')).resolves.toBe('again');
  });

  it('turns of different conversations still run side by side, and the queue forgets finished conversations', async () => {
    const queue = createTurnQueue();
    const order: string[] = [];
    const slow = queue.run('a', async () => {
      await sleep(30);
      order.push('a1');
    });
    const other = queue.run('b', async () => {
      order.push('b1');
    });
    const next = queue.run('a', async () => {
      order.push('a2');
    });
    const failing = queue.run('a', async () => {
      throw new Error('boom');
    });
    const after = queue.run('a', async () => {
      order.push('a3');
    });
    await Promise.all([slow, other, next, failing.catch(() => undefined), after]);
    expect(order).toEqual(['b1', 'a1', 'a2', 'a3']);
    await sleep(0);
    expect(queue.size()).toBe(0);
  });
});
