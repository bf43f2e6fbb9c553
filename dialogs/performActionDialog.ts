import { ActivityTypes, type Activity } from 'botbuilder';
import { asJson, referenceFor } from '../src/conversation/reference';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { DirectoryUnavailableError } from '../src/accounts/directory';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import type { ActionOutcome } from '../src/cases/accountActions';
import { formatDate } from '../src/format';
import type { AccountAction } from '../src/policy';
import type { ActionDates } from '../src/subscriptions/effects';
import { SubscriptionServiceUnavailableError } from '../src/subscriptions/subscriptionService';
import { standing } from '../src/verification/session';
import { endUnavailable, flowCaller, flowSubscription, handOverToPerson, idempotencyKey, sayWithReason, shownSubscription, type AccountFlowOptions, type FlowDeps } from './flowSupport';
import { markCommitted } from '../src/conversation/committed';
import { tenantOf } from '../src/conversation/scope';
import { InterruptibleDialog } from './interruptibleDialog';
import { noteInsight } from '../src/conversation/insights';
import { forgetAccountsThisTurn } from '../src/conversation/accountsThisTurn';
import { YesNoPrompt } from './prompts';
import { ask, render, type Phrase } from './questions';
import { receiptReply } from './replies';
import { assistedBy } from '../src/conversation/assistedCall';
import { typingWhileSlow } from '../src/conversation/typing';

export const PERFORM_ACTION_DIALOG = 'performAction';
const STEPS = 'performAction.steps';
const RETRY = 'performAction.retry';

export interface PerformActionOptions extends AccountFlowOptions {
  action: AccountAction;
  /** The facts the caller confirmed (see ActionContext.shown) are the current request's (see shownSubscription). */
  subscriptionId: string;
  flowId: string;
  /** Set on the one retry a caller gets after a backend failure. */
  retried?: boolean;
}

export type PerformActionResult = { status: 'done'; caseReference: string } | { status: 'handed-over'; caseReference: string } | { status: 'not-done' };

/**
 * Carries out a confirmed action: once per idempotency key, with a receipt that carries the case reference. A backend
 * that fails gets an apology and one retry; after that a person takes over (AS-2), with the context.
 */
