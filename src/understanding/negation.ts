import type { Language } from '../i18n';

/**
 * "Vi vill inte säga upp, vi vill bara att Teams ska funka", "I'm not cancelling yet, I just want to understand how it
 * works", "nej, inte avsluta – vi vill ha tjänsten igen": a clause that says NOT to cancel, delete or end is the opposite
 * of a request, and a recogniser trained on requests reads its words as one. The clause is taken out before the
 * message is recognised, so what is left (what the caller does want) decides; that a clause was taken out is reported,
 * so an account flow read from the rest is asked about first, never started on it alone.
 */
const ACTION_WORDS: Record<Language, string> = {
  sv: String.raw`(?:säga\s+upp|säger\s+upp|sägas\s+upp|sagt\s+upp|säga|avsluta\w*|avbryta|sluta|radera\w*|ta\s+bort|(?:snabb\s*)?återkall\w*|återaktiv\w*|uppgrader\w*|stänga\w*|upphöra|uppsägning\w*)`,
  en: String.raw`(?:cancel\w*|end(?:ing)?|stop\w*|terminat\w*|delet\w*|wip\w*|revok\w*|clos\w*|quit\w*|remov\w*|reactivat\w*|upgrad\w*|refund\w*)`,
};
const NEGATIONS: Record<Language, string> = {
  sv: String.raw`(?:inte|ej|icke|aldrig|inga|inget|ingen)`,
  en: String.raw`(?:not|don't|dont|do\s+not|doesn't|won't|wont|never|isn't|aren't|am\s+not|no\s+need\s+to)`,
};
/** Where the negated clause ends: a comma or stop, or the turn to what is wanted instead. */
const CLAUSE_END: Record<Language, string> = {
  sv: String.raw`(?=[,.;:!?–—-]|\s+(?:utan|bara|men|vi\s+vill|jag\s+vill)\s|$)`,
  en: String.raw`(?=[,.;:!?–—-]|\s+(?:but|just|only|instead|we\s+want|i\s+want|we'd|i'd)\s|$)`,
};

/**
 * A renewal is not among the action words: "vi vill inte att det förnyas", "don't renew it" ask for a cancellation.
 * What is wanted NOT done can also come first ("Radera inget, …", "delete nothing") or be a bare noun ("no
 * reactivation needed", "ingen snabbåterkallelse").
 */
const ACTION_THEN_NOTHING: Record<Language, string> = {
  sv: String.raw`(?<![\p{L}])${ACTION_WORDS.sv}\s+(?:inget|ingenting|något\s+alls)(?![\p{L}])[^,.;:!?–—-]*?${CLAUSE_END.sv}`,
  en: String.raw`(?<![\p{L}])(?:${ACTION_WORDS.en}\s+nothing|no\s+(?:fast\s+)?${ACTION_WORDS.en}(?:\s+[\p{L}]+)?\s+(?:needed|necessary|required|wanted|please))(?![\p{L}])[^,.;:!?–—-]*?${CLAUSE_END.en}`,
};

const patterns = Object.fromEntries(
  (['sv', 'en'] as const).map((language) => [
    language,
    // The negation, up to three words, the action word, and the rest of that clause ("inte säga upp än").
    new RegExp(String.raw`(?<![\p{L}])${NEGATIONS[language]}(?:\s+[\p{L}'’]+){0,3}?\s+${ACTION_WORDS[language]}(?![\p{L}])[^,.;:!?–—-]*?${CLAUSE_END[language]}|${ACTION_THEN_NOTHING[language]}`, 'giu'),
  ]),
) as Record<Language, RegExp>;

export function withoutNegatedActions(text: string, language: Language): { text: string; negated: boolean } {
  const pattern = patterns[language];
  pattern.lastIndex = 0;
  const rest = text.replace(pattern, ' ');
  return rest === text ? { text, negated: false } : { text: rest.replace(/\s+/g, ' ').trim(), negated: true };
}
