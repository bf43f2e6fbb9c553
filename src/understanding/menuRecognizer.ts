import { isMenuIntent, MENU_INTENTS, type MenuIntent } from './intents';

/**
 * Recognises a menu choice: a button's value, its title, or one of the phrases listed for it in the locales, in
 * either language (a Swede who writes "cancel" still means it). Free-text understanding is a separate recogniser
 * that can sit in front of this one; both answer with the same intent values.
 */
export type MenuVocabulary = ReadonlyMap<string, MenuIntent>;

/** Builds the phrase → intent table once, from every language's `main:menu.<intent>` title and synonyms. */
export function buildMenuVocabulary(phrasesFor: (intent: MenuIntent) => string[]): MenuVocabulary {
  const vocabulary = new Map<string, MenuIntent>();
  for (const intent of MENU_INTENTS) {
    for (const phrase of phrasesFor(intent)) vocabulary.set(normalisePhrase(phrase), intent);
  }
  return vocabulary;
}

export function recognizeMenuChoice(vocabulary: MenuVocabulary, input: { text?: string; value?: unknown }): MenuIntent | undefined {
  const submitted = (input.value as { intent?: unknown } | undefined)?.intent;
  if (isMenuIntent(submitted)) return submitted;
  if (!input.text) return undefined;
  return vocabulary.get(normalisePhrase(input.text));
}

/** Lower case, NFC, punctuation and extra spaces gone: "Säga upp!" and "säga  upp" are the same phrase. */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFC')
    .toLocaleLowerCase('sv')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
