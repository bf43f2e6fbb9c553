/**
 * Typo handling in front of the classifier: a word it never saw weighs nothing, so "cancle" or "abonemang" would
 * be lost. Each unknown word is replaced by the closest word of the training vocabulary (Damerau–Levenshtein, on words
 * folded as the classifier reads them: lower case, marks removed), if one is close enough for its length.
 */
export function foldWord(word: string): string {
  // Most words are plain ASCII: those need no Unicode decomposition (the slow part, on every word of every message).
  if (/^[\x00-\x7f]*$/.test(word)) return word.toLowerCase();
  return word.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** Lower-case words; an apostrophe inside a word is dropped rather than splitting it ("don't" → "dont"). */
export function words(text: string): string[] {
  return casedWords(text).map((word) => word.toLowerCase());
}

/** The words as written (capitals kept, so a name can be told from a typo). */
export function casedWords(text: string): string[] {
  return text
    .normalize('NFC')
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export interface KnownWords {
  has(word: string): boolean;
  /** The word itself when known, the nearest known word when it looks like a typo of one, else undefined. */
  correct(word: string): string | undefined;
}

/** The words of `sentences`, folded as the classifier reads them, each once: what the build keeps with a model. */
export function knownWordList(sentences: string[]): string[] {
  return [...new Set(sentences.flatMap((sentence) => words(sentence).map(foldWord)))];
}

export function buildKnownWords(sentences: string[]): KnownWords {
  return knownWordsOf(knownWordList(sentences));
}

/** The vocabulary of these folded words (knownWordList's, or as the build kept them). */
export function knownWordsOf(foldedWords: readonly string[]): KnownWords {
  const known = new Set(foldedWords);
  // Candidates by length, so a lookup compares only words that could be within the allowed distance.
  const byLength = new Map<number, string[]>();
  for (const word of known) {
    const sameLength = byLength.get(word.length);
    if (sameLength) sameLength.push(word);
    else byLength.set(word.length, [word]);
  }
  const cache = new Map<string, string | undefined>();

  /**
   * The nearest known word within one edit (two for long words). Ties go to two neighbouring letters swapped — the
   * commonest slip of the fingers ("free trail" is a trial, not a train) — then to the word sharing the longer
   * beginning, then to the longer word: a typed word more often lacks a letter than has one too many.
   */
  const closest = (folded: string): string | undefined => {
    const allowed = folded.length >= 8 ? 2 : 1;
    let best: { word: string; distance: number; prefix: number; swapped: boolean } | undefined;
    for (let length = folded.length - allowed; length <= folded.length + allowed; length++) {
      for (const candidate of byLength.get(length) ?? []) {
        const distance = editDistance(folded, candidate, allowed);
        if (distance > allowed) continue;
        const prefix = commonPrefix(folded, candidate);
        const swapped = isSwap(folded, candidate);
        const better =
          !best ||
          distance < best.distance ||
          (distance === best.distance &&
            ((swapped && !best.swapped) ||
              (swapped === best.swapped && (prefix > best.prefix || (prefix === best.prefix && candidate.length > best.word.length)))));
        if (better) best = { word: candidate, distance, prefix, swapped };
      }
    }
    return best?.word;
  };

  return {
    has: (word) => known.has(foldWord(word)),
    correct(word) {
      const folded = foldWord(word);
      if (known.has(folded)) return folded;
      if (/\d/.test(folded)) return undefined;
      if (cache.has(folded)) return cache.get(folded);
      // Stretched words ("hiii", "pleeease") are also tried without their repeated letters.
      const forms = [...new Set([folded, folded.replace(/(.)\1{2,}/g, '$1$1'), folded.replace(/(.)\1+/g, '$1')])];
      const corrected = forms.find((form) => known.has(form)) ?? forms.filter((form) => form.length >= 4).map(closest).find(Boolean);
      if (cache.size > 10_000) cache.clear();
      cache.set(folded, corrected);
      return corrected;
    },
  };
}

/** Optimal string alignment distance (adjacent swaps count as one edit), stopping early past `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previousPrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previousPrevious[j - 2] + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previousPrevious = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * Whether a and b are at most one edit apart — one letter changed, added or dropped, or two neighbours swapped: what
 * `editDistance(a, b, 1) <= 1` says, without its rows. Label words are checked against every word of every message.
 */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  const sameFrom = (i: number, j: number) => {
    while (i < a.length && j < b.length && a[i] === b[j]) (i++, j++);
    return i === a.length && j === b.length;
  };
  if (a.length > b.length) return sameFrom(at + 1, at);
  if (a.length < b.length) return sameFrom(at, at + 1);
  return sameFrom(at + 1, at + 1) || (a[at] === b[at + 1] && a[at + 1] === b[at] && sameFrom(at + 2, at + 2));
}

/** Whether b is a with one pair of neighbouring letters swapped ("trail" / "trial"). */
function isSwap(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let at = 0;
  while (at < a.length && a[at] === b[at]) at++;
  return at < a.length - 1 && a[at] === b[at + 1] && a[at + 1] === b[at] && a.slice(at + 2) === b.slice(at + 2);
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
