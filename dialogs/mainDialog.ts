import { ActivityTypes, type StatePropertyAccessor } from 'botbuilder';
import { ComponentDialog, WaterfallDialog, type Dialog, type DialogTurnResult, type WaterfallStepContext } from 'botbuilder-dialogs';
import type { i18n } from 'i18next';
import { translatorFor } from '../src/bot/language';
import type { Vocabulary } from '../src/bot/vocabulary';
import type { Policy } from '../src/policy';
import type { MenuIntent } from '../src/understanding/intents';
import { recognizeChoice } from '../src/understanding/choices';
import { standing, type CallerSession } from '../src/verification/session';
import { OptionPrompt } from './prompts';
import { greetingReply, menuReply, policyOverviewReply } from './replies';
import type { AccountFlowOptions } from './flowSupport';
import { VERIFY_IDENTITY_DIALOG, type VerifyIdentityOptions, type VerifyIdentityResult } from './verifyIdentityDialog';

export const MAIN_DIALOG = 'mainDialog';
const MENU_PROMPT = 'menuPrompt';
const MAIN_WATERFALL = 'mainWaterfall';

/** What a caller may only do once verified as an administrator of the account (ID-1, ID-2). */
const ACCOUNT_INTENTS: ReadonlySet<MenuIntent> = new Set(['cancel', 'fastRevoke', 'reactivate']);

export interface MainDialogOptions {
  /** Set when the dialog loops back to the menu: the greeting is said once per conversation. */
  greeted?: boolean;
}


export interface MainDialogDeps {
  i18n: i18n;
  policy: Policy;
  vocabulary: Vocabulary;
  callerSession: StatePropertyAccessor<CallerSession | undefined>;
  now: () => Date;
  /** The dialogs main routes to: identity verification and the flows. */
  dialogs: Dialog[];
  /** The dialog that carries out each account intent. */
  flows: Partial<Record<MenuIntent, string>>;
}

interface MainValues {
  intent: MenuIntent;
}

/** Greets, offers what the assistant can do, makes sure the caller is who they say before account work, and routes. */
export class MainDialog extends ComponentDialog {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    this.addDialog(new OptionPrompt(MENU_PROMPT, deps.vocabulary.menu));
    for (const dialog of deps.dialogs) this.addDialog(dialog);
    this.addDialog(
      new WaterfallDialog(MAIN_WATERFALL, [
        this.askWhatToDo.bind(this),
        this.route.bind(this),
        this.afterVerification.bind(this),
        this.loop.bind(this),
      ]),
    );
    this.initialDialogId = MAIN_WATERFALL;
  }

  private async askWhatToDo(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    const options = (step.options ?? {}) as MainDialogOptions;
    if (!options.greeted) await step.context.sendActivity(greetingReply(t, this.deps.policy));

    // A first message that already says what the caller wants goes straight there.
    const activity = step.context.activity;
    const alreadyAsked = activity.type === ActivityTypes.Message ? (recognizeChoice(this.deps.vocabulary.menu, activity) as MenuIntent | undefined) : undefined;
    if (alreadyAsked && !options.greeted) return step.next(alreadyAsked);

    return step.prompt(MENU_PROMPT, {
      prompt: menuReply(t, options.greeted ? 'main:whatElse' : 'main:whatToDo'),
      retryPrompt: menuReply(t, 'main:reprompt'),
    });
  }

  private async route(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const intent = step.result as MenuIntent;
    (step.values as MainValues).intent = intent;
    const t = translatorFor(step.context, this.deps.i18n);

    if (!ACCOUNT_INTENTS.has(intent)) {
      if (intent === 'general') await step.context.sendActivity(policyOverviewReply(t, this.deps.policy));
      else await step.context.sendActivity(t('main:personNotAvailable'));
      return step.next();
    }

    const session = await this.deps.callerSession.get(step.context);
    const access = this.deps.policy.access(standing(session), this.deps.now());
    if (access.level === 'none' || !session) {
      const options: VerifyIdentityOptions = { initialText: step.context.activity.text };
      return step.beginDialog(VERIFY_IDENTITY_DIALOG, options);
    }
    return step.next({ ...session, status: 'verified', known: true });
  }

  private async afterVerification(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const { intent } = step.values as MainValues;
    if (!ACCOUNT_INTENTS.has(intent)) return step.next();
    const result = step.result as (VerifyIdentityResult & { known?: boolean }) | undefined;
    if (result?.status !== 'verified') return step.next(); // cancelled, locked, gave up or unavailable: already said

    const t = translatorFor(step.context, this.deps.i18n);
    if (!result.known) {
      const now = this.deps.now().toISOString();
      const { accountId, organisationName, isAdmin, caller } = result;
      await this.deps.callerSession.set(step.context, { accountId, organisationName, isAdmin, caller, verifiedAt: now, lastActiveAt: now });
    }
    if (!result.isAdmin) {
      // ID-2: a verified non-admin hears general information only, and how to reach their admin.
      if (result.known) await step.context.sendActivity(t('verify:verifiedNotAdmin', { organisation: result.organisationName }));
      return step.next();
    }
    const flow = this.deps.flows[intent];
    if (!flow) throw new Error(`no flow registered for ${intent}`);
    return step.beginDialog(flow, { accountId: result.accountId, organisationName: result.organisationName, caller: result.caller } satisfies AccountFlowOptions);
  }

  private async loop(step: WaterfallStepContext): Promise<DialogTurnResult> {
    return step.replaceDialog(this.initialDialogId, { greeted: true } satisfies MainDialogOptions);
  }
}
