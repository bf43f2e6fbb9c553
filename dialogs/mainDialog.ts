import { ActivityTypes } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { i18n } from 'i18next';
import { translatorFor } from '../src/bot/language';
import type { Policy } from '../src/policy';
import type { MenuIntent } from '../src/understanding/intents';
import { recognizeMenuChoice, type MenuVocabulary } from '../src/understanding/menuRecognizer';
import { MenuPrompt } from './menuPrompt';
import { greetingReply, menuReply, policyOverviewReply } from './replies';

export const MAIN_DIALOG = 'mainDialog';
const MENU_PROMPT = 'menuPrompt';
const MAIN_WATERFALL = 'mainWaterfall';

export interface MainDialogOptions {
  /** Set when the dialog loops back to the menu: the greeting is said once per conversation. */
  greeted?: boolean;
}

export interface MainDialogDeps {
  i18n: i18n;
  policy: Policy;
  vocabulary: MenuVocabulary;
  /** The dialog that carries out each intent; an intent without one gets an honest answer instead. */
  flows?: Partial<Record<MenuIntent, string>>;
}

/** Greets, offers what the assistant can do, and routes the caller's choice to the dialog for it. */
export class MainDialog extends ComponentDialog {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    this.addDialog(new MenuPrompt(MENU_PROMPT, deps.vocabulary));
    this.addDialog(new WaterfallDialog(MAIN_WATERFALL, [this.askWhatToDo.bind(this), this.route.bind(this), this.loop.bind(this)]));
    this.initialDialogId = MAIN_WATERFALL;
  }

  private async askWhatToDo(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    const options = (step.options ?? {}) as MainDialogOptions;
    if (!options.greeted) await step.context.sendActivity(greetingReply(t, this.deps.policy));

    // A first message that already says what the caller wants goes straight there.
    const activity = step.context.activity;
    const alreadyAsked = activity.type === ActivityTypes.Message ? recognizeMenuChoice(this.deps.vocabulary, activity) : undefined;
    if (alreadyAsked && !options.greeted) return step.next(alreadyAsked);

    return step.prompt(MENU_PROMPT, {
      prompt: menuReply(t, options.greeted ? 'main:whatElse' : 'main:whatToDo'),
      retryPrompt: menuReply(t, 'main:reprompt'),
    });
  }

  private async route(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const intent = step.result as MenuIntent;
    const flow = this.deps.flows?.[intent];
    if (flow) return step.beginDialog(flow);

    const t = translatorFor(step.context, this.deps.i18n);
    if (intent === 'general') await step.context.sendActivity(policyOverviewReply(t, this.deps.policy));
    else if (intent === 'person') await step.context.sendActivity(t('main:personNotAvailable'));
    else await step.context.sendActivity(t('main:flowNotAvailable'));
    return step.next();
  }

  private async loop(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.replaceDialog(this.initialDialogId, { greeted: true } satisfies MainDialogOptions);
  }
}
