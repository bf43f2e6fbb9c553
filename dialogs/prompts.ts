import { ActivityTypes, type TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import type { DialogContext, PromptOptions, PromptRecognizerResult, PromptValidator, PromptValidatorContext } from 'botbuilder-dialogs';
import { Prompt } from '../src/conversation/sdkDialogs';
import type { VerificationItem } from '../src/policy';
import { optionNamedIn, recognizeChoice, type Choice } from '../src/understanding/choices';
import { isQuestionAbout } from '../src/understanding/questionForm';
import { isAccountWish, saysTheAction } from '../src/understanding/actionWords';
import type { IntentRecognizer, NluIntent } from '../src/understanding/nlu';
import type { MenuIntent } from '../src/understanding/intents';
import { switchTurnLanguage, turnLanguage } from '../src/conversation/language';
import type { Vocabulary } from '../src/conversation/vocabulary';
import { phraseInterruption } from '../src/understanding/interruptions';
import { isOnlyYesNo, recognizeYesNo, type YesNoVocabulary } from '../src/understanding/yesNo';
import { ITEM_PARSERS, type PartialAnswers } from '../src/verification/answers';
import { extractDetails, regionOfLocale } from '../src/understanding/details';
import { withheldFromTranscript } from '../src/conversation/transcript';
import { normaliseText } from '../src/verification/normalise';
import { normalisePhrase } from '../src/understanding/phrases';
import { codeMatches, type IssuedCode } from '../src/verification/otp';
import { questionActivity, questionOf, type Phrase } from './questions';
import type { CodeLimits } from '../src/verification/codeLimits';

/** After this many re-prompts a question gives up and ends with no value; the dialog then offers help or a person. */
export const MAX_REPROMPTS = 3;

const giveUpAfterReprompts = async (prompt: PromptValidatorContext<unknown>) => prompt.recognized.succeeded || prompt.attemptCount > MAX_REPROMPTS;

/**
 * Asks its question (`validations.question`, rendered now in the turn's language; see questions.ts) or, on a retry,
 * the question's retry words. `validations.silent`: the first asking and reprompts say nothing (a retry still does).
 */
abstract class PlainPrompt<T> extends Prompt<T> {
  constructor(dialogId: string, protected readonly i18n: i18n, validator: PromptValidator<T> = giveUpAfterReprompts) {
    super(dialogId, validator);
  }

  /** Whether the current message would answer this prompt (see InterruptibleDialog). */
  async wouldAccept(dc: DialogContext, options: PromptOptions): Promise<boolean> {
    return (await this.onRecognize(dc.context, {}, options)).succeeded;
  }

  protected async onPrompt(context: TurnContext, _state: object, options: PromptOptions, isRetry: boolean): Promise<void> {
    const validations = options.validations as { cardId?: string; quotesCaller?: boolean; silent?: boolean } | undefined;
    const question = questionOf(options);
    if (!question || (validations?.silent && !isRetry)) return;
    const activity = questionActivity(context, this.i18n, question, validations?.cardId, isRetry);
    // A question that repeats the caller's details back to them is kept out of the transcript.
    await context.sendActivity(validations?.quotesCaller === true ? withheldFromTranscript(activity) : activity);
  }
}

/**
 * Asks for one verification item and checks its form (ID-1); the item travels in `validations.item`. The answer may
 * come with more ("Anna Lindqvist, Fjordfika AB, Storgatan 12 …" at the name question): the item is picked out of it,
 * and the dialog keeps the rest.
 */
export class AnswerPrompt extends PlainPrompt<string> {
  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    const item = (options.validations as { item: VerificationItem }).item;
    const text = context.activity.type === ActivityTypes.Message ? context.activity.text : undefined;
    if (!text) return { succeeded: false };
    // Picked out of the message first (so "Storgatan 12, 114 55 Stockholm och jag är admin" gives the address alone),
    // else the whole message read as the item.
    const value = extractDetails(text, { region: regionOfLocale(context.activity.locale), expecting: item }).answers[item] ?? ITEM_PARSERS[item](text);
    return typeof value === 'string' ? { succeeded: true, value } : { succeeded: false };
  }
}

/** A yes/no question that understands Swedish and English (ja, japp, nej tack…) and card submits. */
export class YesNoPrompt extends PlainPrompt<boolean> {
  constructor(dialogId: string, i18n: i18n, private readonly vocabulary: YesNoVocabulary) {
    super(dialogId, i18n);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<boolean>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const value = recognizeYesNo(this.vocabulary, context.activity);
    return value === undefined ? { succeeded: false } : { succeeded: true, value };
  }
}

/**
 * Picks one option of a list: the options offered with the prompt (`validations.choices`), or the list the prompt
 * knows by the name in `validations.choiceList` (kept in state as that name, not as the list's phrases), or else the
 * fixed list given at construction. Answers with the option's value.
 */
