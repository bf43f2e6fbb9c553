import { normalisePhrase } from './phrases';

/** One option of a choice list, with every phrase (in both languages) that picks it. */
export interface Choice {
  value: string;
  phrases: string[];
}

export function choice(value: string, phrases: string[]): Choice {
  return { value, phrases: [...new Set(phrases.map(normalisePhrase).filter(Boolean))] };
}

/**
 * The option a message picks: a card submit (`{ choice }`), or a title or phrase of an option; a number picks by
 * position. Free-text understanding is a separate recogniser that can sit in front of this one.
 */
export function recognizeChoice(choices: Choice[], input: { text?: string; value?: unknown }): string | undefined {
  const submitted = (input.value as { choice?: unknown } | undefined)?.choice;
  if (typeof submitted === 'string' && choices.some((c) => c.value === submitted)) return submitted;
  if (!input.text) return undefined;
  const phrase = normalisePhrase(input.text);
  if (/^\d+$/.test(phrase)) return choices[Number(phrase) - 1]?.value;
  return choices.find((c) => c.phrases.includes(phrase))?.value;
}
