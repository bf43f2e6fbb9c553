import type { SupportContact } from '../src/config';
import { ActivityTypes, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { DialogContext, DialogTurnResult, WaterfallStep, WaterfallStepContext } from 'botbuilder-dialogs';
import { DialogTurnStatus } from '../src/conversation/sdkDialogs';
import { Steps } from './steps';
import type { i18n } from 'i18next';
import { DirectoryUnavailableError } from '../src/accounts/directory';
import { translatorFor } from '../src/conversation/language';
import type { Vocabulary } from '../src/conversation/vocabulary';
import type { Logger } from '../src/log';
import { maskEmail } from '../src/privacy/mask';
import { VERIFICATION_ITEMS, type VerificationItem } from '../src/policy';
import { parseUserId, type PartialAnswers, type VerificationAnswers } from '../src/verification/answers';
import { extractDetails, regionOfLocale, type DetailItem } from '../src/understanding/details';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CallerVerification, ConversationKey, VerificationResult } from '../src/verification/verifyCaller';
import { assistedCallOf, verificationKey } from '../src/conversation/assistedCall';
import { withholdCallerMessage } from '../src/conversation/transcript';
import { typingWhileSlow } from '../src/conversation/typing';
import { sayWithReason } from './flowSupport';
import { noteInsight } from '../src/conversation/insights';
import { rememberAccountThisTurn } from '../src/conversation/accountsThisTurn';
import { InterruptibleDialog, leafOf, type InterruptibleDeps } from './interruptibleDialog';
import type { AccountWish } from '../src/understanding/interruptions';
import { AnswerPrompt, DetailsPrompt, FreeTextPrompt, YesNoPrompt } from './prompts';
import { ask, type Phrase } from './questions';
import { recognizeYesNo } from '../src/understanding/yesNo';
import { withSupportContact } from './replies';
import type { CaseLog } from '../src/cases/caseLog';

export const VERIFY_IDENTITY_DIALOG = 'verifyIdentityDialog';
const QUESTIONS = 'verifyIdentity.questions';
const CHECK = 'verifyIdentity.check';
const ANSWER_PROMPT = 'verifyIdentity.answer';
const YES_NO_PROMPT = 'verifyIdentity.yesNo';
const SAY_BACK = 'verifyIdentity.sayBack';
const DETAILS_PROMPT = 'verifyIdentity.details';
const CORRECTION_PROMPT = 'verifyIdentity.correction';
/** Say-back rounds before the questions start over (a caller who keeps saying "no" without the right detail). */
const MAX_SAY_BACKS = 3;

export interface VerifyIdentityOptions {
  /** The message that started the flow: it may already hold answers ("I'm anna@…, phone 070-…"). */
  initialText?: string;
}

export type VerifyIdentityResult =
  /** `caller` is the user ID, masked, for audit records; the answers themselves stay behind. */
  | { status: 'verified'; accountId: string; organisationName: string; isAdmin: boolean; caller: string }
  | { status: 'locked' }
  | { status: 'gave-up' }
  | { status: 'unavailable' };

export interface VerifyIdentityDeps extends InterruptibleDeps {
  i18n: i18n;
  vocabulary: Vocabulary;
  verification: CallerVerification;
  now: () => Date;
  logger: Logger;
  /** How callers reach a person, when configured. */
  supportContact?: SupportContact;
  /** In Teams, the signed-in member's UPN, offered as the user ID for the caller to confirm. */
  teamsUserId?: (context: TurnContext) => Promise<string | undefined>;
  /** Details the caller gave before saying what they wanted: answers too, said back like the rest. */
  pendingDetails?: StatePropertyAccessor<PartialAnswers | undefined>;
  /** The audit, for agent-assisted calls: every attempt an agent makes is recorded under their name, as in the console. */
  audit?: CaseLog['audit'];
}

interface QuestionValues {
  answers: PartialAnswers;
  /** Items picked out of a longer message, not given as the answer to their own question: said back before the check. */
  picked: DetailItem[];
  /** The intro already said how many questions are left: the first question does not say it again. */
  countSaid?: boolean;
  teamsSuggestion?: string;
}

interface SayBackOptions {
  answers: PartialAnswers;
  round: number;
}

