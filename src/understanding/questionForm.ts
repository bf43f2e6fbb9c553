import type { Language } from '../i18n';

/**
 * "Ligger datan kvar efter uppsägningen?", "Once cancelled, do the staff lose access?": a question ABOUT an account
 * action is no request for it, though its words are the action's. A request may be phrased as a question too ("kan ni
 * säga upp den?", "could you cancel it?") — those open with asking someone to do it. Any other question is asked about
 * before an account flow starts from it (issue 13: no question ever starts an action flow).
 */
const REQUEST_OPENINGS: Record<Language, RegExp> = {
  sv: /^(?:hej[,!]?\s+)?(?:kan|kunde|skulle|vill|får|går\s+det\s+att|är\s+det\s+möjligt\s+att|snälla|hjälp)\b/iu,
  en: /^(?:hi[,!]?\s+|hello[,!]?\s+)?(?:can|could|would|will\s+you|please|pls|is\s+it\s+possible\s+to|i'd\s+like|i\s+want|we\s+want|help)\b/iu,
};

/** Chat questions often go without a question mark: they open like one ("vad är snabb återkallelse egentligen"). */
const QUESTION_OPENINGS: Record<Language, RegExp> = {
  sv: /^(?:hej[,!]?\s+)?(?:vad|vilk\w+|hur|när|varför|vem|undrar|om\s+(?:jag|vi|man|ni)|stämmer\s+det|är\s+det\s+sant)\b/iu,
  en: /^(?:hi[,!]?\s+|hello[,!]?\s+)?(?:what|which|how|when|why|who|wondering|i\s+wonder|if\s+(?:i|we|you)|is\s+(?:it|there)\s+true|are\s+there|is\s+there)\b/iu,
};

export function isQuestionAbout(text: string, language: Language): boolean {
  const trimmed = text.trim();
  if (!trimmed.endsWith('?')) return !/[.!]\s/u.test(trimmed) && QUESTION_OPENINGS[language].test(trimmed);
  // The last sentence is the question; an earlier one may well be the request ("Säg upp den. Hur lång tid tar det?").
  const sentences = trimmed.split(/(?<=[.!])\s+/u);
  if (sentences.length > 1) return false;
  return !REQUEST_OPENINGS[language].test(trimmed);
}
