import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import { noteRequest } from '../src/conversation/request';
import { formatDate } from '../src/format';
import type { CalendarDate } from '../src/policy';
import { endUnavailable, newFlowId, readSubscription, sayWithReason, subscriptionPhrase, type AccountFlowOptions, type FlowDeps } from './flowSupport';
import { withSupportContact } from './replies';
import { InterruptibleDialog } from './interruptibleDialog';
import { PERFORM_ACTION_DIALOG, type PerformActionOptions } from './performActionDialog';
import { YesNoPrompt } from './prompts';
import { ask, render } from './questions';
import { selectSubscriptionStep, type SelectedSubscription } from './selectSubscriptionDialog';

export const REACTIVATE_DIALOG = 'reactivate';
const STEPS = 'reactivate.steps';
const YES_NO = 'reactivate.yesNo';

/** The subscription itself, as the offer showed it, is kept in the current request (see shownSubscription). */
interface ReactivateValues {
  flowId: string;
  subscriptionId: string;
  /** The last day it can be reactivated (ISO), formatted in whatever language the caller speaks when declining. */
  until: CalendarDate;
}

/** Reactivation (RE-1..RE-3): possible until the retention period ends, never after a fast revoke; refused with the reason. */
export class ReactivateDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(REACTIVATE_DIALOG, deps);
    this.addDialog(new YesNoPrompt(YES_NO, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new Steps(STEPS, [selectSubscriptionStep('ended'), this.offer.bind(this), this.act.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async offer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const selected = step.result as SelectedSubscription | undefined;
    if (!selected) return step.endDialog();
    const t = translatorFor(step.context, this.deps.i18n);
    const language = turnLanguage(step.context);
    const read = await readSubscription(step.context, this.deps, (step.options as AccountFlowOptions).accountId, selected.subscriptionId);
    if (!read) return endUnavailable(step, this.deps);
    const { facts } = read;
    const values = step.values as ReactivateValues;
    Object.assign(values, { flowId: newFlowId(), subscriptionId: selected.subscriptionId });
    const label = subscriptionPhrase(facts);
    const subscription = render(t, label);
    const now = this.deps.now();
    const decision = this.deps.policy.reactivation(facts, now);
    await noteRequest(step.context, this.deps.requests, { subscription: { id: selected.subscriptionId, facts }, decision: { outcome: decision.outcome, rules: decision.rules } });

    switch (decision.outcome) {
      case 'not-needed':
        await sayWithReason(step, this.deps,
          decision.endsOn ? t('account:renewalOff', { subscription, date: formatDate(decision.endsOn, language) }) : t('account:nothingToReactivate', { subscription }),
          { reason: decision.why, params: decision.endsOn ? { date: decision.endsOn } : {} },
        );
        return step.endDialog();
      case 'refused': {
        const endedOn = formatDate(decision.endedOn, language);
        if (decision.reason === 'fast-revoked') {
          // DD-2: the data is being deleted (by its date) or has been deleted.
          const text = decision.data.state === 'being-deleted'
            ? t('reactivate:fastRevoked', { subscription, date: formatDate(decision.data.by, language) })
            : t('reactivate:fastRevokedDeleted', { subscription });
          await sayWithReason(step, this.deps, withSupportContact(t, text, this.deps.supportContact), { reason: decision.why });
        } else if (decision.reason === 'trial-expired') {
          await sayWithReason(step, this.deps, withSupportContact(t, t('reactivate:trialExpired', { subscription }), this.deps.supportContact), { reason: decision.why });
        } else {
          const deletedOn = formatDate(decision.dataDeletedOn, language);
          await sayWithReason(step, this.deps,
            withSupportContact(t, t('reactivate:dataDeleted', { subscription, endedOn, deletedOn }), this.deps.supportContact),
            { reason: decision.why, params: { deletedOn: decision.dataDeletedOn } },
          );
        }
        return step.endDialog();
      }
      case 'allowed': {
        values.until = decision.possibleUntil;
        await step.context.sendActivity(t('reactivate:allowed', { subscription, endedOn: formatDate(decision.endedOn, language), until: formatDate(decision.possibleUntil, language), renewsOn: formatDate(decision.renewsOn, language) }));
        return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'reactivate:confirm', params: { subscription: label } } }, { helpKey: 'reactivate:help.confirm' }));
      }
    }
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as ReactivateValues;
    if (step.result !== true) {
      await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('reactivate:declined', { until: formatDate(values.until, turnLanguage(step.context)) }));
      return step.endDialog();
    }
    return step.replaceDialog(PERFORM_ACTION_DIALOG, {
      ...(step.options as AccountFlowOptions),
      action: 'reactivate',
      subscriptionId: values.subscriptionId,
      flowId: values.flowId,
    } satisfies PerformActionOptions);
  }
}
