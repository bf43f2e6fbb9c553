import { ActivityTypes } from 'botbuilder';
import { ComponentDialog, DialogTurnStatus, type DialogContext, type DialogTurnResult } from 'botbuilder-dialogs';
import type { i18n } from 'i18next';
import { translatorFor } from '../src/bot/language';
import type { Vocabulary } from '../src/bot/vocabulary';
import { recognizeInterruption } from '../src/understanding/interruptions';

/**
 * The base of every flow (after core-bot's CancelAndHelpDialog): at any prompt, "avbryt"/"cancel" stops the flow
 * without changing anything, and "hjälp"/"help" explains the current question and asks it again. A prompt names
 * its help text in `validations.helpKey`.
 */
export abstract class InterruptibleDialog extends ComponentDialog {
  constructor(dialogId: string, protected readonly base: { i18n: i18n; vocabulary: Vocabulary }) {
    super(dialogId);
  }

  protected async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    const activity = innerDc.context.activity;
    const interruption = activity.type === ActivityTypes.Message ? recognizeInterruption(this.base.vocabulary.interruptions, activity.text) : undefined;
    if (interruption) {
      const t = translatorFor(innerDc.context, this.base.i18n);
      if (interruption === 'cancel') {
        await innerDc.context.sendActivity(t('interruptions:cancelled'));
        return innerDc.cancelAllDialogs();
      }
      const helpKey = (innerDc.activeDialog?.state?.options?.validations as { helpKey?: string } | undefined)?.helpKey;
      if (helpKey) {
        await innerDc.context.sendActivity(t(helpKey));
        await innerDc.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      }
    }
    return super.onContinueDialog(innerDc);
  }
}
