import { ActionTypes, InputHints, MessageFactory, type Activity, type TurnContext } from 'botbuilder';
import type { PromptOptions } from 'botbuilder-dialogs';
import type { i18n } from 'i18next';
import { translatorFor } from '../src/conversation/language';
import { newCardId } from '../src/conversation/cardClicks';
import type { Translate } from '../src/i18n';
import { choiceReply } from './replies';
import { MENU_INTENTS } from '../src/understanding/intents';
import { CANCEL_OPTIONS, FEEDBACK_REASONS } from '../src/conversation/vocabulary';

/**
 * A sentence not yet rendered: a locale key and its parameters, which may be phrases themselves
 * (`{ key: 'account:subscriptionLabel', params: { plan: { key: 'account:plans.ENTERPRISE' }, count: 40 } }`).
 * Prompts keep the phrase of their question, so a caller who switches language mid-question hears it again in
 * the new language.
 */
export interface Phrase {
  key: string;
  params?: Record<string, string | number | Phrase>;
}

/**
 * An option of a choice: its value and the phrase of its button; or its value alone, when the question's `titles` gives
 * every such option's key (`'main:menu.{value}.title'`) — the dialog stack then keeps a word per option, not a phrase.
 */
export type ChoiceOption = string | { value: string; title: Phrase };

export type Question =
  | { kind: 'text'; ask: Phrase; retry?: Phrase }
  | { kind: 'yesNo'; ask: Phrase }
  /** `buttons` keeps a short menu as suggested actions even where cards work. */
  | { kind: 'choice'; ask: Phrase; retry: Phrase; options: ChoiceOption[]; titles?: string; style?: 'card' | 'buttons' };

/** A choice's options, each with the phrase of its button. */
function optionsOf(question: Extract<Question, { kind: 'choice' }>): Array<{ value: string; title: Phrase }> {
  return question.options.map((option) => (typeof option === 'string' ? { value: option, title: { key: (question.titles ?? '{value}').replace('{value}', option) } } : option));
}

export function render(t: Translate, phrase: Phrase): string {
  // Without parameters, the key alone: the translator remembers those (src/conversation/language.ts).
  if (!phrase.params) return t(phrase.key);
  const params = Object.fromEntries(
    Object.entries(phrase.params).map(([name, value]) => [name, typeof value === 'object' ? render(t, value) : value]),
  );
  return t(phrase.key, params);
}

/**
 * Prompt options for a question: `validations` carries the question itself (phrases, not rendered words) and what the
 * prompt checks against. The prompt renders it when it asks (see PlainPrompt), in the turn's language then: the dialog
 * stack keeps a few keys instead of rendered activities with their buttons, and a caller who switches language
 * mid-question hears it again in the new language. A question asked on a card gets an id of its own
 * (`validations.cardId`, also on the card's buttons): a click on an older card is then never taken for an answer to
 * this one (see cardClicks.ts); after a language switch the card keeps its id — it is the same question.
 */
export function ask(question: Question | NamedQuestion, validations: Record<string, unknown> = {}): PromptOptions {
  const asked = 'named' in question ? named(question) : question;
  const cardId = asked.kind === 'choice' && asked.style !== 'buttons' ? newCardId() : undefined;
  return { validations: { ...validations, question, ...(cardId ? { cardId } : {}) } };
}

type ChoiceQuestion = Extract<Question, { kind: 'choice' }>;
const MENU: Omit<ChoiceQuestion, 'ask'> = { kind: 'choice', style: 'buttons', retry: { key: 'main:reprompt' }, options: [...MENU_INTENTS], titles: 'main:menu.{value}.title' };

const CANCEL_HOW: Omit<ChoiceQuestion, 'ask'> = { kind: 'choice', retry: { key: 'cancel:howRetry' }, options: [...CANCEL_OPTIONS], titles: 'cancel:options.{value}.title' };
const FEEDBACK_TITLES = 'feedback:reasons.{value}.title';

