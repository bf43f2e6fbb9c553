import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends, type StoreBackend } from '../support/storeBackends';
import type { InsightEvent, LoggedInsightEvent } from '../../src/insights/events';
import type { InsightsLog } from '../../src/insights/insightsLog';
import { createSqliteInsightsLog } from '../../src/insights/sqliteInsightsLog';
import { createPostgresInsightsLog } from '../../src/insights/postgresInsightsLog';
import { anonymousConversationKey, createInsightsRecorder } from '../../src/insights/recorder';
import { generateDemoEvents } from '../../src/insights/demoData';
import { createLogger } from '../../src/log';
import type { TurnTransaction } from '../../src/storage/conversationLock';

/**
 * The insights events table, on the embedded SQLite file and on PostgreSQL alike: what is written is read back as it
 * was, by time range and language; the demo data replaces only itself; the conversation hash's key is made once and is
 * the same for every instance; and the recorder never lets a failing write reach the turn.
 */
const BACKENDS = storeBackends<InsightsLog>('insights', { sqlite: createSqliteInsightsLog, postgres: createPostgresInsightsLog });

const CONVERSATION = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const base = (at: string, conversation = CONVERSATION, language: 'sv' | 'en' = 'sv') => ({ at, conversation, channel: 'webchat', language });

/** One event of every kind, a millisecond apart at the edges of a day. */
const EVERY_KIND: InsightEvent[] = [
  { kind: 'conversation-started', ...base('2026-11-02T00:00:00.000Z') },
  { kind: 'verification-question', question: 'postalAddress', ...base('2026-11-02T00:00:00.001Z') },
  { kind: 'verification', outcome: 'verified', ...base('2026-11-02T08:15:30.250Z') },
  { kind: 'action', action: 'cancel-now', ...base('2026-11-02T08:16:00.000Z') },
  { kind: 'refusal', reason: 'too-many-licences', rules: ['EARLY-4', 'EARLY-5', 'AS-2', 'AS-3'], ...base('2026-11-02T08:17:00.000Z') },
  { kind: 'handoff', reason: 'too-many-licences', ...base('2026-11-02T08:18:00.000Z') },
  { kind: 'feedback', reason: 'temporary', ...base('2026-11-02T08:19:00.000Z') },
  { kind: 'receipt', of: 'handoff', ms: 1_080_000, messages: 17, ...base('2026-11-02T08:20:00.000Z') },
  { kind: 'handoff-taken', reason: 'too-many-licences', waitedMs: 95_500, ...base('2026-11-02T23:59:59.999Z') },
  { kind: 'conversation-started', ...base('2026-11-03T00:00:00.000Z', OTHER, 'en') },
];

const range = (from: string, to: string, language?: 'sv' | 'en') => ({ from: new Date(from), to: new Date(to), language });

