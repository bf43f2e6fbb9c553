import type { SupportContact } from '../src/config';
import { randomUUID } from 'node:crypto';
import { ActivityTypes, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { AgentIdentity } from '../src/handoffs/handoffQueue';
import { normalisePhrase } from '../src/understanding/phrases';
import type { Dialog, DialogContext, DialogTurnResult, WaterfallStepContext } from 'botbuilder-dialogs';
import { DialogTurnStatus } from '../src/conversation/sdkDialogs';
import { Component, Steps } from './steps';
import type { i18n } from 'i18next';
import { isLanguageEvent, switchTurnLanguage, translatorFor, turnLanguage } from '../src/conversation/language';
import type { Vocabulary } from '../src/conversation/vocabulary';
import type { AccountActions } from '../src/cases/accountActions';
import type { Logger } from '../src/log';
import type { Policy } from '../src/policy';
import type { MenuIntent } from '../src/understanding/intents';
import { optionNamedIn } from '../src/understanding/choices';
import { extractDetails, regionOfLocale } from '../src/understanding/details';
import type { PartialAnswers } from '../src/verification/answers';
import { withholdCallerMessage } from '../src/conversation/transcript';
import { isSharedConversation, privateChatLink, type PrivateChatOpener } from '../src/conversation/scope';
import { ACCOUNT_WISHES, languageNamedIn, NEAR_SCOPE_TOPICS, POLICY_QUESTIONS } from '../src/understanding/interruptions';
import type { IntentRecognizer } from '../src/understanding/nlu';
import { standing, type CallerSession } from '../src/verification/session';
import type { CallerVerification } from '../src/verification/verifyCaller';
import { handOverToPerson, sayWithReason, type AccountFlowOptions } from './flowSupport';
import { reasonGivenThisTurn, type ReasonAccessor } from '../src/conversation/reasons';
import type { TranscriptAccessor } from '../src/conversation/transcript';
import type { LiveHandoffs } from '../src/handoffs/handoffEvents';
import type { SupportHours } from '../src/supportHours';
import { beginRequest, type CurrentRequest, type RequestAccessor } from '../src/conversation/request';
import { askAgainInNewLanguage, leafOf, wasInterrupted, type InterruptedResult } from './interruptibleDialog';
import { guessConfidence, recognizeWish, WishPrompt, YesNoPrompt, type Wish, type YesNoMeaning } from './prompts';
import { ask } from './questions';
import { continueWithCardClick } from './cardClicks';
import { greetingReply, policyNumbers, policyOverviewReply, whyReply, withSupportContact } from './replies';
import { LEAVE_MESSAGE_DIALOG, type LeaveMessageOptions } from './leaveMessageDialog';
import { liveHandoffOpened, resumeRequested, type HandBackTarget } from '../src/conversation/liveHandoff';
import { assistedCallOf, assistedCallOver, setTurnAssistedCall, verificationKey, type AssistedCall, type AssistedCallAccessor } from '../src/conversation/assistedCall';
import { VERIFY_IDENTITY_DIALOG, type VerifyIdentityOptions, type VerifyIdentityResult } from './verifyIdentityDialog';

export const MAIN_DIALOG = 'mainDialog';
const WISH_PROMPT = 'wishPrompt';
const MAIN_WATERFALL = 'mainWaterfall';
const CONFIRM_WISH = 'mainConfirmWish';

/**
 * Safety before accuracy (issue 13): a cancellation, fast revoke or reactivation read from free words starts only when
 * the recogniser is this sure; less sure, the caller is asked ("Vill du säga upp prenumerationen?") instead of the bot
 * guessing its way into an account flow.
 */
export const ACTION_CONFIDENCE = 0.8;

/** What a caller may only do once verified as an administrator of the account (ID-1, ID-2). */
const ACCOUNT_INTENTS: ReadonlySet<Wish> = new Set(ACCOUNT_WISHES);
/** Policy questions are answered for anyone, without verification, from the policy's own numbers. */
const POLICY_QUESTION_WISHES: ReadonlySet<Wish> = new Set(POLICY_QUESTIONS);
const NEAR_SCOPE_WISHES: ReadonlySet<Wish> = new Set(NEAR_SCOPE_TOPICS);

export interface MainDialogOptions {
  /** Set when the dialog loops back to the menu: the greeting is said once per conversation. */
  greeted?: boolean;
  /** The question the menu asks this time (`main:whatElse` unless something else fits better). */
  question?: string;
  /** Wait for the caller without asking anything (after a goodbye). */
  silent?: boolean;
  /** What the caller already asked for (a new request said in the middle of a flow): no menu, straight there. */
  wish?: Wish;
}

/** Back from an agent: at the menu, waiting for the caller (the agent's words invited them), or straight into a flow. */
function resumeOptions(target: HandBackTarget): MainDialogOptions {
  return target === 'menu' ? { greeted: true, silent: true } : { greeted: true, wish: target };
}

/** What a bare yes or no means after each menu question. */
const YES_NO_MEANING: Record<string, YesNoMeaning> = {
  'main:whatElse': { yes: 'menu', no: 'thanksGoodbye' },
  'main:offerAccount': { yes: 'menu', no: 'anythingElse' },
  'main:offerAccountVerified': { yes: 'menu', no: 'anythingElse' },
  'main:afterRefusal': { yes: 'menu', no: 'thanksGoodbye' },
};

export interface MainDialogDeps {
  /** Where a hand-off waits for an agent, live (see flowSupport's handOverToPerson). */
  liveHandoffs?: LiveHandoffs;
  /** The hand-off of this conversation, once one was queued (the bot keeps it; see SupportBot). */
  liveHandoffId?: StatePropertyAccessor<string | undefined>;
  /** The phone call an agent is verifying a caller for in this (Teams) chat, if any. */
  assistedCall?: AssistedCallAccessor;
  /** The support agent writing, if this Teams user is one (the agents file knows their Entra object IDs). */
  agentInTeams?: (context: TurnContext) => AgentIdentity | undefined;
  /** When agents are at the desk (see flowSupport). */
  supportHours?: SupportHours;
  /** Details given before a wish ("anna@…, 070-…"): kept until the caller says what they want, then verified. */
  pendingDetails: StatePropertyAccessor<PartialAnswers | undefined>;
  i18n: i18n;
  policy: Policy;
  vocabulary: Vocabulary;
  recognizer: IntentRecognizer;
  actions: AccountActions;
  callerSession: StatePropertyAccessor<CallerSession | undefined>;
  /** The conversation so far, masked, for hand-off packets (AS-2). */
  transcript: TranscriptAccessor;
  /** The reason behind the last refusal, for "why?" (AS-3). */
  reasons: ReasonAccessor;
  /** What the caller is asking for, for a hand-off at any question (AS-2). */
  requests: RequestAccessor;
  now: () => Date;
  logger: Logger;
  /** How callers reach a person, when configured. */
  supportContact?: SupportContact;
  /** To tell a locked-out caller asking for a person that verifying first is not possible now. */
  verification: CallerVerification;
  /** The dialogs main routes to: identity verification and the flows. */
  dialogs: Dialog[];
  /** The dialog that carries out each account intent. */
  flows: Partial<Record<MenuIntent, string>>;
  /**
   * Opens a 1:1 chat with the caller and greets them there (Teams), for an account wish said where others read along;
   * false when it cannot (the app not installed for them, an adapter that cannot, any error). Absent: the link alone.
   */
  openPrivateChat?: PrivateChatOpener;
}

interface MainValues {
  wish: Wish;
  /** An account flow guessed with little confidence, while the caller is asked whether that is what they want. */
  unsure?: Wish;
  /** The hand-off waiting for a person in this conversation when the menu was shown. */
  waitingHandoff?: string;
  /** How to cancel, when the message that asked said it too. */
  how?: string;
}

/**
 * Greets, asks what the caller wants (buttons or free text in either language), answers policy questions for
 * anyone, makes sure the caller is who they say before account work, and routes to the flows.
 */
export class MainDialog extends Component {
  constructor(private readonly deps: MainDialogDeps) {
    super(MAIN_DIALOG);
    this.addDialog(new WishPrompt(WISH_PROMPT, deps.i18n, deps.vocabulary, deps.recognizer, YES_NO_MEANING));
    for (const dialog of deps.dialogs) this.addDialog(dialog);
    this.addDialog(new YesNoPrompt(CONFIRM_WISH, deps.i18n, deps.vocabulary.yesNo));
    this.addDialog(new Steps(MAIN_WATERFALL, [this.askWhatToDo.bind(this), this.confirmWish.bind(this), this.route.bind(this), this.afterVerification.bind(this), this.loop.bind(this)]));
    this.initialDialogId = MAIN_WATERFALL;
  }

  protected async onBeginDialog(innerDc: DialogContext, options?: object): Promise<DialogTurnResult> {
    // A conversation whose state was swept meanwhile: an agent's hand-back still starts what was agreed.
    const resume = resumeRequested(innerDc.context);
    if (resume) return innerDc.beginDialog(MAIN_WATERFALL, resumeOptions(resume));
    return (await this.assistedCallTurn(innerDc)) ?? super.onBeginDialog(innerDc, options);
  }

  /**
   * Before any question open: an agent handing the caller back, an agent's phone call starting or ending, and a
   * language picked in the channel's own control (the widget's picker), at any question, in any flow.
   */
  protected async onContinueDialog(innerDc: DialogContext): Promise<DialogTurnResult> {
    // Handed back (or closed): whatever question was open is left (a message half written for the queue, say).
    const resume = resumeRequested(innerDc.context);
    if (resume) {
      await innerDc.cancelAllDialogs();
      return innerDc.beginDialog(MAIN_WATERFALL, resumeOptions(resume));
    }
    const call = await this.assistedCallTurn(innerDc);
    if (call) return call;
    // A card click on an older card is caught here, before any flow could take it (cardClicks.ts).
    if (!isLanguageEvent(innerDc.context.activity)) return continueWithCardClick(innerDc, this.deps.i18n, () => super.onContinueDialog(innerDc));
    switchTurnLanguage(innerDc.context, turnLanguage(innerDc.context));
    await askAgainInNewLanguage(leafOf(innerDc), this.deps.i18n);
    return { status: DialogTurnStatus.waiting };
  }

  private async askWhatToDo(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    const options = (step.options ?? {}) as MainDialogOptions;
    if (options.wish) return step.next(options.wish);
    if (!options.greeted) {
      await step.context.sendActivity(greetingReply(t, this.deps.policy));
      // A first message that already says what the caller wants goes straight there.
      const asked = await recognizeWish(step.context, this.deps.vocabulary, this.deps.recognizer, { optionsShowing: false });
      if (asked && asked !== 'greeting' && asked !== 'menu') return step.next(asked);
      if (!isSharedConversation(step.context) && (await this.keepDetails(step.context))) options.question = 'main:detailsNoted';
    }
    const question = await this.questionFor(step.context, options);
    // Waiting for a person already: instead of asking for one again, the caller may leave a message and go.
    const waiting = await this.waitingHandoff(step.context);
    (step.values as MainValues).waitingHandoff = waiting;
    const validations = { ...(waiting ? { leaveMessageOffered: true } : {}), ...(options.silent ? { silent: true } : {}) };
    return step.prompt(WISH_PROMPT, ask({ named: waiting ? 'menuToLeaveMessage' : 'menu', ask: { key: question } }, validations));
  }

  /**
   * A first message with details but no wish ("anna.lindqvist@fjordfika.se, 070-123 45 67, Anna Lindqvist"): the
   * details are kept for the verification the caller's choice will start, and the caller is told so.
   */
  private async keepDetails(context: TurnContext): Promise<boolean> {
    const text = context.activity.text;
    if (!text) return false;
    const { answers } = extractDetails(text, { region: regionOfLocale(context.activity.locale) });
    if (Object.keys(answers).length === 0) return false;
    await this.deps.pendingDetails.set(context, answers);
    await withholdCallerMessage(context);
    return true;
  }

  /**
   * "Verifiera en kund" from a support agent in their own Teams chat with the bot: a new phone call. Whatever this chat
   * knew of an earlier caller (verification, requests, details, transcript) is forgotten, and the caller's path starts:
   * what they want, then the six questions (src/conversation/assistedCall.ts). From anyone else it is no command.
   */
  private async assistedCallTurn(innerDc: DialogContext): Promise<DialogTurnResult | undefined> {
    const { context } = innerDc;
    const { activity } = context;
    if (!this.deps.assistedCall || !this.deps.agentInTeams || activity.type !== ActivityTypes.Message || activity.channelId !== 'msteams' || isSharedConversation(context)) return undefined;
    const agent = this.deps.agentInTeams(context);
    const said = normalisePhrase(activity.text ?? '');
    const t = translatorFor(context, this.deps.i18n);
    const current = assistedCallOf(context);
    // "Avsluta samtalet", an hour gone, or no longer an agent: the call ends, and this chat forgets its caller.
    if (current && (this.deps.vocabulary.endAssistedCall.has(said) || assistedCallOver(current, agent, this.deps.now()))) {
      await this.forgetCaller(innerDc);
      this.deps.logger.info('assisted-call.ended', { agent: current.agent.id, callId: current.callId });
      await context.sendActivity(t('agentAssist:ended'));
      return innerDc.beginDialog(MAIN_WATERFALL, { greeted: true, silent: true } satisfies MainDialogOptions);
    }
    if (!agent || !this.deps.vocabulary.startAssistedCall.has(said)) return undefined;
    await this.forgetCaller(innerDc);
    const call: AssistedCall = { agent, callId: randomUUID(), startedAt: this.deps.now().toISOString() };
    await this.deps.assistedCall.set(context, call);
    setTurnAssistedCall(context, call);
    this.deps.logger.info('assisted-call.started', { agent: agent.id, callId: call.callId });
    await context.sendActivity(t('agentAssist:started'));
    return innerDc.beginDialog(MAIN_WATERFALL, { greeted: true, question: 'agentAssist:whatDoesCallerWant' } satisfies MainDialogOptions);
  }

  /** Between two calls in an agent's chat: nothing of the last caller is left (verification, requests, hand-off, words). */
  private async forgetCaller(innerDc: DialogContext): Promise<void> {
    const { context } = innerDc;
    await innerDc.cancelAllDialogs();
    const accessors = [this.deps.callerSession, this.deps.reasons, this.deps.requests, this.deps.pendingDetails, this.deps.transcript, this.deps.liveHandoffId, this.deps.assistedCall];
    for (const accessor of accessors as Array<StatePropertyAccessor<unknown> | undefined>) await accessor?.delete(context);
    setTurnAssistedCall(context, undefined);
  }

  /** The hand-off queued in this conversation (this turn or earlier) while it still waits for an agent. */
  private async waitingHandoff(context: TurnContext): Promise<string | undefined> {
    const live = this.deps.liveHandoffs;
    const id = liveHandoffOpened(context) ?? (await this.deps.liveHandoffId?.get(context));
    if (!live || !id) return undefined;
    try {
      return (await live.queue.get(id))?.status === 'waiting' ? id : undefined;
    } catch (error) {
      // The queue cannot say: the usual menu, with "a person".
      this.deps.logger.warn('handoff.queue-unavailable', { error: error as Error });
      return undefined;
    }
  }

  /** The menu's question; a caller who is already verified is not told they will be checked first. */
  private async questionFor(context: TurnContext, options: MainDialogOptions): Promise<string> {
    const question = options.question ?? (options.greeted ? 'main:whatElse' : 'main:whatToDo');
    if (question !== 'main:offerAccount') return question;
    const session = await this.deps.callerSession.get(context);
    return this.deps.policy.access(standing(session), this.deps.now()).level === 'none' ? question : 'main:offerAccountVerified';
  }


  /** An account flow guessed from free words with little confidence: asked first, never started on a guess. */
  private async confirmWish(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const wish = step.result as Wish;
    const confidence = guessConfidence(step.context);
    // Where others read along nothing about an account is asked at all (route points to a private chat).
    if (!ACCOUNT_INTENTS.has(wish) || confidence === undefined || confidence >= ACTION_CONFIDENCE || isSharedConversation(step.context)) return step.next(wish);
    (step.values as MainValues).unsure = wish;
    return step.prompt(CONFIRM_WISH, ask({ kind: 'yesNo', ask: { key: `main:confirmWish.${wish}`, params: policyNumbers(this.deps.policy) } }));
  }

  private async route(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const values = step.values as MainValues;
    const unsure = values.unsure;
    values.unsure = undefined;
    // A "no" to "Vill du säga upp prenumerationen?": nothing started; what the caller wants instead.
    if (unsure && step.result !== true) return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatInstead' } satisfies MainDialogOptions);
    const wish = unsure ?? (step.result as Wish);
    values.wish = wish;
    const t = translatorFor(step.context, this.deps.i18n);

    // Where others read along (a Teams group chat or channel), nothing about an account: no questions, no details.
    if ((ACCOUNT_INTENTS.has(wish) || wish === 'person') && isSharedConversation(step.context)) {
      const link = privateChatLink(step.context);
      // Where the channel lets the bot start it, the private chat is opened and greets them; else the link is the offer.
      const opened = link !== undefined && (await this.deps.openPrivateChat?.(step.context)) === true;
      await step.context.sendActivity(opened ? t('main:privateOnlyOpened', { link }) : link ? t('main:privateOnlyLink', { link }) : t('main:privateOnly'));
      return step.replaceDialog(MAIN_WATERFALL, { greeted: true, silent: true } satisfies MainDialogOptions);
    }
    if (ACCOUNT_INTENTS.has(wish)) {
      // A new request: "why?" from now on is about what this one decides, not an earlier refusal.
      await this.deps.reasons.delete(step.context);
      await beginRequest(step.context, this.deps.requests, wish as CurrentRequest['wish']);
      const text = step.context.activity.text ?? '';
      if (wish === 'cancel' && text) (step.values as MainValues).how = optionNamedIn(this.deps.vocabulary.cancelOptions, extractDetails(text).rest);
      const session = await this.deps.callerSession.get(step.context);
      const access = this.deps.policy.access(standing(session), this.deps.now());
      if (access.level === 'none' || !session) return step.beginDialog(VERIFY_IDENTITY_DIALOG, { initialText: step.context.activity.text } satisfies VerifyIdentityOptions);
      return step.next({ ...session, status: 'verified', known: true });
    }
    if (NEAR_SCOPE_WISHES.has(wish)) {
      // Near ours but not ours (more licences, another plan, an invoice …): where it is done, and no flow.
      await step.context.sendActivity(withSupportContact(t, t(`outOfScope:answers.${wish}`), this.deps.supportContact));
      return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatElse' } satisfies MainDialogOptions);
    }
    if (POLICY_QUESTION_WISHES.has(wish)) {
      await step.context.sendActivity(t(`policy:answers.${wish}`, policyNumbers(this.deps.policy)));
      return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:offerAccount' } satisfies MainDialogOptions);
    }
    switch (wish) {
      case 'general':
        await step.context.sendActivity(policyOverviewReply(t, this.deps.policy));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:offerAccount' } satisfies MainDialogOptions);
      case 'person':
        return this.toPerson(step);
      case 'leaveMessage': {
        const handoffId = (step.values as MainValues).waitingHandoff;
        if (handoffId) return step.beginDialog(LEAVE_MESSAGE_DIALOG, { handoffId } satisfies LeaveMessageOptions);
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      }
      case 'why': {
        // AS-3: the last refusal or decision, explained at more length, with what the caller can do instead.
        const reason = await this.deps.reasons.get(step.context);
        const text = step.context.activity.text ?? '';
        if (!reason && normalisePhrase(text).split(' ').length >= 4) {
          // Nothing decided yet, so "why was I charged twice?" is no "why?" about a refusal: it is read for what it asks
          // when it is read with confidence (never as an account flow, which a "why" question does not ask for).
          const asked = await this.deps.recognizer.recognize(text, turnLanguage(step.context));
          const { intent, score } = asked;
          if (intent !== 'none' && intent !== 'outOfScope' && !ACCOUNT_INTENTS.has(intent) && score >= ACTION_CONFIDENCE) return step.replaceDialog(MAIN_WATERFALL, { greeted: true, wish: intent } satisfies MainDialogOptions);
        }
        await step.context.sendActivity(reason ? whyReply(t, this.deps.policy, turnLanguage(step.context), reason, this.deps.supportContact) : t('why:nothingYet'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true } satisfies MainDialogOptions);
      }
      case 'help':
        await step.context.sendActivity(t('main:help'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      case 'startOver':
        await step.context.sendActivity(t('interruptions:startingOver'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      case 'switchLanguage': {
        const current = turnLanguage(step.context);
        const text = step.context.activity.text ?? '';
        const other = current === 'sv' ? 'en' : 'sv';
        // No language named, and written in this one ("Jag vill snabbåterkalla" misread): not a wish to switch.
        const to = languageNamedIn(this.deps.vocabulary.interruptions, text) ?? (this.deps.recognizer.clearLanguage(text) === current ? undefined : other);
        if (!to) return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:confused' } satisfies MainDialogOptions);
        switchTurnLanguage(step.context, to);
        await step.context.sendActivity(translatorFor(step.context, this.deps.i18n)('interruptions:languageSwitched'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      }
      case 'greeting':
        await step.context.sendActivity(t('main:hiAgain'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      case 'thanksGoodbye':
        await step.context.sendActivity(t('main:goodbye'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, silent: true } satisfies MainDialogOptions);
      case 'menu':
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      case 'anythingElse':
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true } satisfies MainDialogOptions);
      case 'stop':
        await step.context.sendActivity(t('main:nothingToStop'));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
      case 'outOfScope':
      default:
        await step.context.sendActivity(withSupportContact(t, t('main:outOfScope'), this.deps.supportContact));
        return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatElse' } satisfies MainDialogOptions);
    }
  }

  private async afterVerification(step: WaterfallStepContext): Promise<DialogTurnResult> {
    const result = step.result as (VerifyIdentityResult & { known?: boolean; wish?: Wish }) | undefined;
    // Asked for something else while being verified: that is what the caller goes to now.
    if (result?.wish) Object.assign(step.values, { wish: result.wish, how: undefined } satisfies Partial<MainValues>);
    const { wish, how } = step.values as MainValues;
    if (wasInterrupted(result)) return this.afterInterruption(step, result);
    if (!ACCOUNT_INTENTS.has(wish) || result?.status !== 'verified') return step.next(); // cancelled, locked, gave up or unavailable: already said

    const t = translatorFor(step.context, this.deps.i18n);
    if (!result.known) {
      const now = this.deps.now().toISOString();
      const { accountId, organisationName, isAdmin, caller } = result;
      await this.deps.callerSession.set(step.context, { accountId, organisationName, isAdmin, caller, verifiedAt: now, lastActiveAt: now });
    }
    if (!result.isAdmin) {
      // ID-2: a verified non-admin hears general information only, and how to reach their admin.
      if (result.known) {
        const organisation = result.organisationName;
        await sayWithReason(step, this.deps, withSupportContact(t, t('verify:stillNotAdmin', { organisation }), this.deps.supportContact), { reason: 'not-admin', params: { organisation } });
      }
      return step.next();
    }
    const flow = this.deps.flows[wish as MenuIntent];
    if (!flow) throw new Error(`no flow registered for ${wish}`);
    return step.beginDialog(flow, { accountId: result.accountId, organisationName: result.organisationName, caller: result.caller, how } satisfies AccountFlowOptions);
  }

  private async loop(step: WaterfallStepContext): Promise<DialogTurnResult> {
    if (wasInterrupted(step.result)) return this.afterInterruption(step, step.result);
    // The request is over (done, refused or handed over): a hand-off asked for from here on is about something else,
    // not this request, which the agent reads in the transcript.
    await this.deps.requests.delete(step.context);
    // AS-3: after a refusal the caller is invited to ask why, or to choose the next step (a person is one of them).
    const question = reasonGivenThisTurn(step.context) ? 'main:afterRefusal' : undefined;
    return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question } satisfies MainDialogOptions);
  }

  private async afterInterruption(step: WaterfallStepContext, { interrupted, wish, afterDone }: InterruptedResult): Promise<DialogTurnResult> {
    // "Nothing changed" is said only where it is true: not at the feedback after a completed action, whose request is
    // over (a conversation at the feedback since before the request ended there may still hold it).
    if (afterDone) await this.deps.requests.delete(step.context);
    if (interrupted === 'person') return this.toPerson(step, { midFlow: !afterDone });
    if (interrupted === 'newRequest' && wish) return step.replaceDialog(MAIN_WATERFALL, { greeted: true, wish } satisfies MainDialogOptions);
    return step.replaceDialog(MAIN_WATERFALL, { greeted: true, question: 'main:whatToDo' } satisfies MainDialogOptions);
  }

  /**
   * AS-2: whoever asks for a person is handed over with a case: a verified caller with what they proved, anyone else
   * (a locked-out caller too) marked "not verified" for the agent to verify by phone. Asking twice points to the case.
   */
  private async toPerson(step: WaterfallStepContext, { midFlow = false } = {}): Promise<DialogTurnResult> {
    const t = translatorFor(step.context, this.deps.i18n);
    const session = await this.deps.callerSession.get(step.context);
    const verified = session && this.deps.policy.access(standing(session), this.deps.now()).level !== 'none' ? session : undefined;
    if (verified?.handoffReference) {
      await step.context.sendActivity(withSupportContact(t, t('main:alreadyHandedOver', { reference: verified.handoffReference }), this.deps.supportContact));
      return step.replaceDialog(MAIN_WATERFALL, { greeted: true } satisfies MainDialogOptions);
    }
    if (verified) {
      await handOverToPerson(step, this.deps, {
        reason: 'caller-asked',
        caller: { verified: true, accountId: verified.accountId, organisationName: verified.organisationName, userId: verified.caller, isAdmin: verified.isAdmin },
        flowId: verified.verifiedAt,
        // Asked for in the middle of a flow: say that nothing was done, and that a colleague carries on.
        introKey: midFlow ? 'main:personMidFlow' : undefined,
      });
      return step.replaceDialog(MAIN_WATERFALL, { greeted: true } satisfies MainDialogOptions);
    }
    // Not verified, or locked out of verification (ID-3): a case all the same, which says so.
    const lock = await this.deps.verification.lockout(verificationKey(step.context));
    await handOverToPerson(step, this.deps, {
      reason: lock.locked ? 'locked-out' : 'caller-asked',
      caller: { verified: false, accountId: null, organisationName: null, userId: null, isAdmin: null, lockedUntil: lock.locked ? lock.until : undefined },
      decision: lock.locked ? { outcome: 'locked', rules: this.deps.policy.handoff('locked-out').rules } : undefined,
      flowId: 'unverified',
      perCallerPerDay: true,
      introKey: lock.locked ? 'main:personLocked' : undefined,
    });
    return step.replaceDialog(MAIN_WATERFALL, { greeted: true } satisfies MainDialogOptions);
  }
}
