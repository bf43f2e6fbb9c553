import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends, type StoreBackend } from '../support/storeBackends';
import type { AgentIdentity, HandoffQueue, OpenHandoff } from '../../src/handoffs/handoffQueue';
import { createSqliteHandoffQueue } from '../../src/handoffs/sqliteHandoffQueue';
import { createPostgresHandoffQueue } from '../../src/handoffs/postgresHandoffQueue';

/**
 * The live hand-off queue's contract, run against the embedded SQLite file and PostgreSQL alike; each test gets a
 * fresh database, and "another instance" is a second handle on it (SQLite: another connection to the file).
 */
const BACKENDS = storeBackends<HandoffQueue>('handoffs', { sqlite: createSqliteHandoffQueue, postgres: createPostgresHandoffQueue });

const T0 = new Date('2026-03-02T09:00:00.000Z');
/** T0 plus some minutes (and milliseconds, so that millisecond precision is checked too). */
const at = (minutes: number, ms = 0) => new Date(T0.getTime() + minutes * 60_000 + ms);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const MAJA: AgentIdentity = { id: 'maja', displayName: 'Maja' };
const OLLE: AgentIdentity = { id: 'oidc|olle-42', displayName: 'Olle Berg' };

function handoff(id: string, conversationId = `conv-${id}`, extra: Partial<OpenHandoff> = {}): OpenHandoff {
  return {
    id,
    reason: 'caller-asked',
    language: 'sv',
    channelId: 'webchat',
    conversationKey: `webchat/${conversationId}`,
    conversation: { conversation: { id: conversationId }, serviceUrl: 'https://example.test/', channelId: 'webchat', bot: { id: 'bot', name: 'Support' } },
    ...extra,
  };
}

