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


/** Words that go with a yes or a no and say nothing else ("ja tack", "no thanks", "yes please"). */
const COURTESY = new Set(['tack', 'thanks', 'thank', 'you', 'please', 'snalla', 'snälla', 'garna', 'gärna', 'du', 'så', 'sa', 'mycket']);

/**
 * Whether a message is a yes or a no and nothing more: "nej tack" is, "lösenordet fungerar inte" and "ok tack hejdå"
 * are not — they say something a yes/no reading would drop.
 */
export function isOnlyYesNo(vocabulary: YesNoVocabulary, text: string): boolean {
  if (recognizeYesNo(vocabulary, { text }) === undefined) return false;
  let phrase = ` ${normalisePhrase(text)} `;
  // Multi-word answers first ("inte nu", "no way"), then single words.
  for (const answer of [...vocabulary.yes, ...vocabulary.no].sort((a, b) => b.length - a.length)) phrase = phrase.split(` ${answer} `).join(' ');
  return phrase.split(' ').filter(Boolean).every((word) => COURTESY.has(word));
}
