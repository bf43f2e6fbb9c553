import { ConversationState, MemoryStorage, TestAdapter, TurnContext } from 'botbuilder';
import { Dialog, DialogSet, DialogStateManager, WaterfallDialog, type DialogContext, type DialogState } from 'botbuilder-dialogs';
import { describe, expect, it, vi } from 'vitest';
import { applyDialogStateShortcuts } from '../../src/conversation/dialogStateShortcuts';

const PATHS = ['turn.activity', 'dialog._tracker.paths', 'turn.lastresult', 'user.name', 'conversation.list[0]', "turn['with.dot']", 'turn[turn.activity.text]', 'turn.a..b', '.x.', 'x.$y'];

/** A dialog context inside an active dialog (the `dialog` scope needs one), in a turn of its own. */
async function insideADialog(): Promise<{ dc: DialogContext; state: ConversationState; context: TurnContext }> {
  const state = new ConversationState(new MemoryStorage());
  const dialogs = new DialogSet(state.createProperty<DialogState>('dialogState'));
  dialogs.add(new WaterfallDialog('wait', [async () => Dialog.EndOfTurn]));
  const context = new TurnContext(new TestAdapter(), { type: 'message', text: 'hej', channelId: 'test', conversation: { id: 'c' } as never, from: { id: 'u' } as never, recipient: { id: 'b' } as never });
  const outer = await dialogs.createContext(context);
  await outer.beginDialog('wait');
  return { dc: await dialogs.createContext(context), state, context };
}

describe('applyDialogStateShortcuts', () => {
  it('parses every path as the SDK does, brackets and all, and gives each caller a copy of its own', async () => {
    const { dc } = await insideADialog();
    const before = PATHS.map((path) => dc.state.parsePath(path));
    const beforeNotNested = PATHS.map((path) => dc.state.parsePath(path, false));
    const badBefore = () => dc.state.parsePath('turn.bad path');
    expect(badBefore).toThrow(/Invalid path/);

    expect(applyDialogStateShortcuts()).toBe(true);
    expect(applyDialogStateShortcuts()).toBe(true); // a second call changes nothing
    for (let round = 0; round < 2; round++) expect(PATHS.map((path) => dc.state.parsePath(path))).toEqual(before);
    expect(PATHS.map((path) => dc.state.parsePath(path, false))).toEqual(beforeNotNested);
    const first = dc.state.parsePath('turn.activity');
    first.pop();
    expect(dc.state.parsePath('turn.activity')).toEqual(['turn', 'activity']);
    expect(() => dc.state.parsePath('turn.bad path')).toThrow(/Invalid path/);

    // Values set and read through remembered paths land where the SDK puts them; deleteValue takes its copy apart.
    dc.state.setValue('turn.answer', 42);
    expect(dc.state.getValue('turn.answer')).toBe(42);
    dc.state.deleteValue('turn.answer');
    expect(dc.state.getValue('turn.answer')).toBeUndefined();
    expect(dc.state.parsePath('turn.answer')).toEqual(['turn', 'answer']);
  });

  it('skips change tracking until a path is tracked, then counts changes as the SDK does', async () => {
    applyDialogStateShortcuts();
    const { dc } = await insideADialog();
    const lookups = vi.spyOn(DialogStateManager.prototype, 'getValue');
    dc.state.setValue('turn.answer', 1);
    // Untracked: the write reads nothing from dialog._tracker.paths (nothing to bump).
    expect(lookups.mock.calls.filter(([path]) => String(path).includes('_tracker'))).toHaveLength(0);

    const tracked = dc.state.trackPaths(['turn.answer']);
    dc.state.setValue('dialog.eventCounter', 5);
    expect(dc.state.anyPathChanged(4, tracked)).toBe(false);
    dc.state.setValue('turn.answer', 2);
    expect(dc.state.anyPathChanged(4, tracked)).toBe(true);
    expect(lookups.mock.calls.filter(([path]) => String(path).includes('_tracker')).length).toBeGreaterThan(0);
    lookups.mockRestore();
  });

  it('leaves waterfalls running across turns as before', async () => {
    applyDialogStateShortcuts();
    const state = new ConversationState(new MemoryStorage());
    const dialogs = new DialogSet(state.createProperty<DialogState>('dialogState'));
    const said: string[] = [];
    dialogs.add(
      new WaterfallDialog('ask', [
        async (step) => {
          (step.values as { asked?: boolean }).asked = true;
          said.push('fråga');
          return Dialog.EndOfTurn;
        },
        async (step) => {
          said.push(`svar: ${step.context.activity.text}, frågat: ${(step.values as { asked?: boolean }).asked}`);
          return step.endDialog();
        },
      ]),
    );
    const adapter = new TestAdapter(async (context) => {
      const dc = await dialogs.createContext(context);
      const result = await dc.continueDialog();
      if (result.status === 'empty') await dc.beginDialog('ask');
      await state.saveChanges(context);
    });
    await adapter.send('hej');
    await adapter.send('ja');
    expect(said).toEqual(['fråga', 'svar: ja, frågat: true']);
  });
});