/**
 * ID-1..ID-3: asks what support asks on the phone, one item at a time, skipping what the caller already said;
 * checks each answer's form, then all of them together against the directory. The answers live only in this
 * dialog's state and are gone when it ends; the result carries who the caller is, not what they said.
 */
export class VerifyIdentityDialog extends InterruptibleDialog {
  /**
   * Verifying is the same whatever the caller wants: a new request said here (back after a page reload, or a change of
   * mind) is noted, the answers given so far are kept, and the question is asked again; once verified, the caller goes
   * to what they asked for last.
   */
  protected async onNewRequest(innerDc: DialogContext, wish: AccountWish): Promise<DialogTurnResult> {
    const instance = innerDc.parent?.activeDialog;
    if (instance) (instance.state as { requested?: AccountWish }).requested = wish;
    await innerDc.context.sendActivity(translatorFor(innerDc.context, this.deps.i18n)('verify:requestNoted'));
    await leafOf(innerDc).repromptDialog();
    return { status: DialogTurnStatus.waiting };
  }

  /** The result says what the caller asked for last, when they asked for something else during verification. */
  protected async endComponent(outerDc: DialogContext, result: unknown): Promise<DialogTurnResult> {
    const requested = (outerDc.activeDialog?.state as { requested?: AccountWish } | undefined)?.requested;
    return super.endComponent(outerDc, requested && typeof result === 'object' && result !== null ? { ...result, wish: requested } : result);
  }

