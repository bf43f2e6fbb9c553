import { MessageFactory } from 'botbuilder';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import { beginRequest, noteRequest } from '../src/conversation/request';
import { CANCEL_OPTIONS } from '../src/conversation/vocabulary';
import { formatDate } from '../src/format';
import type { CancellationDecision, RuleId, SubscriptionFacts } from '../src/policy';
import { feedbackStep } from './feedbackDialog';
import { answerColleagueOffer, endUnavailable, flowSubscription, newFlowId, readSubscription, sayWithReason, subscriptionPhrase, type AccountFlowOptions, type FlowDeps } from './flowSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { PERFORM_ACTION_DIALOG, type PerformActionOptions } from './performActionDialog';
import { REACTIVATE_DIALOG } from './reactivateDialog';
import { OptionPrompt, YesNoPrompt } from './prompts';
import { ask, questionOf, render } from './questions';
import { channelLabel, domainsLine } from './replies';
import { selectSubscriptionStep, type SelectedSubscription } from './selectSubscriptionDialog';

export const CANCEL_SUBSCRIPTION_DIALOG = 'cancelSubscription';
const STEPS = 'cancelSubscription.steps';
const HOW = 'cancelSubscription.how';
const YES_NO = 'cancelSubscription.yesNo';

type How = (typeof CANCEL_OPTIONS)[number];

/** The subscription itself, as the last summary showed it, is kept in the current request (see shownSubscription). */
interface CancelValues {
  flowId: string;
  subscriptionId: string;
  how?: How;
  /** With too many licences the yes/no after the explanation is "shall a colleague do it?", not the fee question. */
  offeredColleague?: { outcome: string; rules: RuleId[]; licenceThreshold: number };
  /** Already cancelled and still within reach: the yes/no after the explanation is "reactivate it instead?". */
  offeredReactivation?: boolean;
}

/**
 * Cancelling, as the policy decides it: nothing to cancel for a trial (TR-1, TR-2), nothing for Open/FPP (END-3),
 * otherwise at the end of the term (END-1, END-2) or now (EARLY-1..6, PK-1), which with 25 or more licences goes
 * to a person (EARLY-5, AS-2). Every change is summarised and confirmed before it is made.
 */
