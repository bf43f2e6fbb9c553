import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { translatorFor } from '../src/conversation/language';
import { maskCallerText } from '../src/privacy/mask';
import type { FlowDeps } from './flowSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { FreeTextPrompt } from './prompts';
import { ask } from './questions';

export const LEAVE_MESSAGE_DIALOG = 'leaveMessage';
const STEPS = 'leaveMessage.steps';
const MESSAGE = 'leaveMessage.message';

export interface LeaveMessageOptions {
  /** The hand-off waiting in this conversation (its case reference). */
  handoffId: string;
}

/**
 * A caller waiting for a person may leave a message instead: their words go into the hand-off (masked, like the
 * transcript), it leaves the queue, and the agent who calls back reads it in the console. "Avbryt" keeps them waiting.
 */
export class LeaveMessageDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(LEAVE_MESSAGE_DIALOG, deps);
    this.addDialog(new FreeTextPrompt(MESSAGE, deps.i18n));
    this.addDialog(new Steps(STEPS, [this.askForMessage.bind(this), this.leaveIt.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async askForMessage(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { handoffId } = step.options as LeaveMessageOptions;
    const params = { reference: handoffId };
    return step.prompt(MESSAGE, ask({ kind: 'text', ask: { key: 'handoff:writeYourMessage', params }, retry: { key: 'handoff:writeYourMessageAgain' } }));
  }

  private async leaveIt(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { handoffId } = step.options as LeaveMessageOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    const live = this.deps.liveHandoffs;
    const entry = await live?.queue.get(handoffId);
    // Taken by an agent (who now reads every word), handed back or closed while the caller was writing.
    if (!live || entry?.status !== 'waiting') {
      await step.context.sendActivity(t('handoff:messageNotLeft'));
      return step.endDialog();
    }
    const now = this.deps.now();
    // Out of the queue first (atomically): an agent who took it a moment ago gets the caller, not a message.
    const left = await live.queue.leaveMessage(handoffId, now);
    if (!left) {
      await step.context.sendActivity(t('handoff:messageNotLeft'));
      return step.endDialog();
    }
    await live.queue.append(handoffId, { from: 'caller', text: maskCallerText(step.result as string) }, now);
    live.events.publish({ kind: 'ended', handoffId });
    await step.context.sendActivity(t('handoff:messageLeft', { reference: handoffId }));
    return step.endDialog();
  }
}
