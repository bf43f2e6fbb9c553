import type { SupportContact } from '../src/config';
import { ActivityTypes, MessageFactory, type TurnContext } from 'botbuilder';
import { DialogTurnStatus, WaterfallDialog, type DialogTurnResult, type WaterfallStep, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { i18n } from 'i18next';
import { DirectoryUnavailableError } from '../src/accounts/directory';
import { translatorFor } from '../src/conversation/language';
import type { Vocabulary } from '../src/conversation/vocabulary';
import type { Logger } from '../src/log';
import { maskEmail } from '../src/privacy/mask';
import { VERIFICATION_ITEMS, type VerificationItem } from '../src/policy';
import { extractAnswers, parseUserId, type PartialAnswers, type VerificationAnswers } from '../src/verification/answers';
import type { CallerVerification, ConversationKey } from '../src/verification/verifyCaller';
import { withholdCallerMessage } from '../src/conversation/transcript';
import { sayWithReason } from './flowSupport';
import { InterruptibleDialog, type InterruptibleDeps } from './interruptibleDialog';
import { AnswerPrompt, YesNoPrompt } from './prompts';
import { ask } from './questions';
import { withSupportContact } from './replies';

export const VERIFY_IDENTITY_DIALOG = 'verifyIdentityDialog';
const QUESTIONS = 'verifyIdentity.questions';
const CHECK = 'verifyIdentity.check';
const ANSWER_PROMPT = 'verifyIdentity.answer';
const YES_NO_PROMPT = 'verifyIdentity.yesNo';

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
}

interface QuestionValues {
  answers: PartialAnswers;
  teamsSuggestion?: string;
}

/**
 * ID-1..ID-3: asks what support asks on the phone, one item at a time, skipping what the caller already said;
 * checks each answer's form, then all of them together against the directory. The answers live only in this
 * dialog's state and are gone when it ends; the result carries who the caller is, not what they said.
 */
export class VerifyIdentityDialog extends InterruptibleDialog {
  constructor(private readonly deps: VerifyIdentityDeps) {
    super(VERIFY_IDENTITY_DIALOG, deps);
    this.addDialog(new AnswerPrompt(ANSWER_PROMPT));
    this.addDialog(new YesNoPrompt(YES_NO_PROMPT, deps.vocabulary.yesNo));
    const askAndRecord = VERIFICATION_ITEMS.flatMap((item): WaterfallStep[] => [(step) => this.ask(step, item), (step) => this.record(step, item)]);
    this.addDialog(
      new WaterfallDialog(QUESTIONS, [
        this.start.bind(this),
        this.confirmTeamsUserId.bind(this),
        ...askAndRecord,
        this.askAdmin.bind(this),
        this.recordAdmin.bind(this),
        this.afterCheck.bind(this),
      ]),
    );
    this.addDialog(new WaterfallDialog(CHECK, [this.check.bind(this), this.afterRetryQuestion.bind(this)]));
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

    values.answers = options.initialText ? extractAnswers(options.initialText) : {};
    // The message that started verification may carry answers, or a name and an address in free words.
    if (options.initialText) await withholdCallerMessage(step.context, this.deps.transcript);
    if (!options.again) await step.context.sendActivity(this.t(step)('verify:intro'));

    if (!values.answers.userId && this.deps.teamsUserId) {
      const upn = await this.deps.teamsUserId(step.context).catch(() => undefined);
      const suggestion = upn ? parseUserId(upn) : undefined;
      if (suggestion) {
        values.teamsSuggestion = suggestion;
        return step.prompt(YES_NO_PROMPT, ask(step.context, this.deps.i18n, { kind: 'yesNo', ask: { key: 'verify:teamsUserId', params: { userId: suggestion } } }));
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
    return step.prompt(
      ANSWER_PROMPT,
      ask(step.context, this.deps.i18n, { kind: 'text', ask: { key: `verify:ask.${item}` }, retry: { key: `verify:retry.${item}` } }, { item, helpKey: `verify:help.${item}`, sensitive: true }),
    );
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
    // One message may answer questions not yet asked; never overwrite an answer already given.
    const text = step.context.activity.type === ActivityTypes.Message ? step.context.activity.text ?? '' : '';
    values.answers = { ...extractAnswers(text), ...values.answers };
    return step.next();
  }

  private async askAdmin(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.prompt(YES_NO_PROMPT, ask(step.context, this.deps.i18n, { kind: 'yesNo', ask: { key: 'verify:ask.admin' } }, { helpKey: 'verify:help.admin' }));
  }

  private async recordAdmin(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as QuestionValues;
    if (step.result === undefined) return this.endGaveUp(step);
    const answers = { ...values.answers, claimsAdmin: step.result as boolean } as VerificationAnswers;
    return step.beginDialog(CHECK, answers);
  }

  private async afterCheck(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as VerifyIdentityResult | { status: 'rejected' };
    // A rejection starts the questions over, with nothing kept from the wrong set; the attempt was counted (ID-3).
    if (result.status === 'rejected') return step.replaceDialog(QUESTIONS, { again: true });
    return step.endDialog(result);
  }

  /** All answers at once, server-side; a backend failure keeps the answers and offers a retry or a person. */
  private async check(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const answers = step.options as VerificationAnswers;
    const t = this.t(step);
    await step.context.sendActivities([{ type: ActivityTypes.Typing }, MessageFactory.text(t('verify:checking'))]);
    try {
      const result = await this.deps.verification.verify(conversationKey(step.context), answers);
      switch (result.status) {
        case 'verified': {
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
      return step.prompt(YES_NO_PROMPT, ask(step.context, this.deps.i18n, { kind: 'yesNo', ask: { key: 'verify:unavailable' } }));
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

function conversationKey(context: TurnContext): ConversationKey {
  return { channelId: context.activity.channelId, conversationId: context.activity.conversation.id };
}
