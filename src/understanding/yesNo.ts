import { normalisePhrase } from './phrases';

export interface YesNoVocabulary {
  yes: ReadonlySet<string>;
  no: ReadonlySet<string>;
}

export function buildYesNoVocabulary(yesWords: string[], noWords: string[]): YesNoVocabulary {
  return { yes: new Set(yesWords.map(normalisePhrase)), no: new Set(noWords.map(normalisePhrase)) };
}

/**
 * Reads a yes or a no in Swedish or English. A no anywhere wins ("nej, inte ok" is never a yes); an answer with
 * neither is not understood. Card submits carry `{ answer: 'yes' | 'no' }`.
 */
export function recognizeYesNo(vocabulary: YesNoVocabulary, input: { text?: string; value?: unknown }): boolean | undefined {
  const submitted = (input.value as { answer?: unknown } | undefined)?.answer;
  if (submitted === 'yes' || submitted === 'no') return submitted === 'yes';
  if (!input.text) return undefined;
  const phrase = normalisePhrase(input.text);
  if (!phrase) return undefined;
  const words = phrase.split(' ');
  const has = (set: ReadonlySet<string>) => set.has(phrase) || words.some((word) => set.has(word)) || [...set].some((p) => p.includes(' ') && ` ${phrase} `.includes(` ${p} `));
  if (has(vocabulary.no)) return false;
  if (has(vocabulary.yes)) return true;
  return undefined;
}

