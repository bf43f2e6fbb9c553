import { TestAdapter, TurnContext } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { ChangeTrackedConversationState } from '../../src/storage/changeTrackedState';
import { createSqliteStateStore, openSqliteDatabase } from '../../src/storage/sqlite';
import { jsonToWrite, takeJsonAsRead, writeWithJson } from '../../src/storage/stateJson';
import { newStateKey } from '../../src/storage/stateSeal';

function turnContext(): TurnContext {
  return new TurnContext(new TestAdapter(), { type: 'message', channelId: 'test', conversation: { id: 'c1', isGroup: false, conversationType: 'personal', name: '' }, from: { id: 'u1', name: 'User' }, recipient: { id: 'bot', name: 'Bot' }, text: 'hej' });
}

/** The turn's state made into JSON once per use, not three times (issue 14), and never a stale text written. */
describe('state JSON made once', () => {
  const sqliteStore = () => {
    const store = createSqliteStateStore(openSqliteDatabase(':memory:'), true, { key: newStateKey() });
    let writes = 0;
    const write = store.write.bind(store);
    store.write = (changes) => {
      writes++;
      return write(changes);
    };
    return { store, writes: () => writes };
  };

  it('a state read from the store is compared with the JSON it was read from: unchanged, it is not written again', async () => {
    const { store, writes } = sqliteStore();
    const state = new ChangeTrackedConversationState(store);
    const place = state.createProperty<{ question: string; answers: string[] }>('place');
    const first = turnContext();
    await state.load(first);
    await place.set(first, { question: 'telefon', answers: ['Åsa', 'Öregrund'] });
    await state.saveChanges(first);
    expect(writes()).toBe(1);

    const second = turnContext();
    const loaded = await state.load(second);
    expect(takeJsonAsRead(loaded)).toBeUndefined(); // the tracker took it
    expect(await place.get(second)).toEqual({ question: 'telefon', answers: ['Åsa', 'Öregrund'] });
    await state.saveChanges(second);
    expect(writes()).toBe(1);

    const third = turnContext();
    await state.load(third);
    (await place.get(third))!.answers.push('Älvsjö');
    await state.saveChanges(third);
    expect(writes()).toBe(2);
    const fourth = turnContext();
    await state.load(fourth);
    expect((await place.get(fourth))?.answers).toEqual(['Åsa', 'Öregrund', 'Älvsjö']);
  });

  it('an item is stored as it was when the write was asked for, though it is committed a moment later', async () => {
    const { store } = sqliteStore();
    const item = { step: 'telefon', eTag: '*' };
    const written = store.write({ conversation: item });
    item.step = 'ändrad efteråt';
    await written;
    const read = (await store.read(['conversation'])).conversation as object;
    expect(read).toMatchObject({ step: 'telefon' });
    // What it was opened from is kept for the state tracker, once.
    expect(takeJsonAsRead(read)).toBe('{"step":"telefon"}');
    expect(takeJsonAsRead(read)).toBeUndefined();
  });

  it('the JSON handed over for an item is written once; a later write of the same object makes its own', () => {
    const item: Record<string, unknown> = { step: 'telefon', eTag: '*' };
    writeWithJson(item, '{"step":"telefon"}');
    expect(jsonToWrite(item)).toBe('{"step":"telefon"}');
    item.step = 'adress';
    expect(jsonToWrite(item)).toBe('{"step":"adress"}');
  });
});
