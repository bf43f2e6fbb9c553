import { describe, expect, it } from 'vitest';
import { TestAdapter, TurnContext } from 'botbuilder';
import { conversationTranscripts, recordTranscript } from '../../src/conversation/transcript';
import { setTurnTransaction } from '../../src/storage/changeTrackedState';
import type { TurnTransaction } from '../../src/storage/conversationLock';
import type { TranscriptLog } from '../../src/cases/transcriptLog';
import type { TranscriptLine } from '../../src/cases/handoffPacket';
import { NOW } from '../support/facts';

/** A log that notes each append, and whether it was handed the turn's transaction (to stage it with the state). */
function notingLog() {
  const appends: Array<{ texts: string[]; staged: boolean }> = [];
  const log: TranscriptLog = {
    recent: async () => [],
    append: async (_key, lines: readonly TranscriptLine[], _keep, within) => {
      appends.push({ texts: lines.map((line) => line.text), staged: within !== undefined });
      return within !== undefined;
    },
    forget: async () => undefined,
    deleteOlderThan: async () => 0,
  };
  return { log, appends };
}

const same = { caller: (text: string) => text, bot: (text: string) => text };
const turn = (transaction?: TurnTransaction) => {
  const context = new TurnContext(new TestAdapter(), { type: 'message', channelId: 'test', conversation: { id: 'c1', isGroup: false, conversationType: 'personal', name: '' }, from: { id: 'u1', name: 'User' }, recipient: { id: 'bot', name: 'Bot' }, text: 'ja' });
  setTurnTransaction(context, transaction);
  recordTranscript(context, () => NOW, same);
  return context;
};
const transaction = { database: {}, run: async () => undefined, commitWith: async () => undefined, stage: () => undefined, takeReadAhead: () => undefined } as unknown as TurnTransaction;

describe("a turn's transcript lines and its state", () => {
  it("staged with the state's write, and kept alone when a turn that changed something could not save its state", async () => {
    const { log, appends } = notingLog();
    const transcripts = conversationTranscripts(log);
    const context = turn(transaction);
    await transcripts.save(context);
    expect(appends).toEqual([{ texts: ['ja'], staged: true }]);
    await transcripts.keepWithoutState(context);
    expect(appends).toEqual([{ texts: ['ja'], staged: true }, { texts: ['ja'], staged: false }]);
    // Once only.
    await transcripts.keepWithoutState(context);
    expect(appends).toHaveLength(2);
  });

  it('written at once where there is no turn transaction (SQLite keeps them for its next commit): nothing to keep again', async () => {
    const { log, appends } = notingLog();
    const transcripts = conversationTranscripts(log);
    const context = turn();
    await transcripts.save(context);
    await transcripts.keepWithoutState(context);
    expect(appends).toEqual([{ texts: ['ja'], staged: false }]);
  });

  it('a log on another database than the lock writes the lines at once even in a turn: nothing to keep again', async () => {
    const { log, appends } = notingLog();
    const elsewhere: TranscriptLog = { ...log, append: async (key, lines, keep) => log.append(key, lines, keep) };
    const transcripts = conversationTranscripts(elsewhere);
    const context = turn(transaction);
    await transcripts.save(context);
    await transcripts.keepWithoutState(context);
    expect(appends).toEqual([{ texts: ['ja'], staged: false }]);
  });

  it('a turn that failed before its transcript was saved keeps its lines alone', async () => {
    const { log, appends } = notingLog();
    const context = turn(transaction);
    await conversationTranscripts(log).keepWithoutState(context);
    expect(appends).toEqual([{ texts: ['ja'], staged: false }]);
  });
});
