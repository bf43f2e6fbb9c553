import { ComponentRegistration, ConversationState, MemoryStorage, TestAdapter, TurnContext } from 'botbuilder';
import { Dialog, DialogSet, WaterfallDialog, type DialogState } from 'botbuilder-dialogs';
import registrationModule = require('botbuilder-dialogs/lib/dialogsComponentRegistration');
import { describe, expect, it } from 'vitest';
import { registerDialogComponentsOnce } from '../../src/conversation/dialogComponents';

/** The registration the SDK's dialog state managers registered last. */
const registered = () => ComponentRegistration.components.find((component) => component.constructor.name === 'DialogsComponentRegistration');

async function dialogContexts(count: number) {
  const dialogs = new DialogSet(new ConversationState(new MemoryStorage()).createProperty<DialogState>('dialogState'));
  const context = new TurnContext(new TestAdapter(), { type: 'message', text: 'hej', channelId: 'test', conversation: { id: 'c' } as never, from: { id: 'u' } as never, recipient: { id: 'b' } as never });
  const made = [];
  for (let i = 0; i < count; i++) {
    made.push(await dialogs.createContext(context));
    made.push(registered());
  }
  return made;
}

/** Each DialogContext's DialogStateManager made a DialogsComponentRegistration of its own; now one per process. */
describe('registerDialogComponentsOnce', () => {
  it('without it, every dialog context registers a new one (what this saves)', async () => {
    const [, first, , second] = await dialogContexts(2);
    // Applied by an earlier test in this file only once it runs; this one runs first.
    expect(first).not.toBe(second);
  });

  it('with it, every dialog context of the process shares one, of the same class, and dialogs still run', async () => {
    const SdkClass = registrationModule.DialogsComponentRegistration;
    expect(registerDialogComponentsOnce()).toBe(true);
    const { DialogsComponentRegistration } = registrationModule;
    expect(registerDialogComponentsOnce()).toBe(true); // a second call changes nothing
    const [, first, , second] = await dialogContexts(2);
    expect(first).toBe(second);
    expect(first).toBeInstanceOf(SdkClass);
    expect(first).toBeInstanceOf(DialogsComponentRegistration);
    expect(first?.constructor).toBe(SdkClass);
    expect(new DialogsComponentRegistration()).toBe(first);
    expect(ComponentRegistration.components.filter((component) => component.constructor.name === 'DialogsComponentRegistration')).toHaveLength(1);

    // Memory scopes and a waterfall across two turns, as the product uses them.
    const state = new ConversationState(new MemoryStorage());
    const dialogs = new DialogSet(state.createProperty<DialogState>('dialogState'));
    dialogs.add(
      new WaterfallDialog('ask', [
        async (step) => {
          (step.values as { asked?: boolean }).asked = true;
          step.context.turnState.set('said', 'frågan');
          return Dialog.EndOfTurn;
        },
        async (step) => {
          step.context.turnState.set('said', `svar: ${step.context.activity.text}, ${String((step.values as { asked?: boolean }).asked)}, ${String(step.state.getValue('turn.activity.text'))}`);
          return step.endDialog();
        },
      ]),
    );
    const adapter = new TestAdapter(async (context) => {
      const dc = await dialogs.createContext(context);
      const result = await dc.continueDialog();
      if (result.status === 'empty') await dc.beginDialog('ask');
      await context.sendActivity(String(context.turnState.get('said')));
      await state.saveChanges(context);
    });
    await adapter.send('hej').assertReply('frågan').send('ja').assertReply('svar: ja, true, ja');
  });
});