  constructor(private readonly deps: VerifyIdentityDeps) {
    super(VERIFY_IDENTITY_DIALOG, deps);
    this.addDialog(new AnswerPrompt(ANSWER_PROMPT, deps.i18n));
    this.addDialog(new YesNoPrompt(YES_NO_PROMPT, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new DetailsPrompt(DETAILS_PROMPT, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new FreeTextPrompt(CORRECTION_PROMPT, deps.i18n));
    this.addDialog(new Steps(SAY_BACK, [this.sayBack.bind(this), this.afterSayBack.bind(this), this.afterCorrection.bind(this)]));
    const askAndRecord = VERIFICATION_ITEMS.flatMap((item): WaterfallStep[] => [(step) => this.ask(step, item), (step) => this.record(step, item)]);
    this.addDialog(
      new Steps(QUESTIONS, [
        this.start.bind(this),
        this.confirmTeamsUserId.bind(this),
        ...askAndRecord,
        this.askAdmin.bind(this),
        this.recordAdmin.bind(this),
        this.confirmed.bind(this),
        this.afterCheck.bind(this),
      ]),
    );
    this.addDialog(new Steps(CHECK, [this.check.bind(this), this.afterRetryQuestion.bind(this)]));
    this.initialDialogId = QUESTIONS;
  }

  private t(step: WaterfallStepContext) {
    return translatorFor(step.context, this.deps.i18n);
  }

  private async start(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    const options = (step.options ?? {}) as VerifyIdentityOptions & { again?: boolean };
    const lock = await this.deps.verification.lockout(conversationKey(step.context));
    if (lock.locked) return this.endLocked(step, lock.until);

    const earlier = (await this.deps.pendingDetails?.get(step.context)) ?? {};
    await this.deps.pendingDetails?.delete(step.context);
    values.answers = { ...earlier, ...(options.initialText ? this.detailsIn(step.context, options.initialText) : {}) };
    values.picked = Object.keys(values.answers) as DetailItem[];
    // The message that started verification may carry answers, or a name and an address in free words.
    if (options.initialText) await withholdCallerMessage(step.context);
    if (!options.again) {
      const t = this.t(step);
      const left = questionsLeft(values.answers);
      // Six questions, or what is left of them when the first message already answered some ("Två frågor kvar.").
      const count = left === 0 ? t('verify:nothingLeft') : t(`verify:left.${left}`);
      await step.context.sendActivity(t(values.picked.length > 0 ? 'verify:introPicked' : 'verify:intro', { count }));
      values.countSaid = true;
    }

    // Teams says who is signed in: in an agent-assisted call that is the agent, not the caller.
    if (!values.answers.userId && this.deps.teamsUserId && !assistedCallOf(step.context)) {
      const upn = await this.deps.teamsUserId(step.context).catch(() => undefined);
      const suggestion = upn ? parseUserId(upn) : undefined;
      if (suggestion) {
        values.teamsSuggestion = suggestion;
        return step.prompt(YES_NO_PROMPT, ask({ kind: 'yesNo', ask: { key: 'verify:teamsUserId', params: { userId: suggestion } } }));
      }
    }
    return step.next();
  }

  private async confirmTeamsUserId(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (values.teamsSuggestion && step.result === true) values.answers.userId = values.teamsSuggestion;
    return step.next();
  }

  private async ask(step: WaterfallStepContext, item: VerificationItem): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (values.answers[item] !== undefined) return step.next(values.answers[item]);
    noteInsight(step.context, { kind: 'verification-question', question: item });
    return step.prompt(
      ANSWER_PROMPT,
      ask({ kind: 'text', ask: this.withCount(values, { key: `verify:ask.${item}` }), retry: { key: `verify:retry.${item}` } }, { item, helpKey: `verify:help.${item}`, sensitive: true }),
    );
  }

  /** The question, after how many are left, once the caller has skipped some by saying them at once. */
  private withCount(values: QuestionValues, question: Phrase): Phrase {
    const said = values.countSaid;
    values.countSaid = false;
    if (said || values.picked.length === 0) return question;
    return { key: 'verify:withCount', params: { count: { key: `verify:left.${questionsLeft(values.answers)}` }, question } };
  }

  /** Every detail in a message, read in the caller's country (`en-GB` numbers are British). */
  private detailsIn(context: TurnContext, text: string, expecting?: VerificationItem): PartialAnswers {
    return extractDetails(text, { region: regionOfLocale(context.activity.locale), expecting }).answers;
  }

  private async record(step: WaterfallStepContext, item: VerificationItem): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (step.result === undefined) return this.endGaveUp(step);
    values.answers[item] = step.result as string;
    if (item === 'userId') {
      // A locked user ID is said at once, not after five more questions. Any user ID can be locked, so this tells
      // nobody whether it exists.
      const lock = await this.deps.verification.lockout(conversationKey(step.context), values.answers.userId);
      if (lock.locked) return this.endLocked(step, lock.until);
    }
    // One message may answer questions not yet asked: keep all of it, but never overwrite an answer already given,
    // unless the caller says it is a correction ("nej, numret är …").
    const text = step.context.activity.type === ActivityTypes.Message ? step.context.activity.text ?? '' : '';
    const more = this.detailsIn(step.context, text, item);
    const correcting = CORRECTION.test(text);
    for (const [key, value] of Object.entries(more) as Array<[DetailItem, string | boolean]>) {
      if (key === item || (values.answers[key] !== undefined && !correcting)) continue;
      Object.assign(values.answers, { [key]: value });
      if (!values.picked.includes(key)) values.picked.push(key);
    }
    return step.next();
  }

  private async askAdmin(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (values.answers.claimsAdmin !== undefined) return step.next(values.answers.claimsAdmin);
    noteInsight(step.context, { kind: 'verification-question', question: 'admin' });
    return step.prompt(YES_NO_PROMPT, ask({ kind: 'yesNo', ask: this.withCount(values, { key: 'verify:ask.admin' }) }, { helpKey: 'verify:help.admin' }));
  }

  private async recordAdmin(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (step.result === undefined) return this.endGaveUp(step);
    values.answers.claimsAdmin = step.result as boolean;
    // Details picked out of a longer message are said back first: a misread one is corrected before it costs an attempt.
    if (values.picked.length > 0) return step.beginDialog(SAY_BACK, { answers: values.answers, round: 1 } satisfies SayBackOptions);
    return step.next(values.answers);
  }

  private async confirmed(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answers = step.result as PartialAnswers | undefined;
    // Still not right after the corrections: the questions again, one at a time, and no attempt counted.
    if (!answers) {
      await step.context.sendActivity(this.t(step)('verify:oneAtATime'));
      return step.replaceDialog(QUESTIONS, { again: true });
    }
    return step.beginDialog(CHECK, answers as VerificationAnswers);
  }

