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
 * The one option a longer message names ("jag vill säga upp vid periodens slut", "cancel it now please"), or undefined
 * when it names none or more than one. A one-word phrase ("nu", "now") counts only where a sentence ends with it, so
 * "jag vill nu säga upp" chooses nothing.
 */
export function optionNamedIn(choices: Choice[], text: string): string | undefined {
  const sentences = text.split(/[.!?\n]+/u).map(normalisePhrase).filter(Boolean);
  const named = new Set<string>();
  for (const option of choices) {
    for (const phrase of option.phrases) {
      const found = phrase.includes(' ')
        ? sentences.some((sentence) => ` ${sentence} `.includes(` ${phrase} `))
        : sentences.some((sentence) => new RegExp(`(?:^|\\s)${phrase}(?:\\s+(?:tack|please|thanks|thank you|direkt))?$`, 'u').test(sentence));
      if (found) named.add(option.value);
    }
  }
  return named.size === 1 ? [...named][0] : undefined;
}

/**
 * The option a message picks: a card submit (`{ choice }`), or a title or phrase of an option; a number picks by
 * position. With `partial`, also a phrase said with a few more words, when only one option fits (for a question whose
 * only answers are the options; the main menu leaves free text to the intent recogniser instead).
 */
export function recognizeChoice(choices: Choice[], input: { text?: string; value?: unknown }, options: { partial?: boolean } = {}): string | undefined {
  const submitted = (input.value as { choice?: unknown } | undefined)?.choice;
  if (typeof submitted === 'string' && choices.some((c) => c.value === submitted)) return submitted;
  if (!input.text) return undefined;
  const phrase = normalisePhrase(input.text);
  if (/^\d+$/.test(phrase)) return choices[Number(phrase) - 1]?.value;
  const exact = choices.find((c) => c.phrases.includes(phrase))?.value;
  if (exact || !options.partial) return exact;
  // "vid periodens slut tack", "nu direkt": an option's phrase said with a few more words, when only one option fits.
  const padded = ` ${phrase} `;
  const containing = choices.filter((c) => c.phrases.some((p) => padded.includes(` ${p} `)));
  return containing.length === 1 && phrase.split(' ').length <= 8 ? containing[0].value : undefined;
}
