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

export function isQuestionAbout(text: string, language: Language): boolean {
  const trimmed = text.trim();
  if (!trimmed.endsWith('?')) return false;
  // The last sentence is the question; an earlier one may well be the request ("Säg upp den. Hur lång tid tar det?").
  const sentences = trimmed.split(/(?<=[.!])\s+/u);
  if (sentences.length > 1) return false;
  return !REQUEST_OPENINGS[language].test(trimmed);
}
