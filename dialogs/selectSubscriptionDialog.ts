import type { DialogTurnResult, WaterfallStep, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { DirectoryUnavailableError } from '../src/accounts/directory';
import { translatorFor } from '../src/conversation/language';
import { choice } from '../src/understanding/choices';
import { endUnavailable, subscriptionPhrase, type FlowDeps } from './flowSupport';
import { LANGUAGES } from '../src/i18n';
import { InterruptibleDialog } from './interruptibleDialog';
import { OptionPrompt } from './prompts';
import { ask, render, type Phrase } from './questions';
import { withSupportContact } from './replies';
import { accountThisTurn } from '../src/conversation/accountsThisTurn';

export const SELECT_SUBSCRIPTION_DIALOG = 'selectSubscription';
const STEPS = 'selectSubscription.steps';
const PICK = 'selectSubscription.pick';

export interface SelectSubscriptionOptions {
  accountId: string;
  /** Reactivation is about ended subscriptions; cancelling and fast revoke about any. */
  only?: 'ended';
}

export interface SelectedSubscription {
  subscriptionId: string;
}

/** The subscription a flow is about: the only one, or the one the caller picks from a list (a card where cards work). */
export class SelectSubscriptionDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(SELECT_SUBSCRIPTION_DIALOG, deps);
    this.addDialog(new OptionPrompt(PICK, deps.i18n));
    this.addDialog(new Steps(STEPS, [this.offer.bind(this), this.picked.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async offer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { accountId, only } = step.options as SelectSubscriptionOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    let account;
    try {
      account = await accountThisTurn(step.context, this.deps.directory, accountId);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      this.deps.logger.error('flow.directory-unavailable', { error });
      return endUnavailable(step, this.deps);
    }
    const all = account?.subscriptions ?? [];
    const ended = all.filter((s) => this.deps.policy.hasEnded(s.facts));
    const candidates = only === 'ended' && ended.length > 0 ? ended : all;
    if (candidates.length === 0) {
      await step.context.sendActivity(withSupportContact(t, t('account:noSubscriptions'), this.deps.supportContact));
      return step.endDialog();
    }
    if (candidates.length === 1) return step.endDialog({ subscriptionId: candidates[0].id } satisfies SelectedSubscription);

    const options = candidates.map((s) => ({
      value: s.id,
      title: { key: 'account:option', params: { subscription: subscriptionPhrase(s.facts), status: { key: `account:statuses.${s.facts.status}` } } } satisfies Phrase,
    }));
    // A title picks its option in either language, so a caller who switched language mid-question is understood.
    const choices = options.map((o) => choice(o.value, LANGUAGES.map((language) => render(this.deps.i18n.getFixedT(language), o.title))));
    return step.prompt(PICK, ask({ kind: 'choice', ask: { key: 'account:pickSubscription' }, retry: { key: 'account:pickRetry' }, options }, { choices }));
  }

  private async picked(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (step.result === undefined) return step.endDialog();
    return step.endDialog({ subscriptionId: step.result as string } satisfies SelectedSubscription);
  }
}

/** The first step of every account flow: which subscription it is about. */
export function selectSubscriptionStep(only?: SelectSubscriptionOptions['only']): WaterfallStep {
  return async (step) => {
    const { accountId } = step.options as { accountId: string };
    return step.beginDialog(SELECT_SUBSCRIPTION_DIALOG, { accountId, only } satisfies SelectSubscriptionOptions);
  };
}
