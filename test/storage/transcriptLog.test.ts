import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeBackends, type StoreBackend } from '../support/storeBackends';
import type { TranscriptLine } from '../../src/cases/handoffPacket';
import type { TranscriptLog } from '../../src/cases/transcriptLog';
import { createSqliteTranscriptLog } from '../../src/cases/sqliteTranscriptLog';
import { createPostgresTranscriptLog } from '../../src/cases/postgresTranscriptLog';

/**
 * The masked transcript, out of conversation state, on the embedded SQLite file and on PostgreSQL alike: lines come
 * back in the order they were said, per conversation, only the last ones kept; a conversation can be forgotten; the
 * sweep removes lines older than the retention.
 */
const BACKENDS = storeBackends<TranscriptLog>('transcripts', { sqlite: createSqliteTranscriptLog, postgres: createPostgresTranscriptLog });

const line = (n: number, from: TranscriptLine['from'] = n % 2 ? 'bot' : 'caller', at = `2026-11-02T08:00:${String(n % 60).padStart(2, '0')}.000Z`): TranscriptLine => ({ from, text: `rad ${n} – åäö`, at });

describe.each(BACKENDS)('%s transcript log', (_kind, open) => {
  let backend: StoreBackend<TranscriptLog>;
  let log: TranscriptLog;

  beforeEach(async () => {
    backend = await open();
    log = backend.store;
  });

  afterEach(async () => {
    await backend.close();
  });

  it('gives back a conversation\'s lines in the order said, turn after turn, apart from other conversations', async () => {
    await log.append('webchat/a', [line(0), line(1), line(2)], 40);
    await log.append('msteams/b', [line(7)], 40);
    await log.append('webchat/a', [line(3)], 40);
    expect(await log.recent('webchat/a', 40)).toEqual([line(0), line(1), line(2), line(3)]);
    expect(await log.recent('webchat/a', 2)).toEqual([line(2), line(3)]);
    expect(await log.recent('msteams/b', 40)).toEqual([line(7)]);
    expect(await log.recent('webchat/none', 40)).toEqual([]);
  });

  it('keeps only the last lines of a conversation, however many turns it has', async () => {
    for (let turn = 0; turn < 10; turn++) await log.append('webchat/long', [line(turn * 3), line(turn * 3 + 1), line(turn * 3 + 2)], 5);
    expect(await log.recent('webchat/long', 40)).toEqual([25, 26, 27, 28, 29].map((n) => line(n)));
  });

  it('forgets a conversation, and the sweep takes lines older than the retention', async () => {
    await log.append('webchat/a', [line(1, 'caller', '2026-11-01T10:00:00.000Z'), line(2, 'bot', '2026-11-02T10:00:00.000Z')], 40);
    await log.append('webchat/b', [line(3)], 40);
    await log.forget('webchat/b');
    expect(await log.recent('webchat/b', 40)).toEqual([]);
    expect(await log.deleteOlderThan(new Date('2026-11-02T00:00:00.000Z'))).toBe(1);
    expect(await log.recent('webchat/a', 40)).toEqual([line(2, 'bot', '2026-11-02T10:00:00.000Z')]);
  });
});