export class CancelSubscriptionDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(CANCEL_SUBSCRIPTION_DIALOG, deps);
    this.addDialog(new OptionPrompt(HOW, deps.i18n, deps.vocabulary.cancelOptions, { cancelOptions: deps.vocabulary.cancelOptions, cancelInstead: deps.vocabulary.cancelInstead }));
    this.addDialog(new YesNoPrompt(YES_NO, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(
      new Steps(STEPS, [
        selectSubscriptionStep(),
        this.offer.bind(this),
        this.explain.bind(this),
        this.summarise.bind(this),
        this.act.bind(this),
        feedbackStep(deps, (step) => ((step.values as CancelValues).how === 'endOfTerm' ? 'turn-off-auto-renew' : 'cancel-now')),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  /** Reads the subscription fresh and asks the policy what is possible. */
  private async decision(step: WaterfallStepContext): Promise<{ facts: SubscriptionFacts; decision: CancellationDecision } | undefined> {
    const read = await readSubscription(step.context, this.deps, (step.options as AccountFlowOptions).accountId, (step.values as CancelValues).subscriptionId);
    return read && { facts: read.facts, decision: this.deps.policy.cancellation(read.facts, this.deps.now()) };
  }

  /** The decision on a fresh read, its facts now the ones the caller is shown (and confirms, and a hand-off carries). */
  private async show(step: WaterfallStepContext): Promise<{ facts: SubscriptionFacts; decision: CancellationDecision } | undefined> {
    const read = await this.decision(step);
    if (read) await noteRequest(step.context, this.deps.requests, { subscription: { id: (step.values as CancelValues).subscriptionId, facts: read.facts } });
    return read;
  }

  private async offer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const selected = step.result as SelectedSubscription | undefined;
    if (!selected) return step.endDialog();
    const t = translatorFor(step.context, this.deps.i18n);
    const language = turnLanguage(step.context);
    const values = step.values as CancelValues;
    values.flowId = newFlowId();
    values.subscriptionId = selected.subscriptionId;
    const read = await this.decision(step);
    if (!read) return endUnavailable(step, this.deps);
    const { facts, decision } = read;
    const label = subscriptionPhrase(facts);
    await noteRequest(step.context, this.deps.requests, { subscription: { id: selected.subscriptionId, facts }, decision: { outcome: decision.outcome, rules: decision.rules } });
    const subscription = render(t, label);

    switch (decision.outcome) {
      case 'nothing-to-cancel':
        await sayWithReason(step, this.deps,
          t(decision.afterTrial === 'continues-as-paid' ? 'cancel:trialContinues' : 'cancel:trialExpires', { subscription, date: formatDate(decision.trialEndsOn, language) }),
          { reason: decision.why, params: { date: decision.trialEndsOn } },
        );
        return step.endDialog();
      case 'ends-by-itself': {
        const channel = channelLabel(facts.channel as 'OPEN' | 'FPP');
        await sayWithReason(step, this.deps, t('cancel:endsByItself', { subscription, channel, date: formatDate(decision.endsOn, language) }), { reason: decision.why, params: { channel, date: decision.endsOn } });
        return step.endDialog();
      }
      case 'already-ended': {
        const status = t(`account:statuses.${decision.status}`);
        const { reactivation } = decision;
        const until = reactivation.outcome === 'allowed' ? reactivation.possibleUntil : undefined;
        const deletedOn = reactivation.outcome === 'refused' && reactivation.reason === 'data-deleted' ? reactivation.dataDeletedOn : undefined;
        await sayWithReason(step, this.deps,
          until ? t('cancel:alreadyEndedReactivate', { subscription, status, until: formatDate(until, language) }) : t('cancel:alreadyEnded', { subscription, status }),
          { reason: decision.why, params: { status: { key: `account:statuses.${decision.status}` }, ...(until ? { until } : {}), ...(deletedOn ? { deletedOn } : {}) } },
        );
        if (!until) return step.endDialog();
        // "Säg upp" about a subscription that is already cancelled is often a wish to have it back (issue 13): the
        // policy allows a reactivation, so it is offered; the reactivation flow decides and confirms as always.
        values.offeredReactivation = true;
        return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'cancel:offerReactivate' } }));
      }
      case 'cancellable': {
        const { alreadyScheduled } = decision.endOfTerm;
        if (alreadyScheduled) {
          await sayWithReason(step, this.deps, t('cancel:alreadyScheduled', { subscription, date: formatDate(decision.endOfTerm.endsOn, language) }), { reason: 'already-scheduled', params: { date: decision.endOfTerm.endsOn } });
        }
        const question = ask({
          named: alreadyScheduled ? 'cancelHowInstead' : 'cancelHow',
          ask: { key: alreadyScheduled ? 'cancel:howInstead' : 'cancel:howToCancel', params: { subscription: label } },
        }, {
          helpKey: 'cancel:help.how',
          // "Would you like to cancel right away instead?" is answered with a yes or a no too.
          choiceList: alreadyScheduled ? 'cancelInstead' : 'cancelOptions',
        });
        // Said already in the first message ("säga upp vid periodens slut"): that is the answer, when it is on offer.
        const said = (step.options as AccountFlowOptions).how;
        const offered = questionOf(question);
        if (said && offered?.kind === 'choice' && offered.options.includes(said)) return step.next(said);
        return step.prompt(HOW, question);
      }
    }
  }

  private async explain(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as CancelValues;
    const t = translatorFor(step.context, this.deps.i18n);
    if (values.offeredReactivation) {
      if (step.result !== true) {
        await step.context.sendActivity(t('cancel:notReactivated'));
        return step.endDialog();
      }
      await beginRequest(step.context, this.deps.requests, 'reactivate');
      const { accountId, organisationName, caller } = step.options as AccountFlowOptions;
      return step.replaceDialog(REACTIVATE_DIALOG, { accountId, organisationName, caller } satisfies AccountFlowOptions);
    }
    const how = step.result as How | undefined;
    if (!how) {
      await step.context.sendActivity(t('cancel:notUnderstood'));
      return step.endDialog();
    }
    if (how === 'keep') {
      const kept = await flowSubscription(step, this.deps, values.subscriptionId);
      if (!kept) return endUnavailable(step, this.deps);
      await step.context.sendActivity(t('cancel:kept', { subscription: render(t, kept.label) }));
      return step.endDialog();
    }
    values.how = how;
    await noteRequest(step.context, this.deps.requests, { action: how === 'endOfTerm' ? 'turn-off-auto-renew' : 'cancel-now', choices: { how } });
    const read = await this.show(step);
    if (!read || read.decision.outcome !== 'cancellable') return endUnavailable(step, this.deps);
    const { decision } = read;
    const subscription = render(t, subscriptionPhrase(read.facts));
    const language = turnLanguage(step.context);

    if (how === 'endOfTerm') {
      await step.context.sendActivity(
        t('cancel:endOfTermSummary', { subscription, date: formatDate(decision.endOfTerm.endsOn, language), term: t(`cancel:terms.${decision.endOfTerm.termLength}`) }),
      );
      return step.next(true); // no fees to acknowledge at the end of the term
    }

    const { early } = decision;
    if (early.performedBy === 'human-agent' && early.online.available === false && early.online.reason === 'too-many-licences') {
      // EARLY-5, AS-2: explain what the caller can do themselves, and offer a person who does the cancellation.
      await sayWithReason(step, this.deps,
        t('cancel:tooManyLicences', { plan: t(`account:plans.${read.facts.plan}`), licences: read.facts.assignedLicenses, threshold: early.online.licenceThreshold, users: t('cancel:users', { count: early.online.usersToRemove }) }),
        { reason: 'too-many-licences' },
      );
      values.offeredColleague = { outcome: decision.outcome, rules: decision.rules, licenceThreshold: early.online.licenceThreshold };
      return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'cancel:offerColleague' } }, { helpKey: 'cancel:help.colleague', reason: { reason: 'too-many-licences' } }));
    }
    // What cancelling now means comes first (EARLY-2, EARLY-3, EARLY-6/PK-1, EARLY-4), then the fees to accept (EARLY-1).
    const lines = [
      domainsLine(t, 'cancel', early.domainsToRemove, language),
      t('cancel:accessAndData', { date: formatDate(early.dataDeletedOn, language) }),
      t(early.refund.kind === 'prorated-credit' ? 'cancel:refundProrated' : 'cancel:refundNone'),
      ...(early.online.available ? [t('cancel:selfService', { threshold: this.deps.policy.config.licenceThreshold })] : []),
    ];
    const intro = t('cancel:nowIntro', { subscription });
    await step.context.sendActivity(MessageFactory.text([intro, ...lines.map((line) => t('common:listItem', { item: line }))].join('\n')));
    return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'cancel:feeWarning' } }, { helpKey: 'cancel:help.fees', reason: { reason: 'early-fees' } }));
  }

  private async summarise(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as CancelValues;
    const t = translatorFor(step.context, this.deps.i18n);
    if (values.offeredColleague) return this.toColleague(step);
    if (step.result !== true) {
      if (values.how === 'now') await sayWithReason(step, this.deps, t('cancel:feeDeclined'), { reason: 'early-fees' });
      else await step.context.sendActivity(t('cancel:declined'));
      return step.endDialog();
    }
    if (values.how === 'now') await noteRequest(step.context, this.deps.requests, { choices: { feesAccepted: true } });
    if (values.how === 'endOfTerm') {
      return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'cancel:confirmEndOfTerm' } }, { helpKey: 'cancel:help.confirmEndOfTerm' }));
    }
    const read = await this.show(step);
    if (!read || read.decision.outcome !== 'cancellable') return endUnavailable(step, this.deps);
    const { early } = read.decision;
    const confirmKey = early.domainsToRemove.length > 0 ? 'cancel:confirmNowDomains' : 'cancel:confirmNow';
    return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: confirmKey, params: { subscription: subscriptionPhrase(read.facts) } } }, { helpKey: 'cancel:help.confirmNow' }));
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as CancelValues;
    const t = translatorFor(step.context, this.deps.i18n);
    if (step.result !== true) {
      await step.context.sendActivity(t('cancel:declined'));
      return step.endDialog();
    }
    return step.beginDialog(PERFORM_ACTION_DIALOG, {
      ...(step.options as AccountFlowOptions),
      action: values.how === 'endOfTerm' ? 'turn-off-auto-renew' : 'cancel-now',
      subscriptionId: values.subscriptionId,
      flowId: values.flowId,
    } satisfies PerformActionOptions);
  }

  /** EARLY-5, AS-2: with too many licences a colleague cancels, if the caller wants; the case carries the context. */
  private async toColleague(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as CancelValues;
    const offered = values.offeredColleague as NonNullable<CancelValues['offeredColleague']>;
    return answerColleagueOffer(step, this.deps, {
      declinedKey: 'cancel:colleagueDeclined',
      licenceThreshold: offered.licenceThreshold,
      why: 'too-many-licences',
      action: 'cancel-now',
      choices: { how: 'now' },
      subscriptionId: values.subscriptionId,
      decision: { outcome: offered.outcome, rules: offered.rules },
      flowId: values.flowId,
    });
  }
}