export class OptionPrompt extends PlainPrompt<string> {
  constructor(dialogId: string, i18n: i18n, private readonly fixed?: Choice[], private readonly lists: Record<string, Choice[]> = {}) {
    super(dialogId, i18n);
  }

  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<string>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    // The options actually offered this time win over the full list: a typed "2" means the second button shown.
    const validations = options.validations as { choices?: Choice[]; choiceList?: string } | undefined;
    const choices = validations?.choices ?? (validations?.choiceList ? this.lists[validations.choiceList] : undefined) ?? this.fixed ?? [];
    const value = recognizeChoice(choices, context.activity, { partial: true });
    return value === undefined ? { succeeded: false } : { succeeded: true, value };
  }
}

/**
 * "Is that right?" after the caller's details are said back: a yes or a no, or the right detail itself ("nej, numret
 * är 070-…", "the postcode is 114 55"), which answers with the details it holds.
 */
export class DetailsPrompt extends PlainPrompt<boolean | PartialAnswers> {
  constructor(dialogId: string, i18n: i18n, private readonly vocabulary: YesNoVocabulary) {
    super(dialogId, i18n);
  }

  protected async onRecognize(context: TurnContext): Promise<PromptRecognizerResult<boolean | PartialAnswers>> {
    if (context.activity.type !== ActivityTypes.Message) return { succeeded: false };
    const details = context.activity.text ? extractDetails(context.activity.text, { region: regionOfLocale(context.activity.locale) }).answers : {};
    if (Object.keys(details).length > 0) return { succeeded: true, value: details };
    const value = recognizeYesNo(this.vocabulary, context.activity);
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

/**
 * The one-time code of a step-up check; the issued code (hashed) travels in `validations.issued`. Answers
 * `confirmed`, or `resend` when the caller asks for a new code ("skicka igen", "I didn't get it").
 */
export class CodePrompt extends PlainPrompt<'confirmed' | 'resend' | 'limit'> {
  constructor(dialogId: string, i18n: i18n, private readonly now: () => Date, private readonly resendPhrases: ReadonlySet<string>, limits: CodeLimits) {
    // A wrong code counts against the account over time (FR-2); one too many ends the question with `limit`.
    // (Counted here, once per message, not while recognising, which also runs to tell answers from interruptions.)
    super(dialogId, i18n, async (prompt) => {
      if (prompt.recognized.succeeded) return true;
      const typed = prompt.context.activity.text ?? '';
      const accountId = (prompt.options.validations as { accountId?: string }).accountId;
      // Only what looks like a code is a guess ("070-123 45 67" or "jag fick 2 sms" is not).
      const looksLikeCode = /^\D*\d{6}\D*$/.test(typed.replace(/[\s-]/g, ''));
      if (accountId && looksLikeCode && !(await limits.allowWrongCode(accountId))) {
        Object.assign(prompt.recognized, { succeeded: true, value: 'limit' });
        return true;
      }
      return prompt.attemptCount > MAX_REPROMPTS;
    });
  }

  protected async onRecognize(context: TurnContext, _state: object, options: PromptOptions): Promise<PromptRecognizerResult<'confirmed' | 'resend' | 'limit'>> {
    const typed = context.activity.type === ActivityTypes.Message ? context.activity.text ?? '' : '';
    const said = ` ${normalisePhrase(typed)} `;
    if ([...this.resendPhrases].some((phrase) => said.includes(` ${phrase} `))) return { succeeded: true, value: 'resend' };
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

/**
 * What the caller wants, as the main dialog routes it: a menu choice, an intent understood from free text, or what a
 * bare yes/no/stop means at the question asked: `menu` (show the choices), `anythingElse`, `stop` (nothing to stop).
 */
export type Wish = MenuIntent | NluIntent | 'menu' | 'anythingElse' | 'stop' | 'why' | 'leaveMessage';

/** What a bare "yes" or "no" means at a menu question. */
export interface YesNoMeaning {
  yes: Wish;
  no: Wish;
}

/**
 * The main question, "what would you like to do?": a button or menu phrase first, then the intent recogniser on
 * free text. A message clearly written in the other language switches the conversation to it. It never guesses:
 * below the threshold the menu is shown again, and after two misunderstandings in a row the retry offers a person
 * (the menu's question asked as `main:confused`).
 */
export class WishPrompt extends PlainPrompt<Wish> {
  /** @param yesNoMeanings What a bare yes or no means after each question of the menu (by the key it asks with). */
  constructor(dialogId: string, i18n: i18n, private readonly vocabulary: Vocabulary, private readonly recognizer: IntentRecognizer, private readonly yesNoMeanings: Record<string, YesNoMeaning> = {}) {
    super(dialogId, i18n, async (prompt) => prompt.recognized.succeeded);
  }

  protected async onPrompt(context: TurnContext, state: { attemptCount?: number }, options: PromptOptions, isRetry: boolean): Promise<void> {
    const question = questionOf(options);
    // After two misunderstandings the retry is the menu asked with other words (and a person offered).
    if (isRetry && (state.attemptCount ?? 0) >= 2 && question) await context.sendActivity(questionActivity(context, this.i18n, { ...question, ask: CONFUSED }, undefined, false));
    else await super.onPrompt(context, state, options, isRetry);
  }

  protected async onRecognize(context: TurnContext, state: { attemptCount?: number }, options: PromptOptions): Promise<PromptRecognizerResult<Wish>> {
    // After "would you rather talk to a person?" a yes means exactly that.
    const validations = options.validations as { leaveMessageOffered?: boolean } | undefined;
    const meaning: YesNoMeaning | undefined = (state.attemptCount ?? 0) >= 2 ? { yes: 'person', no: 'menu' } : this.yesNoMeanings[questionOf(options)?.ask.key ?? ''];
    // After a goodbye no options are showing (no prompt was sent), so a typed number picks nothing.
    const value = await recognizeWish(context, this.vocabulary, this.recognizer, { yesNo: meaning, optionsShowing: !(validations as { silent?: boolean } | undefined)?.silent, leaveMessageOffered: validations?.leaveMessageOffered });
    return value === undefined ? { succeeded: false } : { succeeded: true, value };
  }
}

/**
 * "Lämna ett meddelande" (the button, its number in the menu, where it replaces "a person", or a sentence naming it).
 */
function leaveMessageAsked(vocabulary: Vocabulary, activity: { text?: string; value?: unknown }, optionsShowing: boolean): boolean {
  const withMessage = [...vocabulary.menu.filter((option) => option.value !== 'person'), ...vocabulary.leaveMessage];
  if (recognizeChoice(optionsShowing ? withMessage : vocabulary.leaveMessage, activity) === 'leaveMessage') return true;
  // In a sentence, only when it names nothing else: "jag vill inte vänta, säg upp nu" is a cancellation.
  return !!activity.text && optionNamedIn(withMessage, activity.text) === 'leaveMessage';
}

/**
 * What a message asks for, in this order: a menu button or phrase, an exact interruption phrase, a short yes or no
 * ("ja tack", "nope": the answer to the yes/no question open, else just the menu again; never sent to the intent
 * recogniser, which would guess at it), then the intent recogniser on free text. A message clearly written in the
 * other language switches the conversation to it first.
 */
export async function recognizeWish(
  context: TurnContext,
  vocabulary: Vocabulary,
  recognizer: IntentRecognizer,
  options: { yesNo?: YesNoMeaning; optionsShowing: boolean; leaveMessageOffered?: boolean },
): Promise<Wish | undefined> {
  if (context.activity.type !== ActivityTypes.Message) return undefined;
  const text = context.activity.text;
  const numberWithoutOptions = !options.optionsShowing && /^\s*\d+\s*$/.test(text ?? '');
  if (numberWithoutOptions) return undefined;
  // While the caller waits for a person, the menu offers to leave a message instead (its last button).
  if (options.leaveMessageOffered && leaveMessageAsked(vocabulary, context.activity, options.optionsShowing)) return 'leaveMessage';
  const choice = recognizeChoice(vocabulary.menu, context.activity) as MenuIntent | undefined;
  if (choice || !text) return choice;

  const phrase = phraseInterruption(vocabulary.interruptions, text);
  if (phrase) return phrase.kind === 'cancel' ? 'stop' : phrase.kind;
  // With a yes/no question open, a short answer is read as yes or no; with none, only a bare "ja tack" or "nope" is
  // (and gets the menu again): "lösenordet fungerar inte" is not a "no", "ok tack hejdå" not a "yes".
  const short = text.trim().split(/\s+/).length <= 3;
  const yesNo = short && (options.yesNo || isOnlyYesNo(vocabulary.yesNo, text)) ? recognizeYesNo(vocabulary.yesNo, { text }) : undefined;
  if (yesNo !== undefined) return options.yesNo ? (yesNo ? options.yesNo.yes : options.yesNo.no) : 'menu';

  // The language of the words around the caller's details: names and streets belong to no language.
  const clear = recognizer.clearLanguage(extractDetails(text, { region: regionOfLocale(context.activity.locale) }).rest);
  if (clear && clear !== turnLanguage(context)) switchTurnLanguage(context, clear);
  const result = await recognizer.recognize(text, turnLanguage(context));
  if (result.intent === 'none') return undefined;
  // A message that also says what NOT to do, asks ABOUT something, or never names the action in words of its own
  // ("add 2 licences to tenant …" read as a cancellation), is never sure enough to start an account flow by itself:
  // the caller is asked first.
  const language = turnLanguage(context);
  const unsaid = isAccountWish(result.intent) && !saysTheAction(result.intent, result.understood, language);
  context.turnState.set(GUESSED, result.negated || unsaid || isQuestionAbout(text, language) ? 0 : result.score);
  return result.intent;
}

const GUESSED = Symbol('wishGuessed');

/** The menu's question after two misunderstandings in a row (see WishPrompt). */
const CONFUSED: Phrase = { key: 'main:confused' };

/**
 * How sure the recogniser was of the wish it read in this turn's free text (0–1); undefined when the wish came from a
 * button, a menu phrase, an interruption phrase or a yes/no — words the bot knows for certain.
 */
export function guessConfidence(context: TurnContext): number | undefined {
  return context.turnState.get(GUESSED) as number | undefined;
}