describe.each(BACKENDS)('%s hand-off queue', (_kind, open) => {
  let backend: StoreBackend<HandoffQueue>;
  let queue: HandoffQueue;

  beforeEach(async () => {
    backend = await open();
    queue = backend.store;
  });

  afterEach(async () => {
    await backend?.close();
  });

  describe('open', () => {
    it('opens a waiting entry with nobody holding it, and reads it back the same', async () => {
      const { entry, created } = await queue.open(handoff('CX-AAAA11', 'c1', { reason: 'locked-out', language: 'en', channelId: 'msteams' }), at(0, 123));
      expect(created).toBe(true);
      expect(entry).toEqual({
        id: 'CX-AAAA11',
        reason: 'locked-out',
        language: 'en',
        channelId: 'msteams',
        conversationKey: 'webchat/c1',
        conversation: handoff('CX-AAAA11', 'c1').conversation,
        status: 'waiting',
        agent: null,
        ending: null,
        createdAt: '2026-03-02T09:00:00.123Z',
        takenAt: null,
        endedAt: null,
      });
      expect(await queue.get('CX-AAAA11')).toEqual(entry);
    });

    it('is idempotent by id: the same case again returns the entry that stands, not a second one', async () => {
      const first = await queue.open(handoff('CX-AAAA11'), at(0));
      await queue.take('CX-AAAA11', MAJA, at(1));
      const again = await queue.open(handoff('CX-AAAA11', 'other', { reason: 'backend-failure' }), at(5));
      expect(again.created).toBe(false);
      expect(again.entry).toMatchObject({ id: 'CX-AAAA11', reason: 'caller-asked', conversationKey: first.entry.conversationKey, status: 'active', createdAt: at(0).toISOString() });
      expect(again.entry.agent).toEqual(MAJA);
      expect(await queue.list({})).toHaveLength(1);
    });

    it('opening the same case from two instances at once creates it once', async () => {
      const other = await backend.another();
      const results = await Promise.all([queue.open(handoff('CX-AAAA11'), at(0)), other.open(handoff('CX-AAAA11'), at(0)), queue.open(handoff('CX-AAAA11'), at(0))]);
      expect(results.map((result) => result.created).sort()).toEqual([false, false, true]);
      for (const result of results) expect(result.entry.id).toBe('CX-AAAA11');
      expect(await other.list({})).toHaveLength(1);
    });

    it('round-trips the conversation reference as JSON (nesting, arrays, unicode, numbers, booleans, null)', async () => {
      const conversation = {
        activityId: 'a-1',
        user: { id: 'u-1', role: 'user' },
        conversation: { id: 'a:1Xy|livechat', isGroup: false, tenantId: null },
        serviceUrl: 'https://smba.trafficmanager.net/emea/',
        channelId: 'msteams',
        locale: 'sv-SE',
        extras: [1, 2.5, 'Åsa Öberg ☕', { deep: { deeper: [true] } }],
      };
      await queue.open(handoff('CX-AAAA11', 'c1', { conversation }), at(0));
      const read = await (await backend.another()).get('CX-AAAA11');
      expect(read?.conversation).toEqual(conversation);
    });

    it('get of an unknown id is undefined', async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
      expect(await queue.get('CX-ZZZZ99')).toBeUndefined();
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await queue.open(handoff('CX-0001'), at(1));
      await queue.open(handoff('CX-0003'), at(3));
      await queue.open(handoff('CX-0002'), at(2));
      await queue.open(handoff('CX-0004'), at(4));
      await queue.open(handoff('CX-0005'), at(5));
      await queue.take('CX-0001', MAJA, at(6));
      await queue.take('CX-0004', OLLE, at(6));
      await queue.take('CX-0002', MAJA, at(7));
      await queue.end('CX-0002', MAJA.id, 'closed', at(8));
    });

    it('lists every entry newest first', async () => {
      expect((await queue.list({})).map((entry) => entry.id)).toEqual(['CX-0005', 'CX-0004', 'CX-0003', 'CX-0002', 'CX-0001']);
    });

    it('narrows by status', async () => {
      expect((await queue.list({ status: 'waiting' })).map((entry) => entry.id)).toEqual(['CX-0005', 'CX-0003']);
      expect((await queue.list({ status: 'active' })).map((entry) => entry.id)).toEqual(['CX-0004', 'CX-0001']);
      expect((await queue.list({ status: 'ended' })).map((entry) => entry.id)).toEqual(['CX-0002']);
    });

    it('narrows by agent, and by agent and status together', async () => {
      expect((await queue.list({ agentId: MAJA.id })).map((entry) => entry.id)).toEqual(['CX-0002', 'CX-0001']);
      expect((await queue.list({ agentId: OLLE.id })).map((entry) => entry.id)).toEqual(['CX-0004']);
      expect((await queue.list({ agentId: MAJA.id, status: 'active' })).map((entry) => entry.id)).toEqual(['CX-0001']);
      expect(await queue.list({ agentId: 'nobody' })).toEqual([]);
    });

    it('stops at the limit, keeping the newest', async () => {
      expect((await queue.list({ limit: 2 })).map((entry) => entry.id)).toEqual(['CX-0005', 'CX-0004']);
      expect((await queue.list({ status: 'waiting', limit: 1 })).map((entry) => entry.id)).toEqual(['CX-0005']);
    });
  });

  describe('take', () => {
    it('gives a waiting entry to one agent; a second take gets undefined and changes nothing', async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
      const taken = await queue.take('CX-AAAA11', MAJA, at(2, 7));
      expect(taken).toMatchObject({ id: 'CX-AAAA11', status: 'active', agent: MAJA, ending: null, takenAt: '2026-03-02T09:02:00.007Z', endedAt: null });
      expect(await queue.take('CX-AAAA11', OLLE, at(3))).toBeUndefined();
      expect(await queue.take('CX-AAAA11', MAJA, at(3))).toBeUndefined();
      expect(await queue.get('CX-AAAA11')).toEqual(taken);
    });

    it('takes nothing that is unknown or ended', async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
      await queue.leaveMessage('CX-AAAA11', at(1));
      expect(await queue.take('CX-AAAA11', MAJA, at(2))).toBeUndefined();
      expect(await queue.take('CX-ZZZZ99', MAJA, at(2))).toBeUndefined();
      expect((await queue.get('CX-AAAA11'))?.agent).toBeNull();
    });

    it('of agents taking the same entry at once on one instance, exactly one gets it', async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
      const agents = [MAJA, OLLE, { id: 'kim', displayName: 'Kim' }];
      const results = await Promise.all(agents.map((agent) => queue.take('CX-AAAA11', agent, at(1))));
      const winners = results.filter((result) => result !== undefined);
      expect(winners).toHaveLength(1);
      expect((await queue.get('CX-AAAA11'))?.agent).toEqual(winners[0]?.agent);
    });

    it('of two instances taking the same entries at once, exactly one gets each', async () => {
      const other = await backend.another();
      const ids = Array.from({ length: 8 }, (_, i) => `CX-RACE${i}`);
      for (const [i, id] of ids.entries()) await queue.open(handoff(id), at(i));
      const rounds = await Promise.all(
        ids.map(async (id) => {
          const results = await Promise.all([queue.take(id, MAJA, at(20)), other.take(id, OLLE, at(20)), other.take(id, { id: 'kim', displayName: 'Kim' }, at(20))]);
          return { id, winners: results.filter((result) => result !== undefined) };
        }),
      );
      for (const { id, winners } of rounds) {
        expect(winners, id).toHaveLength(1);
        expect((await queue.get(id))?.agent, id).toEqual(winners[0]?.agent);
      }
    });
  });

  describe('end', () => {
    beforeEach(async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
    });

    it('ends only what is active: a waiting entry cannot be ended', async () => {
      expect(await queue.end('CX-AAAA11', MAJA.id, 'closed', at(1))).toBeUndefined();
      expect((await queue.get('CX-AAAA11'))?.status).toBe('waiting');
    });

    it('only the holding agent ends it; another agent gets undefined and it stays theirs', async () => {
      await queue.take('CX-AAAA11', MAJA, at(1));
      expect(await queue.end('CX-AAAA11', OLLE.id, 'closed', at(2))).toBeUndefined();
      expect(await queue.get('CX-AAAA11')).toMatchObject({ status: 'active', agent: MAJA, ending: null, endedAt: null });
      const ended = await queue.end('CX-AAAA11', MAJA.id, 'handed-back', at(3, 45));
      expect(ended).toMatchObject({ status: 'ended', agent: MAJA, ending: 'handed-back', endedAt: '2026-03-02T09:03:00.045Z', takenAt: at(1).toISOString() });
      expect(await queue.get('CX-AAAA11')).toEqual(ended);
    });

    it('ends once: a second end by the holder gets undefined and keeps the first ending', async () => {
      await queue.take('CX-AAAA11', MAJA, at(1));
      expect((await queue.end('CX-AAAA11', MAJA.id, 'closed', at(2)))?.ending).toBe('closed');
      expect(await queue.end('CX-AAAA11', MAJA.id, 'handed-back', at(3))).toBeUndefined();
      expect(await queue.get('CX-AAAA11')).toMatchObject({ ending: 'closed', endedAt: at(2).toISOString() });
    });

    it('an unknown entry ends as undefined', async () => {
      expect(await queue.end('CX-ZZZZ99', MAJA.id, 'closed', at(1))).toBeUndefined();
    });
  });

  describe('leaveMessage', () => {
    beforeEach(async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
    });

    it('ends a waiting entry as left-message, with no agent', async () => {
      const left = await queue.leaveMessage('CX-AAAA11', at(4, 1));
      expect(left).toMatchObject({ status: 'ended', ending: 'left-message', agent: null, takenAt: null, endedAt: '2026-03-02T09:04:00.001Z' });
      expect(await queue.get('CX-AAAA11')).toEqual(left);
      expect(await queue.leaveMessage('CX-AAAA11', at(5))).toBeUndefined();
    });

    it('does nothing once an agent holds it', async () => {
      await queue.take('CX-AAAA11', MAJA, at(1));
      expect(await queue.leaveMessage('CX-AAAA11', at(2))).toBeUndefined();
      expect(await queue.get('CX-AAAA11')).toMatchObject({ status: 'active', agent: MAJA, ending: null });
    });

    it('an unknown entry gives undefined', async () => {
      expect(await queue.leaveMessage('CX-ZZZZ99', at(1))).toBeUndefined();
    });
  });

  describe('heldIn and waitingIn', () => {
    it('find the entry of this conversation in that state, and nothing of another conversation', async () => {
      await queue.open(handoff('CX-0001', 'alpha'), at(0));
      await queue.open(handoff('CX-0002', 'beta'), at(1));
      expect((await queue.waitingIn('webchat/alpha'))?.id).toBe('CX-0001');
      expect((await queue.waitingIn('webchat/beta'))?.id).toBe('CX-0002');
      expect(await queue.heldIn('webchat/alpha')).toBeUndefined();
      expect(await queue.waitingIn('webchat/gamma')).toBeUndefined();

      await queue.take('CX-0001', MAJA, at(2));
      expect(await queue.waitingIn('webchat/alpha')).toBeUndefined();
      expect(await queue.heldIn('webchat/alpha')).toMatchObject({ id: 'CX-0001', agent: MAJA });
      expect(await queue.heldIn('webchat/beta')).toBeUndefined();

      await queue.end('CX-0001', MAJA.id, 'handed-back', at(3));
      expect(await queue.heldIn('webchat/alpha')).toBeUndefined();
      expect(await queue.waitingIn('webchat/alpha')).toBeUndefined();
    });

    it('a conversation handed over again after an earlier hand-off ended finds the new one', async () => {
      await queue.open(handoff('CX-0001', 'alpha'), at(0));
      await queue.leaveMessage('CX-0001', at(1));
      await queue.open(handoff('CX-0002', 'alpha'), at(2));
      expect((await queue.waitingIn('webchat/alpha'))?.id).toBe('CX-0002');
      await queue.take('CX-0002', OLLE, at(3));
      expect((await queue.heldIn('webchat/alpha'))?.id).toBe('CX-0002');
    });
  });

  describe('placeInLine', () => {
    it('counts the waiting by when they were opened; taken or ended ones no longer count', async () => {
      // Opened out of id order, so that the place follows the time and not the reference.
      await queue.open(handoff('CX-C'), at(1));
      await queue.open(handoff('CX-A'), at(2));
      await queue.open(handoff('CX-B'), at(3));
      expect([await queue.placeInLine('CX-C'), await queue.placeInLine('CX-A'), await queue.placeInLine('CX-B')]).toEqual([1, 2, 3]);

      await queue.take('CX-C', MAJA, at(4));
      expect(await queue.placeInLine('CX-C')).toBeUndefined();
      expect([await queue.placeInLine('CX-A'), await queue.placeInLine('CX-B')]).toEqual([1, 2]);

      await queue.leaveMessage('CX-A', at(5));
      expect(await queue.placeInLine('CX-A')).toBeUndefined();
      expect(await queue.placeInLine('CX-B')).toBe(1);

      await queue.open(handoff('CX-0'), at(6));
      expect(await queue.placeInLine('CX-0')).toBe(2);
    });

    it('unknown is undefined', async () => {
      await queue.open(handoff('CX-A'), at(1));
      expect(await queue.placeInLine('CX-ZZZZ99')).toBeUndefined();
    });

    it('opened in the same instant, they are still in one line: 1 and 2, never both 1', async () => {
      await queue.open(handoff('CX-Q2'), at(1));
      await queue.open(handoff('CX-Q1'), at(1));
      const places = [await queue.placeInLine('CX-Q1'), await queue.placeInLine('CX-Q2')];
      expect(places.sort()).toEqual([1, 2]);
    });
  });

  describe('append and messages', () => {
    beforeEach(async () => {
      await queue.open(handoff('CX-AAAA11'), at(0));
      await queue.open(handoff('CX-BBBB22'), at(0));
    });

    it('numbers the lines 1, 2, 3 per hand-off and returns them in order, with sender, agent and time', async () => {
      const first = await queue.append('CX-AAAA11', { from: 'caller', text: 'Hej, jag vill säga upp' }, at(1, 5));
      expect(first).toEqual({ handoffId: 'CX-AAAA11', seq: 1, from: 'caller', text: 'Hej, jag vill säga upp', agent: null, at: '2026-03-02T09:01:00.005Z' });
      await queue.take('CX-AAAA11', MAJA, at(2));
      await queue.append('CX-AAAA11', { from: 'system', text: 'Du pratar nu med Maja från supporten' }, at(2));
      await queue.append('CX-AAAA11', { from: 'agent', text: 'Hej! Jag hjälper dig.', agent: MAJA }, at(3));
      const other = await queue.append('CX-BBBB22', { from: 'caller', text: 'Hallå?' }, at(3));
      expect(other.seq).toBe(1);

      const all = await queue.messages('CX-AAAA11');
      expect(all.map((message) => [message.seq, message.from, message.text, message.agent])).toEqual([
        [1, 'caller', 'Hej, jag vill säga upp', null],
        [2, 'system', 'Du pratar nu med Maja från supporten', null],
        [3, 'agent', 'Hej! Jag hjälper dig.', MAJA],
      ]);
      expect(all.map((message) => message.at)).toEqual([at(1, 5).toISOString(), at(2).toISOString(), at(3).toISOString()]);
      expect((await queue.messages('CX-BBBB22')).map((message) => message.text)).toEqual(['Hallå?']);
    });

    it('afterSeq gives only what came after it', async () => {
      for (let i = 1; i <= 5; i++) await queue.append('CX-AAAA11', { from: 'caller', text: `line ${i}` }, at(i));
      expect((await queue.messages('CX-AAAA11', 3)).map((message) => message.seq)).toEqual([4, 5]);
      expect((await queue.messages('CX-AAAA11', 0)).map((message) => message.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(await queue.messages('CX-AAAA11', 5)).toEqual([]);
      expect(await queue.messages('CX-ZZZZ99')).toEqual([]);
    });

    it('refuses a line for an unknown hand-off', async () => {
      await expect(queue.append('CX-ZZZZ99', { from: 'caller', text: 'x' }, at(1))).rejects.toThrow(/CX-ZZZZ99/);
      expect(await queue.messages('CX-ZZZZ99')).toEqual([]);
    });

    it('50 lines appended at once from two instances get 1..50, none twice, none lost', async () => {
      const other = await backend.another();
      const sent = Array.from({ length: 50 }, (_, i) => `line ${i}`);
      const appended = await Promise.all(
        sent.map((text, i) => (i % 2 === 0 ? queue : other).append('CX-AAAA11', { from: i % 3 === 0 ? 'agent' : 'caller', text, agent: i % 3 === 0 ? MAJA : undefined }, at(1, i))),
      );
      const seqs = appended.map((message) => message.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const stored = await other.messages('CX-AAAA11');
      expect(stored.map((message) => message.seq)).toEqual(seqs);
      expect(stored.map((message) => message.text).sort()).toEqual([...sent].sort());
      // Each line is stored with the number its append returned.
      for (const message of appended) expect(stored[message.seq - 1]).toEqual(message);
    });
  });

  it('hands every time on as an ISO string', async () => {
    const { entry } = await queue.open(handoff('CX-AAAA11'), at(0, 1));
    await queue.take('CX-AAAA11', MAJA, at(1, 2));
    const ended = await queue.end('CX-AAAA11', MAJA.id, 'closed', at(2, 3));
    const message = await queue.append('CX-AAAA11', { from: 'system', text: 'avslutad' }, at(3, 4));
    const times = [entry.createdAt, ended?.createdAt, ended?.takenAt, ended?.endedAt, message.at, (await queue.messages('CX-AAAA11'))[0].at];
    for (const time of times) {
      expect(typeof time).toBe('string');
      expect(time).toMatch(ISO);
    }
    expect(times).toEqual([at(0, 1), at(0, 1), at(1, 2), at(2, 3), at(3, 4), at(3, 4)].map((date) => date.toISOString()));
  });
});
