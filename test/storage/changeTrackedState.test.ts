import { ComponentRegistration, MemoryStorage, TestAdapter, TurnContext, type StoreItems } from 'botbuilder';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChangeTrackedConversationState, ChangeTrackedUserState } from '../../src/storage/changeTrackedState';
import { testRuntime } from '../support/bot';

/** A MemoryStorage that counts reads and keeps every write it was given, as written. */
function countingStorage() {
  const storage = new MemoryStorage();
  const writes: StoreItems[] = [];
  let reads = 0;
  return {
    writes,
    reads: () => reads,
    storage: Object.assign(Object.create(storage) as MemoryStorage, {
      read: (keys: string[]) => {
        reads++;
        return storage.read(keys);
      },
      write: (changes: StoreItems) => {
        writes.push(JSON.parse(JSON.stringify(changes)));
        return storage.write(changes);
      },
    }),
  };
}

function turnContext(conversationId = 'c1', userId = 'u1'): TurnContext {
  const adapter = new TestAdapter();
  return new TurnContext(adapter, { type: 'message', channelId: 'test', conversation: { id: conversationId, isGroup: false, conversationType: 'personal', name: '' }, from: { id: userId, name: 'User' }, recipient: { id: 'bot', name: 'Bot' }, text: 'hej' });
}

/** The SDK's BotState contract, with "changed?" answered by the JSON the store writes (issue 14: no SHA-256 a turn). */
describe('change-tracked conversation and user state', () => {
  it('writes only a state that changed, once, and reads it back as it was written', async () => {
    const { storage, writes } = countingStorage();
    const state = new ChangeTrackedConversationState(storage);
    const count = state.createProperty<number>('count');

    const first = turnContext();
    await state.load(first);
    await state.saveChanges(first);
    expect(writes).toHaveLength(0); // loaded, nothing changed: nothing written

    await count.set(first, 1);
    await state.saveChanges(first);
    await state.saveChanges(first);
    expect(writes).toHaveLength(1); // written once: after the first save the cache knows it is stored
    expect(Object.keys(writes[0])).toEqual(['test/conversations/c1/']);
    expect(writes[0]['test/conversations/c1/']).toMatchObject({ count: 1, eTag: '*' });

    const next = turnContext();
    expect(await count.get(next)).toBe(1);
    await state.saveChanges(next);
    expect(writes).toHaveLength(1); // read and left alone: not written again

    await count.set(next, 2);
    await state.saveChanges(next);
    expect(writes).toHaveLength(2);
  });

  it('a change deep inside the state counts, as the SDK does', async () => {
    const { storage, writes } = countingStorage();
    const state = new ChangeTrackedConversationState(storage);
    const dialogState = state.createProperty<{ dialogStack: Array<{ id: string; state: Record<string, unknown> }> }>('dialogState');
    const first = turnContext();
    await dialogState.set(first, { dialogStack: [{ id: 'steps', state: { stepIndex: 0 } }] });
    await state.saveChanges(first);

    const next = turnContext();
    const held = await dialogState.get(next);
    held!.dialogStack[0].state.stepIndex = 1; // mutated in place, as waterfalls do
    await state.saveChanges(next);
    expect(writes).toHaveLength(2);
    expect(writes[1]['test/conversations/c1/']).toMatchObject({ dialogState: { dialogStack: [{ state: { stepIndex: 1 } }] } });
  });

  it('clear, delete and a forced save behave as the SDK documents them', async () => {
    const { storage, writes } = countingStorage();
    const state = new ChangeTrackedUserState(storage);
    const language = state.createProperty<string>('language');
    const context = turnContext();
    await language.set(context, 'sv');
    await state.saveChanges(context);
    expect(writes.at(-1)).toMatchObject({ 'test/users/u1/': { language: 'sv' } });

    state.clear(context);
    await state.saveChanges(context);
    expect(writes).toHaveLength(2);
    expect(writes.at(-1)!['test/users/u1/']).toEqual({ eTag: '*' }); // cleared, and the empty state written

    await state.saveChanges(context, true);
    expect(writes).toHaveLength(3); // forced: written although unchanged

    await state.delete(context);
    expect(await storage.read(['test/users/u1/'])).toEqual({});
  });

  it('a forced load reads the store again', async () => {
    const { storage, reads } = countingStorage();
    const state = new ChangeTrackedConversationState(storage);
    const context = turnContext();
    await state.load(context);
    await state.load(context);
    expect(reads()).toBe(1);
    await state.load(context, true);
    expect(reads()).toBe(2);
  });
});

describe('the dialogs memory scopes', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are built on the first turn and handed to every later one, not built again each turn', async () => {
    const runtime = await testRuntime();
    // The SDK looks through the registered components for memory scopes only when the turn holds no configuration.
    const built = vi.spyOn(ComponentRegistration, 'components', 'get');
    const adapter = new TestAdapter((context) => runtime.bot.run(context));
    await adapter.send({ type: 'message', text: 'hej', locale: 'sv-SE' }).startTest();
    const afterFirst = built.mock.calls.length;
    expect(afterFirst).toBeGreaterThan(0);
    await adapter.send({ type: 'message', text: 'Säg upp prenumerationen', locale: 'sv-SE' }).send({ type: 'message', text: 'hjälp', locale: 'sv-SE' }).startTest();
    expect(built.mock.calls.length).toBe(afterFirst);
  });
});
