import type { SupportContact } from '../src/config';
import { ActivityTypes } from 'botbuilder';
import type { DialogContext, DialogTurnResult, PromptOptions } from 'botbuilder-dialogs';
import { DialogTurnStatus } from '../src/conversation/sdkDialogs';
import { Component } from './steps';
import type { i18n } from 'i18next';
import { switchTurnLanguage, translatorFor, turnLanguage } from '../src/conversation/language';
import type { Vocabulary } from '../src/conversation/vocabulary';
import { freeTextInterruption, phraseInterruption, type AccountWish, type Interruption } from '../src/understanding/interruptions';
import type { IntentRecognizer } from '../src/understanding/nlu';
import type { Policy } from '../src/policy';
import type { ReasonAccessor, ReasonToExplain } from '../src/conversation/reasons';
import { withholdCallerMessage } from '../src/conversation/transcript';
import { chosenTitle, questionOf } from './questions';
import { policyNumbers, whyReply } from './replies';

export interface InterruptibleDeps {
  i18n: i18n;
  vocabulary: Vocabulary;
  recognizer: IntentRecognizer;
  /** For the numbers in answers to policy questions asked mid-flow. */
  policy: Policy;
  /** The reason behind the last refusal or decision, for "why?" (AS-3). */
  reasons: ReasonAccessor;
  /** How callers reach a person, when configured. */
  supportContact?: SupportContact;
}

const CLICK_SAID = Symbol('clickSaid');

/** How a flow ended when the caller interrupted it for something the main dialog handles. */
export interface InterruptedResult {
  interrupted: 'startOver' | 'person' | 'newRequest';
  /** For a new request: what the caller asked for instead. */
  wish?: AccountWish;
  /** Left at a question that follows a completed action (the feedback): what was asked for is done, not dropped. */
  afterDone?: boolean;
}

export function wasInterrupted(result: unknown): result is InterruptedResult {
  return typeof result === 'object' && result !== null && 'interrupted' in result;
}

/** A prompt that can say whether a message would answer it, so a real answer is never mistaken for an interruption. */
export interface AnswerCheck {
  wouldAccept(dc: DialogContext, options: PromptOptions): Promise<boolean>;
}

/**
 * The base of every flow (after core-bot's CancelAndHelpDialog). At any question the caller can: stop ("avbryt",
 * "cancel"), ask for help (the current question explained, then asked again), start over, ask for a person, or
 * switch language ("svenska", "English", or simply writing in the other language), which asks the current question
 * again in the new language with every answer kept. The outermost flow handles it for everything inside it.
 */
export abstract class InterruptibleDialog extends Component {
  /**
   * A whole new account request said at one of this dialog's questions: by default the dialog is left (nothing it was
   * about is done) and the main dialog starts the request. A dialog may keep going instead (verification: see there).
   */
  protected async onNewRequest(innerDc: DialogContext, wish: AccountWish): Promise<DialogTurnResult> {
    await innerDc.context.sendActivity(this.stoppedText(leafOf(innerDc), 'interruptions:startingOver'));
    await innerDc.cancelAllDialogs();
    return { status: DialogTurnStatus.complete, result: { interrupted: 'newRequest', wish } satisfies InterruptedResult };
  }

  constructor(dialogId: string, protected readonly base: InterruptibleDeps) {
    super(dialogId);
  }

  protected async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    // The question open, found once: nothing below changes the stack before it is used (each step down makes a new
    // DialogContext, with state managers of its own, in the SDK).
    const leaf = leafOf(innerDc);
    const interruption = await this.interruption(innerDc, leaf);
    // Whatever answers a sensitive question (a verification answer, a one-time code), right or wrong, stays out of the
    // transcript an agent reads; only a request such as "talk to a person" said instead is kept.
    const sensitive = (leaf.activeDialog?.state?.options?.validations as { sensitive?: boolean } | undefined)?.sensitive;
    if (sensitive && !interruption) await withholdCallerMessage(innerDc.context);
    if (!interruption) {
      await this.sayWhatWasClicked(innerDc, leaf);
      return super.onContinueDialog(innerDc);
    }
    const context = innerDc.context;

