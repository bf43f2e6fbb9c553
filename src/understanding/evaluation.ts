import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { LANGUAGES, type Language } from '../i18n';
import { NLU_INTENTS, type IntentRecognizer, type NluIntent } from './nlu';

export const heldOutSchema = z.array(z.object({ text: z.string().min(1), intent: z.enum(NLU_INTENTS) })).min(60);
export type HeldOut = z.infer<typeof heldOutSchema>;

export interface LanguageScore {
  language: Language;
  total: number;
  correct: number;
  accuracy: number;
  /** Every miss: what was said, what it is, what the recogniser thought. */
  misses: Array<{ text: string; expected: NluIntent; got: NluIntent | 'none'; score: number }>;
}

/**
 * Labelled sets live with the tests and are never used for training: `heldout` was written blind (without sight of
 * the corpus) and is the figure that counts; `dev` guided the corpus work and is printed for comparison.
 */
export function readLabelled(root: string, set: 'heldout' | 'dev'): Record<Language, HeldOut> {
  const read = (language: Language) => heldOutSchema.parse(JSON.parse(readFileSync(join(root, 'test', 'nlu', `${set}.${language}.json`), 'utf8')));
  return { sv: read('sv'), en: read('en') };
}

/** "expected → got: count", most frequent first. */
export function confusions(score: LanguageScore): Array<{ pair: string; count: number }> {
  const counts = new Map<string, number>();
  for (const miss of score.misses) counts.set(`${miss.expected} → ${miss.got}`, (counts.get(`${miss.expected} → ${miss.got}`) ?? 0) + 1);
  return [...counts].map(([pair, count]) => ({ pair, count })).sort((a, b) => b.count - a.count);
}

export async function evaluate(recognizer: IntentRecognizer, heldOut: Record<Language, HeldOut>): Promise<LanguageScore[]> {
  const scores: LanguageScore[] = [];
  for (const language of LANGUAGES) {
    const misses: LanguageScore['misses'] = [];
    for (const { text, intent } of heldOut[language]) {
      const result = await recognizer.recognize(text, language);
      if (result.intent !== intent) misses.push({ text, expected: intent, got: result.intent, score: Number(result.score.toFixed(2)) });
    }
    const total = heldOut[language].length;
    scores.push({ language, total, correct: total - misses.length, accuracy: (total - misses.length) / total, misses });
  }
  return scores;
}
