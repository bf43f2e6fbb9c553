import { ActivityTypes, type TurnContext } from 'botbuilder';
import { Prompt, type PromptOptions, type PromptRecognizerResult, type PromptValidatorContext } from 'botbuilder-dialogs';
import type { VerificationItem } from '../src/policy';
import { recognizeYesNo, type YesNoVocabulary } from '../src/understanding/yesNo';
import { ITEM_PARSERS } from '../src/verification/answers';

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