    switch (interruption.kind) {
      case 'cancel':
        await context.sendActivity(this.stoppedText(leaf, 'interruptions:cancelled'));
        return innerDc.cancelAllDialogs();
      case 'startOver':
      case 'person': {
        if (interruption.kind === 'startOver') await context.sendActivity(this.stoppedText(leaf, 'interruptions:startingOver'));
        const afterDone = doneCaseOf(leaf) !== undefined;
        await innerDc.cancelAllDialogs();
        return { status: DialogTurnStatus.complete, result: { interrupted: interruption.kind, ...(afterDone ? { afterDone } : {}) } satisfies InterruptedResult };
      }
      case 'newRequest':
        return this.onNewRequest(innerDc, interruption.wish);
      case 'why': {
        // AS-3: the reason behind the question being asked (the fee question, the offer of a colleague…), else the
        // last refusal; failing both, the question explained.
        const validations = leaf.activeDialog?.state?.options?.validations as { reason?: ReasonToExplain; helpKey?: string; helpParams?: Record<string, string | number> } | undefined;
        const reason = validations?.reason ?? (await this.base.reasons.get(context));
        const t = translatorFor(context, this.base.i18n);
        await context.sendActivity(reason ? whyReply(t, this.base.policy, turnLanguage(context), reason, this.base.supportContact) : t(validations?.helpKey ?? 'interruptions:help', { ...policyNumbers(this.base.policy), ...validations?.helpParams }));
        await leaf.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      }
      case 'help': {
        const validations = leaf.activeDialog?.state?.options?.validations as { helpKey?: string; helpParams?: Record<string, string | number> } | undefined;
        await context.sendActivity(translatorFor(context, this.base.i18n)(validations?.helpKey ?? 'interruptions:help', { ...policyNumbers(this.base.policy), ...validations?.helpParams }));
        await leaf.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      }
      case 'question': {
        await context.sendActivity(translatorFor(context, this.base.i18n)(`policy:answers.${interruption.question}`, policyNumbers(this.base.policy)));
        await leaf.repromptDialog();
        return { status: DialogTurnStatus.waiting };
      }
      case 'switchLanguage': {
        switchTurnLanguage(context, interruption.to);
        await askAgainInNewLanguage(leaf, this.base.i18n);
        return { status: DialogTurnStatus.waiting };
      }
    }
  }

  /**
   * A card button sends its value and no words, so the chat would show no trace of the choice: the bot says it
   * ("Du valde: Vid periodens slut."), in the words of the button.
   */
  private async sayWhatWasClicked(innerDc: DialogContext, leaf: DialogContext): Promise<void> {
    const { activity } = innerDc.context;
    const value = activity.value as { choice?: unknown; answer?: unknown } | undefined;
    if (activity.type !== ActivityTypes.Message || activity.text || !value) return;
    // Flows nest (the feedback inside a cancellation): each would say it, and the click is said once.
    if (innerDc.context.turnState.get(CLICK_SAID)) return;
    innerDc.context.turnState.set(CLICK_SAID, true);
    const question = questionOf(leaf.activeDialog?.state?.options);
    const t = translatorFor(innerDc.context, this.base.i18n);
    const title = question ? chosenTitle(t, question, value) : undefined;
    if (title) await innerDc.context.sendActivity(t('common:youChose', { choice: title }));
  }

  /**
   * "Stopped, nothing changed" — unless the question being left comes after a completed action (the feedback after a
   * cancellation): then what was done stays done, and the caller is told so with its case reference.
   */
  private stoppedText(leaf: DialogContext, key: string): string {
    const t = translatorFor(leaf.context, this.base.i18n);
    const doneCase = doneCaseOf(leaf);
    return doneCase ? t('interruptions:stoppedAfterDone', { reference: doneCase }) : t(key);
  }

  private async interruption(innerDc: DialogContext, leaf: DialogContext): Promise<Interruption | undefined> {
    const activity = innerDc.context.activity;
    if (activity.type !== ActivityTypes.Message || !activity.text) return undefined;
    const exact = phraseInterruption(this.base.vocabulary.interruptions, activity.text);
    if (exact) return exact;

    // Free words only interrupt what is not an answer: "Kundtjänst AB" is an organisation, not a request for one.
    const prompt = leaf.activeDialog ? (leaf.findDialog(leaf.activeDialog.id) as Partial<AnswerCheck> | undefined) : undefined;
    const options = leaf.activeDialog?.state?.options as PromptOptions | undefined;
    if (prompt?.wouldAccept && options && (await prompt.wouldAccept(leaf, options))) return undefined;
    return freeTextInterruption(this.base.recognizer, this.base.vocabulary.interruptions, activity.text, turnLanguage(innerDc.context));
  }
}

/**
 * The language changed this turn: said so, and the question open asked again in it (its answers so far kept; a
 * prompt renders its question when it asks, so it is asked in the turn's language now).
 */
export async function askAgainInNewLanguage(leaf: DialogContext, i18n: i18n): Promise<void> {
  await leaf.context.sendActivity(translatorFor(leaf.context, i18n)('interruptions:languageSwitched'));
  await leaf.repromptDialog();
}

/** The case of the completed action the question being asked follows (the feedback after a cancellation), if any. */
function doneCaseOf(leaf: DialogContext): string | undefined {
  return (leaf.activeDialog?.state?.options?.validations as { doneCase?: string } | undefined)?.doneCase;
}

/** The innermost dialog context: where the question being answered lives. */
export function leafOf(dc: DialogContext): DialogContext {
  // `child` makes a new DialogContext each time it is read: once per step down.
  let leaf = dc;
  for (let next = leaf.child; next; next = leaf.child) leaf = next;
  return leaf;
}
