import { ActivityTypes, type TurnContext } from 'botbuilder';
import { Prompt, type PromptOptions, type PromptRecognizerResult, type PromptValidatorContext } from 'botbuilder-dialogs';
import type { VerificationItem } from '../src/policy';
import { recognizeChoice, type Choice } from '../src/understanding/choices';
import { recognizeYesNo, type YesNoVocabulary } from '../src/understanding/yesNo';
import { ITEM_PARSERS } from '../src/verification/answers';
import { normaliseText } from '../src/verification/normalise';
import { codeMatches, type IssuedCode } from '../src/verification/otp';

/** After this many re-prompts a question gives up and ends with no value; the dialog then offers help or a person. */
export const MAX_REPROMPTS = 3;

const giveUpAfterReprompts = async (prompt: PromptValidatorContext<unknown>) => prompt.recognized.succeeded || prompt.attemptCount > MAX_REPROMPTS;

/** Sends the prompt or, on a retry, the retry prompt, exactly as the dialog built them. */
abstract class PlainPrompt<T> extends Prompt<T> {
  constructor(dialogId: string) {
    super(dialogId, giveUpAfterReprompts);
  }

  protected async onPrompt(context: TurnContext, _state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    const prompt = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    if (prompt) await context.sendActivity(prompt);
  }
}

/** Asks for one verification item and checks its form (ID-1); the item travels in `validations.item`. */
export class AnswerPrompt extends PlainPrompt<string> {
  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    const item = (options.validations as { item: VerificationItem }).item;
    const text = context.activity.type === ActivityTypes.Message ? context.activity.text : undefined;
    const value = text ? ITEM_PARSERS[item](text) : undefined;
    return value ? { succeeded: true, value } : { succeeded: false };
  }
}

/** A yes/no question that understands Swedish and English (ja, japp, nej tack…) and card submits. */
export class YesNoPrompt extends PlainPrompt<boolean> {
  constructor(dialogId: string, private readonly vocabulary: YesNoVocabulary) {
    super(dialogId);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<boolean>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const value = recognizeYesNo(this.vocabulary, context.activity);
    return value === undefined ? { succeeded: false } : { succeeded: true, value };
  }
}

/**
 * Picks one option of a list: a fixed list given at construction (menus), or one that travels with the prompt in
 * `validations.choices` (the caller's subscriptions). Answers with the option's value.
 */
export class OptionPrompt extends PlainPrompt<string> {
  constructor(dialogId: string, private readonly fixed?: Choice[]) {
    super(dialogId);
  }

  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const choices = this.fixed ?? (options.validations as { choices: Choice[] }).choices;
    const value = recognizeChoice(choices, context.activity);
    return value === undefined ? { succeeded: false } : { succeeded: true, value };
  }
}

/** Free text, for an optional comment: anything typed is an answer, and so is a card button's `{ choice }`. */
export class FreeTextPrompt extends PlainPrompt<string> {
  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<string>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const submitted = (context.activity.value as { choice?: unknown } | undefined)?.choice;
    const text = typeof submitted === 'string' ? submitted : context.activity.text?.trim();
    return text ? { succeeded: true, value: text.slice(0, 2000) } : { succeeded: false };
  }
}

/** The one-time code of a step-up check; the issued code (hashed) travels in `validations.issued`. */
export class CodePrompt extends PlainPrompt<string> {
  constructor(dialogId: string, private readonly now: () => Date) {
    super(dialogId);
  }

  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    const typed = context.activity.type === ActivityTypes.Message ? context.activity.text ?? '' : '';
    const issued = (options.validations as { issued: IssuedCode }).issued;
    return codeMatches(issued, typed, this.now()) ? { succeeded: true, value: 'confirmed' } : { succeeded: false };
  }
}

/** An exact confirmation phrase (the organisation's name), compared like every name: case, spaces and punctuation aside. */
export class PhrasePrompt extends PlainPrompt<string> {
  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    const typed = context.activity.type === ActivityTypes.Message ? context.activity.text ?? '' : '';
    const expected = (options.validations as { phrase: string }).phrase;
    return typed && normaliseText(typed) === normaliseText(expected) ? { succeeded: true, value: expected } : { succeeded: false };
  }
}