describe.each(BACKENDS)('%s insights log', (_kind, open) => {
  let backend: StoreBackend<InsightsLog>;
  let log: InsightsLog;

  beforeEach(async () => {
    backend = await open();
    log = backend.store;
  });

  afterEach(async () => {
    await backend.close();
  });

  it('reads back every kind of event as it was written, oldest first, from (inclusive) to (exclusive)', async () => {
    expect(await log.isEmpty()).toBe(true);
    await log.record([...EVERY_KIND].reverse());
    expect(await log.isEmpty()).toBe(false);
    expect(await log.read(range('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z'))).toEqual(EVERY_KIND);
    // The day of 2 November only: from its first millisecond to (not including) the next day's first.
    expect(await log.read(range('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'))).toEqual(EVERY_KIND.slice(0, -1));
    expect(await log.read(range('2026-11-02T00:00:00.001Z', '2026-11-02T23:59:59.999Z'))).toEqual(EVERY_KIND.slice(1, -2));
  });

  it('reads one language', async () => {
    await log.record(EVERY_KIND);
    expect((await log.read(range('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z', 'en'))).map((e) => e.conversation)).toEqual([OTHER]);
    expect(await log.read(range('2026-11-01T00:00:00Z', '2026-11-04T00:00:00Z', 'sv'))).toHaveLength(EVERY_KIND.length - 1);
  });

  it('the demo data replaces its own events and nothing else, in many rows at once', async () => {
    await log.record(EVERY_KIND);
    const demo = generateDemoEvents({ end: new Date('2026-11-20T12:00:00Z'), days: 6, seed: 7 });
    expect(demo.length).toBeGreaterThan(1000); // more than one INSERT's batch
    expect(await log.replaceDemoEvents(demo)).toEqual({ removed: 0, added: demo.length });
    const again = generateDemoEvents({ end: new Date('2026-11-20T12:00:00Z'), days: 2, seed: 8 });
    expect(await log.replaceDemoEvents(again)).toEqual({ removed: demo.length, added: again.length });
    const everything = await log.read(range('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
    expect(everything).toHaveLength(EVERY_KIND.length + again.length);
    expect(everything.filter((e) => e.conversation === CONVERSATION || e.conversation === OTHER)).toEqual(EVERY_KIND);
  });

  it('makes the conversation key once per database: the same for every instance, and kept', async () => {
    const key = await log.hashKey();
    expect(key).toHaveLength(32);
    const [second, third] = await Promise.all([backend.another(), backend.another()]);
    const keys = await Promise.all([second.hashKey(), third.hashKey(), log.hashKey()]);
    for (const other of keys) expect(other.equals(key)).toBe(true);
  });

  it('the recorder writes a keyed hash of the conversation, never its ID, and drops what does not fit the schema', async () => {
    const lines: string[] = [];
    const recorder = createInsightsRecorder({ log, logger: createLogger('debug', (line) => lines.push(line)) });
    const conversationKey = 'webchat/conv-anna-lindqvist@fjordfika.se';
    await recorder.record({ conversationKey, channel: 'webchat', language: 'sv' }, [
      { at: new Date('2026-11-05T10:00:00.000Z'), facts: { kind: 'conversation-started' } },
      { at: new Date('2026-11-05T10:01:00.000Z'), facts: { kind: 'action', action: 'drop-the-table' } as never },
    ]);
    const written = await log.read(range('2026-11-05T00:00:00Z', '2026-11-06T00:00:00Z'));
    expect(written).toEqual([{ kind: 'conversation-started', at: '2026-11-05T10:00:00.000Z', conversation: anonymousConversationKey(await log.hashKey(), conversationKey), channel: 'webchat', language: 'sv' }]);
    expect(JSON.stringify(written)).not.toContain('anna');
    expect(lines.some((line) => line.includes('insights.event-invalid'))).toBe(true);
  });

  it.skipIf(_kind === 'sqlite')('an event written again under its id is kept once (a turn\'s events may be: PostgreSQL stages them)', async () => {
    const [first] = EVERY_KIND;
    await log.record([{ ...first, eventId: 'e-1' }, { ...EVERY_KIND[1], eventId: 'e-2' }]);
    await log.record([{ ...first, eventId: 'e-1' }, EVERY_KIND[2]]);
    await log.record([EVERY_KIND[2]]); // without an id: an event of its own every time
    expect((await log.read(range('2026-11-02T00:00:00Z', '2026-11-03T00:00:00Z'))).map((event) => event.kind)).toEqual([
      'conversation-started',
      'verification-question',
      'verification',
      'verification',
    ]);
  });
});

describe('the recorder when the store fails', () => {
  it('logs the kinds it could not write and lets the caller go on', async () => {
    const lines: string[] = [];
    const failing: InsightsLog = {
      record: async () => {
        throw new Error('database is away');
      },
      read: async () => [],
      isEmpty: async () => true,
      replaceDemoEvents: async () => ({ removed: 0, added: 0 }),
      hashKey: async () => Buffer.alloc(32, 1),
    };
    const recorder = createInsightsRecorder({ log: failing, logger: createLogger('debug', (line) => lines.push(line)) });
    await expect(recorder.record({ conversationKey: 'webchat/x', channel: 'webchat', language: 'en' }, [{ at: new Date(), facts: { kind: 'handoff', reason: 'caller-asked' } }])).resolves.toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines.filter((line) => line.includes('insights.not-recorded'))).not.toHaveLength(0);
    expect(lines.join('\n')).toContain('handoff');
  });

  it('without a key (the database unreachable), nothing is written and nothing is thrown', async () => {
    const lines: string[] = [];
    let writes = 0;
    const noKey: InsightsLog = {
      record: async () => void writes++,
      read: async () => [],
      isEmpty: async () => true,
      replaceDemoEvents: async () => ({ removed: 0, added: 0 }),
      hashKey: async () => {
        throw new Error('connection refused');
      },
    };
    const recorder = createInsightsRecorder({ log: noKey, logger: createLogger('debug', (line) => lines.push(line)) });
    await expect(recorder.record({ conversationKey: 'webchat/x', channel: 'webchat', language: 'en' }, [{ at: new Date(), facts: { kind: 'conversation-started' } }])).resolves.toBeUndefined();
    expect(writes).toBe(0);
    expect(lines.some((line) => line.includes('insights.not-recorded'))).toBe(true);
  });

  it('stages nothing until the key has been read (the state write never waits for it), nor without one; then under the notes\' ids', async () => {
    const lines: string[] = [];
    const staged: LoggedInsightEvent[][] = [];
    let keyReadable = false;
    const log: InsightsLog = {
      record: async () => undefined,
      stage: (events) => Boolean(staged.push([...events])),
      read: async () => [],
      isEmpty: async () => true,
      replaceDemoEvents: async () => ({ removed: 0, added: 0 }),
      hashKey: async () => (keyReadable ? Buffer.alloc(32, 1) : Promise.reject(new Error('connection refused'))),
    };
    const recorder = createInsightsRecorder({ log, logger: createLogger('debug', (line) => lines.push(line)) });
    const within = { database: {}, stage: () => undefined } as unknown as TurnTransaction;
    const source = { conversationKey: 'webchat/x', channel: 'webchat', language: 'en' } as const;
    const noted = [{ at: new Date('2026-11-05T10:00:00.000Z'), facts: { kind: 'conversation-started' as const }, id: 'e-1' }];
    expect(recorder.stage(source, noted, within)).toBe(false);
    await recorder.record(source, noted); // the key cannot be read: logged, nothing thrown
    expect(recorder.stage(source, noted, within)).toBe(false);
    keyReadable = true;
    expect(recorder.stage(source, noted, within)).toBe(false); // not read yet: `record` reads it
    await recorder.record(source, noted);
    expect(recorder.stage(source, noted, within)).toBe(true);
    expect(staged).toEqual([[expect.objectContaining({ kind: 'conversation-started', eventId: 'e-1' })]]);
    expect(lines.some((line) => line.includes('insights.not-recorded'))).toBe(true);
  });
});

describe('the recorder under load', () => {
  /** A log whose writes wait until let go, recording what each write held. */
  const heldLog = () => {
    const writes: Array<{ kinds: string[]; letGo: (error?: Error) => void }> = [];
    const log: InsightsLog = {
      record: (events) => new Promise<void>((resolve, reject) => writes.push({ kinds: events.map((event) => event.kind), letGo: (error) => (error ? reject(error) : resolve()) })),
      read: async () => [],
      isEmpty: async () => true,
      replaceDemoEvents: async () => ({ removed: 0, added: 0 }),
      hashKey: async () => Buffer.alloc(32, 1),
    };
    return { log, writes };
  };
  const source = (n: number) => ({ conversationKey: `webchat/c${n}`, channel: 'webchat', language: 'sv' as const });
  const settledSoon = () => new Promise((resolve) => setTimeout(resolve, 20));

  it("turns that end while a write is on its way have their events written together in the next one, each turn waiting for its own", async () => {
    const { log, writes } = heldLog();
    const recorder = createInsightsRecorder({ log, logger: createLogger('error', () => undefined) });
    const done: number[] = [];
    const turn = (n: number, kind: 'conversation-started' | 'handoff') =>
      recorder.record(source(n), [{ at: new Date(), facts: kind === 'handoff' ? { kind, reason: 'caller-asked' } : { kind } }]).then(() => done.push(n));
    const first = turn(1, 'conversation-started');
    await settledSoon();
    const others = [turn(2, 'handoff'), turn(3, 'conversation-started')];
    await settledSoon();
    expect(writes.map((write) => write.kinds)).toEqual([['conversation-started']]);
    writes[0].letGo();
    await first;
    await settledSoon();
    expect(done).toEqual([1]);
    expect(writes.map((write) => write.kinds)).toEqual([['conversation-started'], ['handoff', 'conversation-started']]);
    writes[1].letGo();
    await Promise.all(others);
    expect(done.sort()).toEqual([1, 2, 3]);
  });

  it('a batch that fails is logged for every turn in it, and the next batch is still written', async () => {
    const { log, writes } = heldLog();
    const lines: string[] = [];
    const recorder = createInsightsRecorder({ log, logger: createLogger('debug', (line) => lines.push(line)) });
    const turn = (n: number) => recorder.record(source(n), [{ at: new Date(), facts: { kind: 'conversation-started' } }]);
    const first = turn(1);
    await settledSoon();
    const batched = [turn(2), turn(3)];
    await settledSoon();
    writes[0].letGo();
    await first;
    await settledSoon();
    writes[1].letGo(new Error('database is away'));
    await Promise.all(batched);
    expect(lines.filter((line) => line.includes('insights.not-recorded'))).toHaveLength(2);
    const last = turn(4);
    await settledSoon();
    expect(writes).toHaveLength(3);
    writes[2].letGo();
    await last;
  });
});

describe('the recorder with a log that throws at once', () => {
  it('a write that throws instead of rejecting is a failed write: logged, and the next one is still made', async () => {
    const lines: string[] = [];
    let calls = 0;
    const throwing: InsightsLog = {
      record: ((events: readonly InsightEvent[]) => {
        calls += 1;
        if (calls === 1) throw new Error('not even a promise');
        return Promise.resolve(void events);
      }) as InsightsLog['record'],
      read: async () => [],
      isEmpty: async () => true,
      replaceDemoEvents: async () => ({ removed: 0, added: 0 }),
      hashKey: async () => Buffer.alloc(32, 1),
    };
    const recorder = createInsightsRecorder({ log: throwing, logger: createLogger('debug', (line) => lines.push(line)) });
    const source = { conversationKey: 'webchat/x', channel: 'webchat', language: 'en' as const };
    await recorder.record(source, [{ at: new Date(), facts: { kind: 'conversation-started' } }]);
    await recorder.record(source, [{ at: new Date(), facts: { kind: 'conversation-started' } }]);
    expect(calls).toBe(2);
    expect(lines.filter((line) => line.includes('insights.not-recorded'))).toHaveLength(1);
  });
});
