import type { TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import { languageFromLocale, type Language, type Translate } from '../i18n';
import { rememberingTemplates } from './rememberedTemplates';

const TURN_LANGUAGE = Symbol('turnLanguage');

/**
 * The caller picked a language in the channel's own control (the widget's Svenska/English picker): an event with that
 * locale, marked as chosen (`channelData.localeChosen`). The question open is asked again in the new language.
 */
export const LANGUAGE_EVENT = 'setLanguage';

export function isLanguageEvent(activity: { type?: string; name?: string }): boolean {
  return activity.type === 'event' && activity.name === LANGUAGE_EVENT;
}
const LANGUAGE_CHOSEN = Symbol('languageChosen');

/**
 * The caller's language for this turn: what they explicitly chose, else what the channel says now, else what they
 * had, else the default.
 */
export function chooseLanguage(activityLocale: string | undefined, remembered: Language | undefined, fallback: Language, chosen = false): Language {
  if (chosen && remembered) return remembered;
  return languageFromLocale(activityLocale) ?? remembered ?? fallback;
}

/** The caller asked for another language: this turn speaks it, and the bot remembers it over the channel's locale. */
export function switchTurnLanguage(context: TurnContext, language: Language): void {
  context.turnState.set(TURN_LANGUAGE, language);
  context.turnState.set(LANGUAGE_CHOSEN, true);
}

export function languageWasChosen(context: TurnContext): boolean {
  return context.turnState.get(LANGUAGE_CHOSEN) === true;
}

export function setTurnLanguage(context: TurnContext, language: Language): void {
  context.turnState.set(TURN_LANGUAGE, language);
}

export function turnLanguage(context: TurnContext): Language {
  const language = context.turnState.get(TURN_LANGUAGE) as Language | undefined;
  if (!language) throw new Error('turn language not set: the bot sets it before any dialog runs');
  return language;
}

/** The turn's language if the bot got as far as choosing it (an error can strike before). */
export function turnLanguageIfKnown(context: TurnContext): Language | undefined {
  return context.turnState.get(TURN_LANGUAGE) as Language | undefined;
}

/** One translator per i18n instance and language, made once: every dialog asks for one at every step. */
const translators = new WeakMap<i18n, Map<Language, Translate>>();

export function translatorFor(context: TurnContext, i18n: i18n): Translate {
  const language = turnLanguage(context);
  let ofInstance = translators.get(i18n);
  if (!ofInstance) translators.set(i18n, (ofInstance = new Map()));
  let translate = ofInstance.get(language);
  if (!translate) ofInstance.set(language, (translate = rememberingTemplates(i18n.getFixedT(language))));
  return translate;
}
