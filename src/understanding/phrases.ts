/** Lower case, NFC, punctuation and extra spaces gone: "Säga upp!" and "säga  upp" are the same phrase. */
export function normalisePhrase(text: string): string {
  return text
    .normalize('NFC')
    .toLocaleLowerCase('sv')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** No word of any language is longer; a longer run of letters is cut to this before any matching. */
const LONGEST_WORD = 40;

/**
 * Text as the recogniser and the answer parsers may see it: every run of non-space characters cut to LONGEST_WORD.
 * Matching is quadratic in a word's length, so one 16,000-character "word" would otherwise stall every conversation.
 */
export function withBoundedWords(text: string): string {
  return text.replace(new RegExp(`\\S{${LONGEST_WORD + 1},}`, 'gu'), (word) => word.slice(0, LONGEST_WORD));
}
