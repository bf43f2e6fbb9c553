import { normalisePhrase } from './phrases';

export type Interruption = 'cancel' | 'help';

export type InterruptionVocabulary = ReadonlyMap<string, Interruption>;

export function buildInterruptionVocabulary(phrases: Record<Interruption, string[]>): InterruptionVocabulary {
  const vocabulary = new Map<string, Interruption>();
  for (const [interruption, list] of Object.entries(phrases) as Array<[Interruption, string[]]>) {
    for (const phrase of list) vocabulary.set(normalisePhrase(phrase) || phrase.trim(), interruption);
  }
  return vocabulary;
}

/** A whole message that asks to stop or for help, in either language; anything longer is an answer, not an interruption. */
export function recognizeInterruption(vocabulary: InterruptionVocabulary, text: string | undefined): Interruption | undefined {
  if (!text) return undefined;
  return vocabulary.get(normalisePhrase(text) || text.trim());
}