  /** "Here is what I picked out: … Is that right?" */
  private async sayBack(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { answers, round } = step.options as SayBackOptions;
    noteInsight(step.context, { kind: 'verification-question', question: 'sayBack' });
    // Phrases, not finished text: a caller who switches language here reads the list again in the new language.
    const lines = Object.fromEntries(
      [...VERIFICATION_ITEMS, 'claimsAdmin' as const].map((item): [string, Phrase | string] => {
        if (answers[item] === undefined) return [item, ''];
        const value = item === 'claimsAdmin' ? { key: answers.claimsAdmin ? 'verify:adminYes' : 'verify:adminNo' } : shown(item, String(answers[item]));
        return [item, { key: `verify:sayBackLine.${item}`, params: { value } }];
      }),
    );
    const details: Phrase = { key: 'verify:sayBackList', params: lines };
    return step.prompt(
      DETAILS_PROMPT,
      ask({ kind: 'yesNo', ask: { key: round === 1 ? 'verify:sayBack' : 'verify:sayBackAgain', params: { details } } }, { helpKey: 'verify:help.sayBack', quotesCaller: true }),
    );
  }

  private async afterSayBack(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as SayBackOptions;
    if (step.result === true) return step.endDialog(options.answers);
    if (step.result && typeof step.result === 'object') return this.correct(step, step.result as PartialAnswers);
    if (step.result === undefined || options.round >= MAX_SAY_BACKS) return step.endDialog(undefined);
    return step.prompt(CORRECTION_PROMPT, ask({ kind: 'text', ask: { key: 'verify:whatToCorrect' } }, { sensitive: true }));
  }

  private async afterCorrection(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const options = step.options as SayBackOptions;
    const text = step.context.activity.type === ActivityTypes.Message ? step.context.activity.text ?? '' : '';
    const corrections = this.detailsIn(step.context, text);
    if (Object.keys(corrections).length > 0) return this.correct(step, corrections);
    // "ja, det stämmer ändå": the details as they are.
    if (recognizeYesNo(this.deps.vocabulary.yesNo, step.context.activity) === true) return step.endDialog(options.answers);
    // No detail in it: the list once more (the questions one at a time only after that).
    if (options.round >= MAX_SAY_BACKS) return step.endDialog(undefined);
    return step.replaceDialog(SAY_BACK, { answers: options.answers, round: options.round + 1 } satisfies SayBackOptions);
  }

  /** A correction replaces what it names and costs no attempt; the details are said back once more. */
  private async correct(step: WaterfallStepContext, corrections: PartialAnswers): Promise<DialogTurnResult> {
    const options = step.options as SayBackOptions;
    await withholdCallerMessage(step.context);
    if (options.round >= MAX_SAY_BACKS) return step.endDialog(undefined);
    return step.replaceDialog(SAY_BACK, { answers: { ...options.answers, ...corrections }, round: options.round + 1 } satisfies SayBackOptions);
  }

  private async afterCheck(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as VerifyIdentityResult | { status: 'rejected' };
    // A rejection starts the questions over, with nothing kept from the wrong set; the attempt was counted (ID-3).
    if (result.status === 'rejected') return step.replaceDialog(QUESTIONS, { again: true });
    return step.endDialog(result);
  }

  /** An agent-assisted attempt, audited as the console's are: the agent, the outcome, the masked user ID, the call. */
  private async auditAssisted(context: TurnContext, answers: VerificationAnswers, result: VerificationResult): Promise<void> {
    const call = assistedCallOf(context);
    if (!call || !this.deps.audit) return;
    try {
      await this.deps.audit({
        at: this.deps.now().toISOString(),
        caseReference: null,
        accountId: result.status === 'verified' ? result.account.id : null,
        action: 'agent:assisted-verification',
        rules: result.status === 'verified' ? ['ID-1', 'ID-2'] : ['ID-1', 'ID-3'],
        channel: context.activity.channelId,
        caller: `agent:${call.agent.id}`,
        details: { outcome: result.status, userId: maskEmail(answers.userId), callId: call.callId },
      });
    } catch (error) {
      this.deps.logger.error('assisted.audit-failed', { error: error as Error });
    }
  }

