import { MessageFactory } from 'botbuilder';
import type { DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { Steps } from './steps';
import { translatorFor, turnLanguage } from '../src/conversation/language';
import type { ReasonToExplain } from '../src/conversation/reasons';
import { noteRequest } from '../src/conversation/request';
import { formatDate } from '../src/format';
import type { CalendarDate, RuleId } from '../src/policy';
import { issueCode, OtpDeliveryError, type IssuedCode } from '../src/verification/otp';
import { feedbackStep } from './feedbackDialog';
import { answerColleagueOffer, endUnavailable, newFlowId, readSubscription, sayWithReason, subscriptionPhrase, type AccountFlowOptions, type FlowDeps } from './flowSupport';
import { InterruptibleDialog } from './interruptibleDialog';
import { PERFORM_ACTION_DIALOG, type PerformActionOptions } from './performActionDialog';
import { CodePrompt, PhrasePrompt, YesNoPrompt } from './prompts';
import { ask, render } from './questions';
import { channelLabel, domainsLine, withSupportContact } from './replies';
import { selectSubscriptionStep, type SelectedSubscription } from './selectSubscriptionDialog';

export const FAST_REVOKE_DIALOG = 'fastRevoke';
const STEPS = 'fastRevoke.steps';
const YES_NO = 'fastRevoke.yesNo';
const CODE = 'fastRevoke.code';
const NAME = 'fastRevoke.name';
const STEP_UP = 'fastRevoke.stepUp';

interface StepUpOptions {
  accountId: string;
  subscriptionId: string;
  phoneEnding: string;
  /** How many codes have been sent, this one included. */
  sends: number;
  /** Why the code is needed, for "why?" at the code question (AS-3). */
  reason: ReasonToExplain;
  /** The code last sent (hashed); set once no more can be sent, so the question is asked again for it. */
  lastIssued?: IssuedCode;
}

/** The subscription itself, as the explanation showed it, is kept in the current request (see shownSubscription). */
interface FastRevokeValues {
  flowId: string;
  subscriptionId: string;
  phoneEnding: string;
  /** With too many licences the yes/no after the explanation is "shall a colleague do it?"; the decision behind it. */
  offeredColleague?: { outcome: string; rules: RuleId[]; licenceThreshold: number };
  /** What declining leaves the caller with (a locale key and the date it names), said in the language of the moment. */
  ifDeclined: { key: string; date?: CalendarDate };
  /** The fee question was asked (EARLY-1): a no to it is a no to the fee. */
  askedFees?: boolean;
  /** A running subscription's last day, were it left alone. */
  termEndsOn?: CalendarDate;
  /** Why the step-up questions are asked (AS-3). */
  irreversible: ReasonToExplain;
}

/**
 * Fast revoke (FR-1, FR-2): what it means and that it cannot be undone (RE-2); a one-time code sent to the phone
 * number on the account; the organisation's name typed as the last, explicit confirmation. Only then the action.
 */
export class FastRevokeDialog extends InterruptibleDialog {
  constructor(private readonly deps: FlowDeps) {
    super(FAST_REVOKE_DIALOG, deps);
    this.addDialog(new YesNoPrompt(YES_NO, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new CodePrompt(CODE, deps.i18n, deps.now, deps.vocabulary.resendCode, deps.otp.limits));
    this.addDialog(new Steps(STEP_UP, [this.sendCode.bind(this), this.afterCode.bind(this)]));
    this.addDialog(new PhrasePrompt(NAME, deps.i18n));
    this.addDialog(
      new Steps(STEPS, [
        selectSubscriptionStep(),
        this.explain.bind(this),
        this.askToSendCode.bind(this),
        this.stepUp.bind(this),
        this.askName.bind(this),
        this.act.bind(this),
        feedbackStep(deps, () => 'fast-revoke'),
      ]),
    );
    this.initialDialogId = STEPS;
  }

  private async explain(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const selected = step.result as SelectedSubscription | undefined;
    if (!selected) return step.endDialog();
    const t = translatorFor(step.context, this.deps.i18n);
    const values = step.values as FastRevokeValues;
    const read = await readSubscription(step.context, this.deps, (step.options as AccountFlowOptions).accountId, selected.subscriptionId);
    if (!read) return endUnavailable(step, this.deps);
    const { account, facts } = read;
    Object.assign(values, { flowId: newFlowId(), subscriptionId: selected.subscriptionId, phoneEnding: account.phone.slice(-2) });
    const subscription = render(t, subscriptionPhrase(facts));
    const language = turnLanguage(step.context);

    const decision = this.deps.policy.fastRevoke(facts, this.deps.now());
    await noteRequest(step.context, this.deps.requests, { subscription: { id: selected.subscriptionId, facts }, decision: { outcome: decision.outcome, rules: decision.rules } });
    switch (decision.outcome) {
      case 'refused': {
        const text =
          decision.reason === 'already-fast-revoked'
            ? // DD-2: "is being deleted, by <date>" up to that day, "has been deleted" after it.
              decision.data.state === 'being-deleted'
              ? t('fastRevoke:alreadyFastRevoked', { subscription, date: formatDate(decision.data.by, language) })
              : t('fastRevoke:alreadyDeleted', { subscription })
            : decision.why === 'reactivation-trial-expired'
              ? withSupportContact(t, t('reactivate:trialExpired', { subscription }), this.deps.supportContact)
              : decision.reason === 'trial'
                ? t('fastRevoke:trial', { subscription })
                : t('fastRevoke:dataGone', { subscription });
        await sayWithReason(step, this.deps, text, { reason: decision.why, params: { date: facts.termEnd } });
        return step.endDialog();
      }
      case 'needs-human-agent': {
        // FR-3, EARLY-5, AS-2: a running subscription with too many licences is fast-revoked by a person.
        await sayWithReason(step, this.deps,
          t('fastRevoke:tooManyLicences', { subscription, threshold: decision.licenceThreshold, users: t('cancel:users', { count: decision.usersToRemove }) }),
          { reason: decision.why },
        );
        values.offeredColleague = { outcome: decision.outcome, rules: decision.rules, licenceThreshold: decision.licenceThreshold };
        return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'fastRevoke:offerColleague' } }, { helpKey: 'fastRevoke:help.colleague', reason: { reason: decision.why } }));
      }
      case 'allowed': {
        const date = formatDate(decision.dataDeletedBy, language);
        values.irreversible = { reason: decision.why };
        const { situation } = decision;
        if (situation.kind === 'ended') {
          // Already cancelled: nothing is cancelled now; the deletion comes forward from the day the data would have gone (FR-3, DD-1).
          values.ifDeclined = { key: 'fastRevoke:declinedEnded', date: situation.keptUntil };
          await step.context.sendActivity(t('fastRevoke:explainCancelled', { subscription, date, until: formatDate(situation.keptUntil, language) }));
          return step.next(true);
        }
        // FR-3: ending a running subscription now is an early cancellation: domains and DNS, save the data, money.
        const { money, domainsToRemove } = situation;
        values.termEndsOn = situation.termEndsOn;
        values.ifDeclined = money.kind === 'fees-may-apply' ? { key: 'fastRevoke:declined' } : { key: 'fastRevoke:declinedPartner', date: situation.termEndsOn };
        const lines = [
          domainsLine(t, 'fastRevoke', domainsToRemove, language),
          t('fastRevoke:saveData', { date }),
          money.kind === 'fees-may-apply'
            ? t(money.refund.kind === 'prorated-credit' ? 'cancel:refundProrated' : 'cancel:refundNone')
            : t('fastRevoke:askPartner', { channel: channelLabel(money.channel) }),
        ];
        await step.context.sendActivity(MessageFactory.text([t('fastRevoke:explain', { subscription, date, retentionDays: decision.ordinaryRetentionDays }), ...lines.map((line) => t('common:listItem', { item: line }))].join('\n')));
        if (money.kind !== 'fees-may-apply') return step.next(true);
        // EARLY-1: the caller accepts possible early-termination fees before anything else.
        values.askedFees = true;
        return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'fastRevoke:feeWarning' } }, { helpKey: 'cancel:help.fees', reason: { reason: 'early-fees' } }));
      }
    }
  }

  /** What declining leaves the caller with, in the language spoken now. */
  private declined(step: WaterfallStepContext): string {
    const { ifDeclined } = step.values as FastRevokeValues;
    const language = turnLanguage(step.context);
    return translatorFor(step.context, this.deps.i18n)(ifDeclined.key, { retentionDays: this.deps.policy.config.retentionDays, ...(ifDeclined.date ? { date: formatDate(ifDeclined.date, language), until: formatDate(ifDeclined.date, language) } : {}) });
  }

  private async askToSendCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (values.offeredColleague) return this.toColleague(step);
    if (step.result !== true) {
      if (values.askedFees) {
        // EARLY-1: no fee at the end of the term; that is the way out of the fee, not another early cancellation.
        const t = translatorFor(step.context, this.deps.i18n);
        await sayWithReason(step, this.deps, t('fastRevoke:feeDeclined', { date: formatDate(values.termEndsOn as CalendarDate, turnLanguage(step.context)) }), { reason: 'early-fees' });
      } else {
        await step.context.sendActivity(this.declined(step));
      }
      return step.endDialog();
    }
    await noteRequest(step.context, this.deps.requests, { choices: { consequencesAccepted: true } });
    return step.prompt(YES_NO, ask({ kind: 'yesNo', ask: { key: 'fastRevoke:continue', params: { last: values.phoneEnding } } }, { helpKey: 'fastRevoke:help.continue', reason: values.irreversible }));
  }

  /** The step-up check: a code to the phone number on record, which only the account's people should hold. */
  private async stepUp(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (step.result !== true) {
      await step.context.sendActivity(this.declined(step));
      return step.endDialog();
    }
    const { accountId } = step.options as AccountFlowOptions;
    return step.beginDialog(STEP_UP, { accountId, subscriptionId: values.subscriptionId, phoneEnding: values.phoneEnding, sends: 1, reason: values.irreversible } satisfies StepUpOptions);
  }

  /** The step-up check: a code to the phone number on record, which only the account's people should hold. */
  private async sendCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as StepUpOptions;
    const t = translatorFor(step.context, this.deps.i18n);
    const { ttlMinutes } = this.deps.otp;
    if (options.lastIssued) {
      // No more codes to send (FR-2): the last one still counts until it expires.
      await step.context.sendActivity(t('fastRevoke:noMoreCodes', { minutes: ttlMinutes }));
      return this.askForCode(step, options.lastIssued);
    }
    const read = await readSubscription(step.context, this.deps, options.accountId, options.subscriptionId);
    if (!read) {
      await step.context.sendActivity(withSupportContact(t, t('account:unavailable'), this.deps.supportContact));
      return step.endDialog('stopped');
    }
    if (!(await this.deps.otp.limits.allowSend(options.accountId))) {
      // FR-2 over time: the account has had its share of codes for now, however many fast revokes were started.
      await sayWithReason(step, this.deps, withSupportContact(t, t('fastRevoke:codeLimit'), this.deps.supportContact), { reason: 'code-not-confirmed' });
      return step.endDialog('limit');
    }
    const { code, issued } = issueCode(this.deps.now(), ttlMinutes);
    try {
      await this.deps.otp.sender.send(read.account.phone, t('fastRevoke:sms', { code, minutes: ttlMinutes }));
    } catch (error) {
      if (!(error instanceof OtpDeliveryError)) throw error;
      await this.deps.otp.limits.withdrawSend(options.accountId);
      this.deps.logger.error('flow.otp-not-sent', { error });
      await step.context.sendActivity(withSupportContact(t, t('fastRevoke:smsFailed'), this.deps.supportContact));
      return step.endDialog('stopped');
    }
    // Said once; the question itself stays neutral, so asking it again never claims another code was sent.
    await step.context.sendActivity(t(options.sends > 1 ? 'fastRevoke:resent' : 'fastRevoke:codeSent', { last: options.phoneEnding }));
    return this.askForCode(step, issued);
  }

  private async askForCode(step: WaterfallStepContext, issued: IssuedCode): Promise<DialogTurnResult> {
    const options = step.options as StepUpOptions;
    // The issued code (hashed) is kept with the step's options: "send again" past the limit asks for it once more.
    options.lastIssued = issued;
    return step.prompt(
      CODE,
      ask({ kind: 'text', ask: { key: 'fastRevoke:typeCode' }, retry: { key: 'fastRevoke:codeRetry' } }, {
        issued,
        accountId: options.accountId,
        sensitive: true,
        reason: options.reason,
        helpKey: 'fastRevoke:help.code',
        helpParams: { last: options.phoneEnding, minutes: this.deps.otp.ttlMinutes },
      }),
    );
  }

  /** A caller who did not get the code may ask for a new one, a few times; a wrong code counts against them. */
  private async afterCode(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as StepUpOptions;
    if (step.result === 'limit') {
      const t = translatorFor(step.context, this.deps.i18n);
      await sayWithReason(step, this.deps, withSupportContact(t, t('fastRevoke:wrongCodeLimit'), this.deps.supportContact), { reason: 'code-not-confirmed' });
      return step.endDialog('limit');
    }
    if (step.result === 'resend') {
      const more = this.deps.policy.mayResendCode(options.sends);
      return step.replaceDialog(STEP_UP, more ? { ...options, sends: options.sends + 1, lastIssued: undefined } : options);
    }
    // The code is a secret of the caller's phone: the transcript an agent reads keeps only that it was typed.
    if (step.result === 'confirmed') await noteRequest(step.context, this.deps.requests, { choices: { codeConfirmed: true } });
    return step.endDialog(step.result === 'confirmed' ? 'confirmed' : undefined);
  }

  private async askName(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    if (step.result !== 'confirmed') {
      if (step.result === undefined) await sayWithReason(step, this.deps, withSupportContact(t, t('fastRevoke:codeFailed'), this.deps.supportContact), { reason: 'code-not-confirmed' });
      return step.endDialog();
    }
    const organisation = (step.options as AccountFlowOptions).organisationName;
    return step.prompt(
      NAME,
      ask({ kind: 'text', ask: { key: 'fastRevoke:typeName', params: { organisation } }, retry: { key: 'fastRevoke:nameRetry', params: { organisation } } }, { phrase: organisation, helpKey: 'fastRevoke:help.name', reason: (step.values as FastRevokeValues).irreversible }),
    );
  }

  private async act(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    if (step.result === undefined) {
      const t = translatorFor(step.context, this.deps.i18n);
      await sayWithReason(step, this.deps, withSupportContact(t, t('fastRevoke:nameFailed'), this.deps.supportContact), { reason: 'name-not-confirmed' });
      return step.endDialog();
    }
    return step.beginDialog(PERFORM_ACTION_DIALOG, {
      ...(step.options as AccountFlowOptions),
      action: 'fast-revoke',
      subscriptionId: values.subscriptionId,
      flowId: values.flowId,
    } satisfies PerformActionOptions);
  }

  /** FR-3, AS-2: with too many licences a colleague does the fast revoke, if the caller wants; the case carries the context. */
  private async toColleague(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as FastRevokeValues;
    const offered = values.offeredColleague as NonNullable<FastRevokeValues['offeredColleague']>;
    return answerColleagueOffer(step, this.deps, {
      declinedKey: 'fastRevoke:colleagueDeclined',
      licenceThreshold: offered.licenceThreshold,
      why: 'fast-revoke-too-many-licences',
      action: 'fast-revoke',
      choices: {},
      subscriptionId: values.subscriptionId,
      decision: { outcome: offered.outcome, rules: offered.rules },
      flowId: values.flowId,
    });
  }
}