export class PerformActionDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(PERFORM_ACTION_DIALOG, deps);
    this.addDialog(new YesNoPrompt(RETRY, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new Steps(STEPS, [this.attempt.bind(this), this.afterRetryAnswer.bind(this)]));
    this.initialDialogId = STEPS;
  }

  private async attempt(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as PerformActionOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    // The caller may have confirmed after the verification lapsed (ID-1): nothing changes without a fresh one.
    const session = await this.deps.callerSession.get(step.context);
    if (session?.accountId !== options.accountId || this.deps.policy.access(standing(session), this.deps.now()).level !== 'account-actions') return this.lapsed(step);
    const shown = await shownSubscription(step.context, this.deps.requests, options.subscriptionId);
    if (!shown) {
      // The session is valid, so the request should be here (every flow notes it): nothing is done without it.
      this.deps.logger.error('flow.request-missing', { action: options.action });
      return endUnavailable(step, this.deps, { status: 'not-done' } satisfies PerformActionResult);
    }
    let outcome: ActionOutcome;
    try {
      outcome = await typingWhileSlow(step.context, () => this.deps.actions.perform(options.action, {
        accountId: options.accountId,
        subscriptionId: options.subscriptionId,
        idempotencyKey: idempotencyKey(step.context, options.flowId, options.action, options.subscriptionId),
        channel: step.context.activity.channelId,
        tenant: tenantOf(step.context),
        caller: options.caller,
        shown: shown.facts,
        // The domain asks the policy again with the caller's standing (ID-1, ID-2): defence in depth.
        verifiedCaller: session && { accountId: session.accountId, standing: standing(session) },
        assistedBy: assistedBy(step.context),
      }));
    } catch (error) {
      if (!(error instanceof SubscriptionServiceUnavailableError || error instanceof DirectoryUnavailableError)) throw error;
      this.deps.logger.error('flow.backend-unavailable', { action: options.action, error });
      if (options.retried) return this.handOver(step);
      return step.prompt(RETRY, ask({ kind: 'yesNo', ask: { key: 'action:unavailable' } }));
    } finally {
      // Done or not, the subscription may have changed: nothing later in this turn may use the account as read before.
      forgetAccountsThisTurn(step.context);
    }

    const subscription = render(t, shown.label);
    if (outcome.status === 'done') {
      markCommitted(step.context);
      await step.context.sendActivity(this.receipt(step, shown.label, outcome.supportCase.reference, outcome.dates));
      // Once per case: a redelivered "yes" that finds the change made is no second action.
      if (!outcome.alreadyDone) {
        noteInsight(step.context, { kind: 'action', action: options.action });
        noteInsight(step.context, { kind: 'receipt', of: 'action' });
      }
      return step.endDialog({ status: 'done', caseReference: outcome.supportCase.reference } satisfies PerformActionResult);
    }
    if (outcome.status === 'not-permitted') return this.lapsed(step);
    await step.context.sendActivity(t(outcome.status === 'changed' ? 'action:changed' : 'action:notAllowed', { subscription }));
    return step.endDialog({ status: 'not-done' } satisfies PerformActionResult);
  }

  /** The caller may have confirmed after the verification lapsed (ID-1): nothing changes without a fresh one. */
  private async lapsed(step: WaterfallStepContext): Promise<DialogTurnResult> {
    await sayWithReason(step, this.deps, translatorFor(step.context, this.deps.i18n)('verify:lapsed'), { reason: 'verification-lapsed' });
    return step.endDialog({ status: 'not-done' } satisfies PerformActionResult);
  }

  private async afterRetryAnswer(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (step.result === true) return step.replaceDialog(STEPS, { ...(step.options as PerformActionOptions), retried: true });
    return this.handOver(step);
  }

  private receipt(step: WaterfallStepContext, label: Phrase, reference: string, dates: ActionDates): Partial<Activity> {
    const options = step.options as PerformActionOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    const subscription = render(t, label);
    const whatNext = t(`action:receipt.${options.action}`, { subscription, ...this.formatDates(step, dates) });
    return receiptReply(t, { title: t('action:receipt.title'), reference, subscription, whatNext }, step.context.activity.channelId);
  }

  /**
   * The change the backend could not make stays pending; the outbox worker tries it again (same request, same key)
   * and tells the caller here: the receipt if it got done, why not if the subscription changed meanwhile.
   */
  private async keepTrying(step: WaterfallStepContext, handoffReference: string): Promise<void> {
    const options = step.options as PerformActionOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    try {
      const pending = await this.deps.actions.findUnfinished(idempotencyKey(step.context, options.flowId, options.action, options.subscriptionId));
      if (!pending) return;
      const shown = await flowSubscription(step, this.deps, options.subscriptionId);
      if (!shown) throw new Error('the subscription of a pending case could not be read for its follow-up');
      const done = [{ type: ActivityTypes.Message, text: t('action:followUp.done') }, this.receipt(step, shown.label, pending.reference, pending.details.dates as ActionDates)];
      const otherwise = [{ type: ActivityTypes.Message, text: t('action:followUp.notDone', { subscription: render(t, shown.label), handoff: handoffReference }) }];
      await this.deps.outbox.add({ kind: 'after-pending-case', conversation: referenceFor(step.context), activities: asJson(done), otherwise: asJson(otherwise), caseReference: pending.reference }, new Date(Date.now() + this.deps.outboxGraceMs));
      await step.context.sendActivity(t('action:willKeepTrying'));
    } catch (error) {
      // The store is away too: the colleague settles the pending case, as the hand-off says.
      this.deps.logger.error('flow.follow-up-not-kept', { error: error as Error });
    }
  }

  /** AS-2: a backend failure goes to a person, with what the caller asked for and proved. */
  private async handOver(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as PerformActionOptions;
    const subscription = await flowSubscription(step, this.deps, options.subscriptionId);
    const reference = await handOverToPerson(step, this.deps, {
      reason: 'backend-failure',
      caller: flowCaller(options),
      subscription: subscription && { id: subscription.id, facts: subscription.facts },
      wanted: { action: options.action, choices: { confirmed: true, retried: options.retried === true } },
      flowId: options.flowId,
      introKey: 'action:handedOver',
      unfinishedActionKey: idempotencyKey(step.context, options.flowId, options.action, options.subscriptionId),
    });
    if (reference) await this.keepTrying(step, reference);
    return step.endDialog((reference ? { status: 'handed-over', caseReference: reference } : { status: 'not-done' }) satisfies PerformActionResult);
  }

  private formatDates(step: WaterfallStepContext, dates: ActionDates): Record<string, string> {
    const language = turnLanguage(step.context);
    return Object.fromEntries(Object.entries(dates).filter(([, v]) => v).map(([k, v]) => [k, formatDate(v as string, language)]));
  }
}
