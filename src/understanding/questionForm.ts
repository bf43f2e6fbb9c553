import type { Language } from '../i18n';
import { foldWord } from './typos';

/**
 * "Ligger datan kvar efter uppsägningen?", "Once cancelled, do the staff lose access?": a question ABOUT an account
 * action is no request for it, though its words are the action's. A request may be phrased as a question too ("kan ni
 * säga upp den?", "could you cancel it?") — those open with asking someone to do it. Any other question is asked about
 * before an account flow starts from it (issue 13: no question ever starts an action flow).
 *
 * Every pattern here reads folded text (lower case, no å/ä/ö marks: foldWord), so "nar senast maste vi saga upp"
 * is read as "när senast måste vi säga upp".
 */
const REQUEST_OPENINGS: Record<Language, RegExp> = {
  sv: /^(?:hej[,!]?\s+)?(?:kan|kunde|skulle|vill|far|gar\s+det\s+att|ar\s+det\s+mojligt\s+att|snalla|hjalp)(?![a-z])/,
  en: /^(?:hi[,!]?\s+|hello[,!]?\s+)?(?:can|could|would|will\s+you|please|pls|is\s+it\s+possible\s+to|i'd\s+like|i\s+want|we\s+want|help)(?![a-z])/,
};

/**
 * A sentence that asks for the action itself: an order ("Säg upp den.", "Delete all our data now"), or a wish or plea
 * whose verb is the action ("we want to cancel", "kan ni säga upp …", "please reactivate"). A courtesy around a question
 * ("Please advise.", "Behöver veta.") is none, nor is a wish refused ("vi vill inte återaktivera", "I don't want to cancel").
 */
const ACTION_VERB = {
  sv: String.raw`(?:saga\s+upp|sag\s+upp|avsluta|stanga|avbryta|radera|ta\s+bort|tomma|aterkalla|ateraktivera|aktivera|sla\s+pa|oppna)`,
  en: String.raw`(?:cancel|terminate|end|stop|close|shut|delete|wipe|erase|remove|purge|revoke|reactivate|restore|reinstate|turn|switch)`,
};
const ORDER: Record<Language, RegExp> = {
  sv: new RegExp(String.raw`(?:^\s*(?:(?:hej|hallo|snalla|vanligen)[,!]?\s+)?(?:sag\s+upp|avsluta|stang|avbryt|radera|ta\s+bort|tom|aterkalla|ateraktivera|aktivera|sla\s+pa|oppna)(?![a-z])|(?<!(?:inte|ej|aldrig)\s+(?:[a-z]+\s+)?)(?:vill|onskar|behover|snalla|vanligen|(?:kan|kunde|skulle)\s+(?:ni|du))\s+(?:(?!(?:inte|ej|aldrig)(?![a-z]))[a-z-]+\s+){0,3}?${ACTION_VERB.sv}(?![a-z]))`),
  en: new RegExp(String.raw`(?:^\s*(?:(?:hi|hello|please|pls|kindly)[,!]?\s+)?(?:cancel|terminate|end|stop|close|shut|delete|wipe|erase|remove|purge|revoke|reactivate|restore|reinstate|turn|switch)(?![a-z])|(?<!(?:not|n't|dont|never)\s+(?:[a-z]+\s+)?)(?:want|wanna|would\s+like|i'd\s+like|we'd\s+like|need|please|pls|kindly|(?:can|could|would|will)\s+you)\s+(?:(?!(?:not|never)(?![a-z]))[a-z'-]+\s+){0,3}?${ACTION_VERB.en}(?![a-z]))`),
};

/** Whether the message asks for the action itself somewhere (see ORDER): then it is a request, whatever else it asks. */
export function asksForTheAction(text: string, language: Language): boolean {
  return foldWord(text)
    .split(/(?<=[.!?,;:–—])\s+|\s+(?:och|and|men|but)\s+/u)
    .some((part) => ORDER[language].test(part.trim()));
}

/** Chat questions often go without a question mark: they open like one ("vad är snabb återkallelse egentligen"). */
const QUESTION_OPENINGS: Record<Language, RegExp> = {
  sv: /^(?:hej[,!]?\s+)?(?:vad|vilk[a-z]*|hur|nar|varfor|vem|undrar|om\s+(?:jag|vi|man|ni|det|den|var|vart|vara|de|provperioden)|stammer\s+det|ar\s+det\s+sant)(?![a-z])/,
  en: /^(?:hi[,!]?\s+|hello[,!]?\s+)?(?:what|which|how|when|why|who|wondering|i\s+wonder|if\s+(?:i|we|you|the|our|my|it|they)|is\s+(?:it|there)\s+true|are\s+there|is\s+there)(?![a-z])/,
};

export function isQuestionAbout(text: string, language: Language): boolean {
  const trimmed = foldWord(text.trim());
  const sentences = trimmed.split(/(?<=[.!?])\s+/u);
  const questions = sentences.filter((sentence) => sentence.endsWith('?'));
  if (questions.length === 0) return !/[.!]\s/u.test(trimmed) && QUESTION_OPENINGS[language].test(trimmed);
  // Another sentence may well be the request ("Säg upp den. Hur lång tid tar det?"), or only set the scene
  // ("Avtalet förnyas den 1:a. Hinner vi säga upp i tid?", "…straight away? we're still evaluating", "Please advise.").
  if (sentences.some((sentence) => !sentence.endsWith('?') && ORDER[language].test(sentence))) return false;
  return questions.every((question) => !REQUEST_OPENINGS[language].test(question));
}

/**
 * Questions that ask for a fact — how long, how far ahead, until when, what happens — and so never for the action
 * their words name: "Hur långt i förväg måste vi säga upp för att det inte ska förnyas?", "We don't want it back now,
 * but until when could we?". ("How do I cancel?" asks for the cancellation and is not among them.) The fact question
 * may open the message or the clause after a "men"/"but".
 */
const FACT_QUESTIONS: Record<Language, RegExp> = {
  sv: /(?:^|(?<![a-z])men\s+|[,;–—-]\s*)(?:hej[,!]?\s+)?(?:hur\s+(?:langt|lange|manga|lang|tidigt|sent)|nar\s+(?:senast|maste|behover|tar|gar|raderas|forsvinner|upphor|slutar)|fram\s+till\s+nar|till\s+nar|vad\s+hander|vad\s+blir\s+(?:det|foljderna)|vilka?\s+(?:avgift|foljd|regl)[a-z]*|forklara|beratta\s+(?:om|vad|hur|skillnaden))(?![a-z])/,
  en: /(?:^|(?<![a-z])but\s+|[,;–—-]\s*)(?:hi[,!]?\s+|hello[,!]?\s+)?(?:how\s+(?:long|far|many|much|soon|late|early)|when\s+(?:do|does|is|must|should|will|would|exactly)|until\s+when|till\s+when|what\s+happens|what\s+(?:are|is)\s+the\s+(?:fees?|notice|consequences?|deadline)|explain|tell\s+me\s+(?:about|what|how|the\s+difference))(?![a-z])/,
};

/**
 * Who may do it, whether one can do it oneself, by when, and hypotheticals — asked anywhere in the message: "Can I
 * cancel it myself online or do I have to go through you?", "vem får säga upp – måste det vara global admin?",
 * "senast när måste jag säga upp?", "Rent hypotetiskt: …".
 */
const WHO_HOW_WHEN_QUESTIONS: Record<Language, RegExp> = {
  sv: /(?<![a-z])(?:vem\s+(?:[a-z-]+\s+){0,4}?(?:far|kan|maste|ska|bor|har\s+(?:behorighet|ratt))|(?:kan|far)\s+(?:jag|man|vi)\s+(?:[a-z-]+\s+){0,4}(?:sjalv|sjalva|pa\s+egen\s+hand|online)|eller\s+(?:maste|behover)\s+(?:det|vi|jag|man)|senast\s+nar|vilket\s+datum|ar\s+det\s+(?:for\s+sent|kort)|hypotetiskt|i\s+teorin|teoretiskt)(?![a-z])/,
  en: /(?<![a-z])(?:who\s+(?:[a-z'-]+\s+){0,4}?(?:(?:is|are)\s+(?:allowed|authori[sz]ed|permitted|able)|can|may|must|should|has\s+to|do\s+(?:we|i))|(?:can|may)\s+(?:i|we)\s+(?:[a-z'-]+\s+){0,4}(?:myself|ourselves|online|on\s+my\s+own)|or\s+(?:do|does|must)\s+(?:i|we|it)\s+(?:have|need)\s+to|or\s+only\s+through|by\s+(?:which|what)\s+date|by\s+when|latest\s+date|(?:is\s+it|are\s+we|is\s+that)\s+too\s+late|hypothetically|in\s+theory|theoretically)(?![a-z])/,
};

/**
 * Where a subscription bought through someone else is ended — asked, with a question mark: "Vi köpte via en
 * återförsäljare. Kan vi säga upp hos er ändå?", "We bought through a reseller that's gone bust. Who do we cancel with?".
 */
const BOUGHT_ELSEWHERE: Record<Language, RegExp> = {
  sv: /(?<![a-z])(?:(?:kopt|kopte|koptes|tecknade|tecknat)\s+(?:[a-z-]+\s+){0,4}(?:via|genom|hos)|(?:via|genom)\s+(?:en|var|vara|var\s+it-?)?\s*(?:aterforsaljare|partner|leverantor)[a-z]*|hos\s+(?:dem|er)\s+(?:eller|anda)|eller\s+hos\s+(?:er|dem))(?![a-z])/,
  en: /(?<![a-z])(?:(?:bought|purchased|got)\s+(?:[a-z'-]+\s+){0,4}(?:through|via|from)|(?:through|via)\s+(?:a|an|our|the)\s+(?:reseller|partner|csp)|(?:with|through)\s+(?:you|them)\s+or|or\s+(?:with|through)\s+(?:you|them))(?![a-z])/,
};

/**
 * A question for a fact the answer to which is one of the policy's topics — unless the message also asks for the
 * action itself ("Säg upp vårt abonnemang och förklara sista fakturan", "Can you cancel it? How soon?"): then it is a
 * request, and the bot asks about it first where it must.
 */
export function asksForAFact(text: string, language: Language): boolean {
  const folded = foldWord(text.trim());
  const asks =
    FACT_QUESTIONS[language].test(folded) ||
    WHO_HOW_WHEN_QUESTIONS[language].test(folded) ||
    (folded.includes('?') && BOUGHT_ELSEWHERE[language].test(folded));
  return asks && !asksForTheAction(text, language);
}
