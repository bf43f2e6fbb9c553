import { ActivityTypes, type TurnContext } from 'botbuilder';
import { Prompt, type PromptOptions, type PromptRecognizerResult, type PromptValidator } from 'botbuilder-dialogs';
import { recognizeMenuChoice, type MenuVocabulary } from '../src/understanding/menuRecognizer';
import type { MenuIntent } from '../src/understanding/intents';

/** Asks what the caller wants and answers with a menu intent; anything else gets the (localized) retry prompt. */
export class MenuPrompt extends Prompt<MenuIntent> {
  constructor(dialogId: string, private readonly vocabulary: MenuVocabulary, validator?: PromptValidator<MenuIntent>) {
    super(dialogId, validator);
  }

  protected async onPrompt(context: TurnContext, _state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    const prompt = isRetry && options.retryPrompt ? options.retryPrompt : options.prompt;
    if (prompt) await context.sendActivity(prompt);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<MenuIntent>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const intent = recognizeMenuChoice(this.vocabulary, context.activity);
    return intent ? { succeeded: true, value: intent } : { succeeded: false };
  }
}