/**
 * Questions with fixed options, kept in the dialog stack by name and the phrase they ask with: their options, titles
 * and retry words would otherwise be stored again in every conversation waiting at them.
 */
const NAMED_QUESTIONS = {
  menu: MENU,
  /** The caller already waits for a person: "leave a message" where "a person" was. */
  menuToLeaveMessage: { ...MENU, options: MENU_INTENTS.map((value): ChoiceOption => (value === 'person' ? { value: 'leaveMessage', title: { key: 'handoff:leaveMessage.title' } } : value)) },
  cancelHow: CANCEL_HOW,
  /** The end of the term is already set: cancelling now, or keeping it so. */
  cancelHowInstead: { ...CANCEL_HOW, options: CANCEL_OPTIONS.filter((how) => how !== 'endOfTerm') },
  feedbackReason: { kind: 'choice', retry: { key: 'feedback:retry' }, options: [...FEEDBACK_REASONS], titles: FEEDBACK_TITLES },
  /** A comment, or the one button that skips it. */
  feedbackComment: { kind: 'choice', retry: { key: 'feedback:comment' }, options: ['skip'], titles: FEEDBACK_TITLES },
} satisfies Record<string, Omit<ChoiceQuestion, 'ask'>>;

export interface NamedQuestion {
  named: keyof typeof NAMED_QUESTIONS;
  ask: Phrase;
}

function named(question: NamedQuestion): Question {
  return { ...NAMED_QUESTIONS[question.named], ask: question.ask };
}

/** The question a prompt was asked with (its options' `validations.question`), a named one filled in. */
export function questionOf(options: { validations?: unknown } | undefined): Question | undefined {
  const kept = (options?.validations as { question?: Question | NamedQuestion } | undefined)?.question;
  return kept && 'named' in kept ? named(kept) : kept;
}

/** What a prompt says when it asks (or, on a retry, asks again): its question rendered for this turn. */
export function questionActivity(context: TurnContext, i18n: i18n, question: Question, cardId: string | undefined, isRetry: boolean): Partial<Activity> {
  const activity = renderQuestion(context, translatorFor(context, i18n), question, cardId, isRetry);
  return typeof activity.inputHint === 'string' ? activity : { ...activity, inputHint: InputHints.ExpectingInput };
}

/**
 * The words of the button a card click chose (`{ choice }` or `{ answer }`), in the language of `t`; undefined when the
 * click names nothing the question offers.
 */
export function chosenTitle(t: Translate, question: Question, value: { choice?: unknown; answer?: unknown }): string | undefined {
  if (question.kind === 'choice') {
    const option = optionsOf(question).find((o) => o.value === value.choice);
    return option ? render(t, option.title) : undefined;
  }
  if (question.kind !== 'yesNo') return undefined;
  // Card submits carry 'yes' | 'no' (see yesNo.ts); a boolean is read the same way.
  if (value.answer === 'yes' || value.answer === true) return t('common:yes');
  if (value.answer === 'no' || value.answer === false) return t('common:no');
  return undefined;
}

/** The question as asked, or as asked again after an answer that did not fit: only the one that is sent is rendered. */
function renderQuestion(context: TurnContext, t: Translate, question: Question, cardId: string | undefined, isRetry: boolean): Partial<Activity> {
  const channelId = context.activity.channelId;
  switch (question.kind) {
    case 'text':
      return MessageFactory.text(render(t, isRetry ? (question.retry ?? question.ask) : question.ask));
    case 'yesNo': {
      const text = render(t, question.ask);
      const buttons = [t('common:yes'), t('common:no')].map((title) => ({ type: ActionTypes.ImBack, title, value: title }));
      return MessageFactory.suggestedActions(buttons, isRetry ? t('common:answerYesNo', { question: text }) : text);
    }
    case 'choice': {
      const options = optionsOf(question).map((option) => ({ value: option.value, title: render(t, option.title) }));
      const channel = question.style === 'buttons' ? undefined : channelId;
      return choiceReply(render(t, isRetry ? question.retry : question.ask), options, channel, cardId);
    }
  }
}
