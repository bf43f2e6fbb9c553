import { randomUUID } from 'node:crypto';
import { MessageFactory } from 'botbuilder';
import { WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import { translatorFor, turnLanguage } from '../src/bot/language';
import { formatDate } from '../src/format';
import type { SubscriptionFacts } from '../src/policy';
import { issueCode, OtpDeliveryError, type IssuedCode } from '../src/verification/otp';
import { feedbackStep } from './feedbackDialog';
import { readSubscription, subscriptionPhrase, type AccountFlowOptions, type FlowDeps } from './flowSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { PERFORM_ACTION_DIALOG, type PerformActionOptions } from './performActionDialog';
import { CodePrompt, PhrasePrompt, YesNoPrompt } from './prompts';
import { ask, render, type Phrase } from './questions';
import { selectSubscriptionStep, type SelectedSubscription } from './selectSubscriptionDialog';

export const FAST_REVOKE_DIALOG = 'fastRevoke';
const STEPS = 'fastRevoke.steps';
const YES_NO = 'fastRevoke.yesNo';
const CODE = 'fastRevoke.code';
const NAME = 'fastRevoke.name';
const STEP_UP = 'fastRevoke.stepUp';
/** Codes a caller can have sent in one fast revoke. */
const MAX_CODES = 3;

interface StepUpOptions {
  accountId: string;
  subscriptionId: string;
  phoneEnding: string;
  /** How many codes have been sent, this one included. */
  sends: number;
}

interface FastRevokeValues {
  flowId: string;
  subscriptionId: string;
  subscription: Phrase;
  /** The subscription as the explanation showed it. */
  shown: SubscriptionFacts;
  phoneEnding: string;
}

/**
 * Fast revoke (FR-1, FR-2): what it means and that it cannot be undone (RE-2); a one-time code sent to the phone
 * number on the account; the organisation's name typed as the last, explicit confirmation. Only then the action.
 */
export class FastRevokeDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(FAST_REVOKE_DIALOG, deps);
    this.addDialog(new YesNoPrompt(YES_NO, deps.vocabulary.yesNo));
    this.addDialog(new CodePrompt(CODE, deps.now, deps.vocabulary.resendCode));
    this.addDialog(new WaterfallDialog(STEP_UP, [this.sendCode.bind(this), this.afterCode.bind(this)]));
    this.addDialog(new PhrasePrompt(NAME));
    this.addDialog(
      new WaterfallDialog(STEPS, [
        selectSubscriptionStep(),
        this.explain.bind(this),
        this.askToSendCode.bind(this),
        this.stepUp.bind(this),
        this.askName.bind(this),
        this.act.bind(this),
        feedbackStep(deps.policy, () => 'fast-revoke'),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  private async explain(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const selected = step.result as SelectedSubscription | undefined;
    if (!selected) return step.endDialog();
    const t = translatorFor(step.context, this.deps.i18n);
    const values = step.values as FastRevokeValues;
    const read = await readSubscription(this.deps, (step.options as AccountFlowOptions).accountId, selected.subscriptionId);
    if (!read) {
      await step.context.sendActivity(t('account:unavailable'));
      return step.endDialog();
    }
    const { account, facts } = read;
    Object.assign(values, { flowId: randomUUID(), subscriptionId: selected.subscriptionId, subscription: subscriptionPhrase(facts), phoneEnding: account.phone.slice(-2), shown: facts });
    const subscription = render(t, values.subscription);

    const decision = this.deps.policy.fastRevoke(facts, this.deps.now());
    if (decision.outcome === 'refused') {
      const key = { 'already-fast-revoked': 'fastRevoke:alreadyFastRevoked', trial: 'fastRevoke:trial', 'data-already-deleted': 'fastRevoke:dataGone' }[decision.reason];
      await step.context.sendActivity(t(key, { subscription }));
      return step.endDialog();
    }
    const language = turnLanguage(step.context);
    const date = formatDate(decision.dataDeletedBy, language);
    const reactivation = this.deps.policy.reactivation(facts, this.deps.now());
    // Already cancelled: nothing is cancelled now; the deletion comes forward from the day the data would have gone.
    const explanation =
      reactivation.outcome === 'allowed'
        ? t('fastRevoke:explainCancelled', { subscription, date, until: formatDate(reactivation.possibleUntil, language) })
        : t('fastRevoke:explain', { subscription, date, retentionDays: decision.ordinaryRetentionDays });
    await step.context.sendActivity(MessageFactory.text(explanation));
    if (!decision.early) return step.next(true);
    // An active subscription is also cancelled early: fees acknowledged first (EARLY-1), refund said (EARLY-6, PK-1).
    const refund = { key: decision.early.refund === 'not-refundable' ? 'cancel:refundNone' : 'cancel:refundProrated' };
    return step.prompt(YES_NO, ask(step.context, this.deps.i18n, { kind: 'yesNo', ask: { key: 'fastRevoke:feeWarning', params: { refund } } }, { helpKey: 'cancel:help.fees' }));
  }

  private async askToSendCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (step.result !== true) {
      await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('fastRevoke:declined', { retentionDays: this.deps.policy.config.retentionDays }));
      return step.endDialog();
    }
    return step.prompt(YES_NO, ask(step.context, this.deps.i18n, { kind: 'yesNo', ask: { key: 'fastRevoke:continue', params: { last: values.phoneEnding } } }, { helpKey: 'fastRevoke:help.continue' }));
  }

  /** The step-up check: a code to the phone number on record, which only the account's people should hold. */
  private async stepUp(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (step.result !== true) {
      await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('fastRevoke:declined', { retentionDays: this.deps.policy.config.retentionDays }));
      return step.endDialog();
    }
    const { accountId } = step.options as AccountFlowOptions;
    return step.beginDialog(STEP_UP, { accountId, subscriptionId: values.subscriptionId, phoneEnding: values.phoneEnding, sends: 1 } satisfies StepUpOptions);
  }

  /** The step-up check: a code to the phone number on record, which only the account's people should hold. */
  private async sendCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as StepUpOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    const read = await readSubscription(this.deps, options.accountId, options.subscriptionId);
    if (!read) {
      await step.context.sendActivity(t('account:unavailable'));
      return step.endDialog();
    }
    const { ttlMinutes } = this.deps.otp;
    const { code, issued } = issueCode(this.deps.now(), ttlMinutes);
    try {
      await this.deps.otp.sender.send(read.account.phone, t('fastRevoke:sms', { code, minutes: ttlMinutes }));
    } catch (error) {
      if (!(error instanceof OtpDeliveryError)) throw error;
      this.deps.logger.error('flow.otp-not-sent', { error });
      await step.context.sendActivity(t('fastRevoke:smsFailed'));
      return step.endDialog();
    }
    const sent = options.sends > 1 ? 'fastRevoke:resent' : 'fastRevoke:codeSent';
    return step.prompt(
      CODE,
      ask(step.context, this.deps.i18n, { kind: 'text', ask: { key: sent, params: { last: options.phoneEnding } }, retry: { key: 'fastRevoke:codeRetry' } }, { issued } satisfies { issued: IssuedCode }),
    );
  }

  /** A caller who did not get the code may ask for a new one, a few times; a wrong code counts against them. */
  private async afterCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as StepUpOptions;
    if (step.result === 'resend') {
      if (options.sends < MAX_CODES) return step.replaceDialog(STEP_UP, { ...options, sends: options.sends + 1 });
      await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('fastRevoke:noMoreCodes'));
      return step.endDialog('stopped');
    }
    return step.endDialog(step.result === 'confirmed' ? 'confirmed' : undefined);
  }

  private async askName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    if (step.result !== 'confirmed') {
      if (step.result === undefined) await step.context.sendActivity(t('fastRevoke:codeFailed'));
      return step.endDialog();
    }
    const organisation = (step.options as AccountFlowOptions).organisationName;
    return step.prompt(
      NAME,
      ask(step.context, this.deps.i18n, { kind: 'text', ask: { key: 'fastRevoke:typeName', params: { organisation } }, retry: { key: 'fastRevoke:nameRetry', params: { organisation } } }, { phrase: organisation, helpKey: 'fastRevoke:help.name' }),
    );
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (step.result === undefined) {
      await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('fastRevoke:nameFailed'));
      return step.endDialog();
    }
    return step.beginDialog(PERFORM_ACTION_DIALOG, {
      ...(step.options as AccountFlowOptions),
      action: 'fast-revoke',
      subscriptionId: values.subscriptionId,
      subscription: values.subscription,
      shown: values.shown,
      flowId: values.flowId,
    } satisfies PerformActionOptions);
  }
}