  /** All answers at once, server-side; a backend failure keeps the answers and offers a retry or a person. */
  private async check(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answers = step.options as VerificationAnswers;
    const t = this.t(step);
    await step.context.sendActivity(t('verify:checking'));
    try {
      const result = await typingWhileSlow(step.context, () => this.deps.verification.verify(conversationKey(step.context), answers));
      await this.auditAssisted(step.context, answers, result);
      if (result.status !== 'locked') noteInsight(step.context, { kind: 'verification', outcome: result.status }); // locked: in endLocked
      switch (result.status) {
        case 'verified': {
          // The verdict read the account whole: the subscription list and the flow this turn goes on to use it.
          rememberAccountThisTurn(step.context, result.account);
          const organisation = result.account.organisationName;
          if (result.isAdmin) await step.context.sendActivity(t('verify:verifiedAdmin', { organisation }));
          else await sayWithReason(step, this.deps, withSupportContact(t, t('verify:verifiedNotAdmin', { organisation }), this.deps.supportContact), { reason: 'not-admin', params: { organisation } });
          return step.endDialog({
            status: 'verified',
            accountId: result.account.id,
            organisationName: result.account.organisationName,
            isAdmin: result.isAdmin,
            caller: maskEmail(answers.userId),
          } satisfies VerifyIdentityResult);
        }
        case 'rejected':
          await sayWithReason(step, this.deps, t('verify:rejected', { count: result.attemptsLeft }), { reason: 'verification-rejected' });
          return step.endDialog({ status: 'rejected' });
        case 'locked':
          return this.endLocked(step, result.until);
      }
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      this.deps.logger.error('verification.directory-unavailable', { error });
      return step.prompt(YES_NO_PROMPT, ask({ kind: 'yesNo', ask: { key: 'verify:unavailable' } }));
    }
  }

  private async afterRetryQuestion(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (step.result === true) return step.replaceDialog(CHECK, step.options);
    const t = this.t(step);
    await step.context.sendActivity(withSupportContact(t, t('verify:notRetried'), this.deps.supportContact));
    return step.endDialog({ status: 'unavailable' } satisfies VerifyIdentityResult);
  }

  private async endLocked(step: WaterfallStepContext, until: Date): Promise<DialogTurnResult> {
    const t = this.t(step);
    noteInsight(step.context, { kind: 'verification', outcome: 'locked' });
    const minutes = Math.max(1, Math.ceil((until.getTime() - this.deps.now().getTime()) / 60_000));
    // A doubled lock reads in hours ("4 timmar"), a short one in minutes.
    const duration = minutes >= 60 ? t('common:hours', { count: Math.ceil(minutes / 60) }) : t('common:minutes', { count: minutes });
    await sayWithReason(step, this.deps, withSupportContact(t, t('verify:locked', { minutes: duration }), this.deps.supportContact), { reason: 'locked-out' });
    return endAll(step, { status: 'locked' });
  }

  private async endGaveUp(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = this.t(step);
    await sayWithReason(step, this.deps, withSupportContact(t, t('verify:gaveUp'), this.deps.supportContact), { reason: 'verification-gave-up' });
    return endAll(step, { status: 'gave-up' });
  }
}

/** Ends every dialog of this component with the result, whichever inner waterfall we are in. */
async function endAll(step: WaterfallStepContext, result: VerifyIdentityResult): Promise<DialogTurnResult> {
  await step.cancelAllDialogs();
  return { status: DialogTurnStatus.complete, result };
}

/** Questions still to ask: the five items and the admin question. */
function questionsLeft(answers: PartialAnswers): number {
  return VERIFICATION_ITEMS.filter((item) => answers[item] === undefined).length + (answers.claimsAdmin === undefined ? 1 : 0);
}

/** "nej, numret är …", "sorry, the phone is …": what follows replaces what was said before. */
const CORRECTION = /^\s*(?:nej|nä|no|nope|fel|wrong|förlåt|sorry|oj|oops|rättelse|correction|actually|ändra|change)(?![\p{L}])/iu;

/** A detail as said back: a phone number in its international form, the rest as the caller wrote it. */
function shown(item: VerificationItem, value: string): string {
  if (item === 'phone') return parsePhoneNumberFromString(value)?.formatInternational() ?? value;
  // An address written over two lines reads as one in the list.
  return value.replace(/\s*\n\s*/gu, ', ');
}

function conversationKey(context: TurnContext): ConversationKey {
  return verificationKey(context);
}
