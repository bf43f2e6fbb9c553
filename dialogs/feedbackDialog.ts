import type { DialogTurnResult, WaterfallStep, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import type { AccountAction } from '../src/policy';
import type { PerformActionResult } from './performActionDialog';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import { recognizeChoice } from '../src/understanding/choices';
import type { FlowDeps } from './flowSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { FreeTextPrompt, OptionPrompt } from './prompts';
import { ask } from './questions';
import { noteInsight } from '../src/conversation/insights';
import type { FeedbackReason } from '../src/insights/events';

export const FEEDBACK_DIALOG = 'feedback';
const STEPS = 'feedback.steps';
const REASON = 'feedback.reason';
const COMMENT = 'feedback.comment';

export interface FeedbackOptions {
  caseReference: string;
  accountId: string;
}

/** FB-1: after a cancellation, optionally ask why (a reason from a list, then any words of their own), and store it. */
export class FeedbackDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(FEEDBACK_DIALOG, deps);
    this.addDialog(new OptionPrompt(REASON, deps.i18n, deps.vocabulary.feedbackReasons));
    this.addDialog(new FreeTextPrompt(COMMENT, deps.i18n));
    this.addDialog(new Steps(STEPS, [this.askReason.bind(this), this.askComment.bind(this), this.store.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async askReason(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.prompt(REASON, ask({ named: 'feedbackReason', ask: { key: 'feedback:ask' } }, this.afterDone(step)));
  }

  private async askComment(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const reason = step.result as string | undefined;
    const t = translatorFor(step.context, this.deps.i18n);
    if (!reason || reason === 'skip') {
      await step.context.sendActivity(t('feedback:skipped'));
      return step.endDialog();
    }
    (step.values as { reason?: string }).reason = reason;
    return step.prompt(COMMENT, ask({ named: 'feedbackComment', ask: { key: 'feedback:comment' } }, this.afterDone(step)));
  }

  /** The feedback questions follow a completed action: leaving them leaves the action done (see InterruptibleDialog). */
  private afterDone(step: WaterfallStepContext) {
    return { doneCase: (step.options as FeedbackOptions).caseReference, helpKey: 'feedback:help' };
  }

  private async store(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { caseReference, accountId } = step.options as FeedbackOptions;
    const typed = step.result as string | undefined;
    const skipped = typed === undefined || recognizeChoice(this.deps.vocabulary.feedbackReasons, { text: typed, value: step.context.activity.value }) === 'skip';
    const t = translatorFor(step.context, this.deps.i18n);
    try {
      await this.deps.actions.recordFeedback(caseReference, accountId, (step.values as { reason: string }).reason, skipped ? null : typed, turnLanguage(step.context));
      noteInsight(step.context, { kind: 'feedback', reason: (step.values as { reason: FeedbackReason }).reason });
    } catch (error) {
      // Feedback is optional: losing it must not spoil a completed cancellation.
      this.deps.logger.warn('feedback.not-stored', { error: error as Error });
    }
    await step.context.sendActivity(t('feedback:thanks'));
    return step.endDialog();
  }
}

/**
 * The last step of a cancelling flow: after a completed action the policy may ask for feedback (FB-1). The step
 * result is the flow's PerformActionDialog result.
 */
export function feedbackStep(deps: Pick<FlowDeps, 'policy' | 'requests'>, actionOf: (step: WaterfallStepContext) => AccountAction): WaterfallStep {
  return async (step) => {
    const result = step.result as PerformActionResult | undefined;
    // Done, the request is over: a hand-off asked for at the feedback is about something else (the agent reads the
    // transcript), and the conversation no longer carries the subscription it was about.
    if (result?.status === 'done') await deps.requests.delete(step.context);
    if (result?.status !== 'done' || !deps.policy.feedback(actionOf(step)).ask) return step.endDialog(result);
    const { accountId } = step.options as { accountId: string };
    return step.replaceDialog(FEEDBACK_DIALOG, { caseReference: result.caseReference, accountId } satisfies FeedbackOptions);
  };
}
