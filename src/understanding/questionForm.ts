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

/** A sentence that asks for something to be done: a wish, a plea, or an order ("Cancel it. When will it stop?"). */
const REQUEST_IN_SENTENCE: Record<Language, RegExp> = {
  sv: /(?:^|[\s,])(?:vill|önskar|behöver|vänligen|snälla|säg\s+upp|avsluta|stäng|radera|ta\s+bort|återaktivera|slå\s+på|hjälp)(?![\p{L}])/iu,
  en: /(?:\b(?:want|wanna|would\s+like|i'd\s+like|we'd\s+like|need|please|pls|kindly)\b|^\s*(?:cancel|delete|wipe|remove|reactivate|restore|end|stop|close|terminate|turn|switch)\b)/iu,
};

/** Chat questions often go without a question mark: they open like one ("vad är snabb återkallelse egentligen"). */
const QUESTION_OPENINGS: Record<Language, RegExp> = {
  sv: /^(?:hej[,!]?\s+)?(?:vad|vilk\w+|hur|när|varför|vem|undrar|om\s+(?:jag|vi|man|ni|det|den|vår|vårt|våra|de|provperioden)|stämmer\s+det|är\s+det\s+sant)\b/iu,
  en: /^(?:hi[,!]?\s+|hello[,!]?\s+)?(?:what|which|how|when|why|who|wondering|i\s+wonder|if\s+(?:i|we|you|the|our|my|it|they)|is\s+(?:it|there)\s+true|are\s+there|is\s+there)\b/iu,
};

export function isQuestionAbout(text: string, language: Language): boolean {
  const trimmed = text.trim();
  const sentences = trimmed.split(/(?<=[.!?])\s+/u);
  const questions = sentences.filter((sentence) => sentence.endsWith('?'));
  if (questions.length === 0) return !/[.!]\s/u.test(trimmed) && QUESTION_OPENINGS[language].test(trimmed);
  // Another sentence may well be the request ("Säg upp den. Hur lång tid tar det?"), or only set the scene
  // ("Avtalet förnyas den 1:a. Hinner vi säga upp i tid?", "…straight away? we're still evaluating").
  if (sentences.some((sentence) => !sentence.endsWith('?') && REQUEST_IN_SENTENCE[language].test(sentence))) return false;
  return questions.every((question) => !REQUEST_OPENINGS[language].test(question));
}

/**
 * Questions that ask for a fact — how long, how far ahead, until when, what happens — and so never for the action
 * their words name: "Hur långt i förväg måste vi säga upp för att det inte ska förnyas?", "We don't want it back now,
 * but until when could we?". ("How do I cancel?" asks for the cancellation and is not among them.) The fact question
 * may open the message or the clause after a "men"/"but".
 */
const FACT_QUESTIONS: Record<Language, RegExp> = {
  sv: /(?:^|\bmen\s+|[,;–—-]\s*)(?:hej[,!]?\s+)?(?:hur\s+(?:långt|länge|många|lång|tidigt|sent)|när\s+(?:senast|måste|behöver|tar|går|raderas|försvinner|upphör|slutar)|fram\s+till\s+när|till\s+när|vad\s+händer|vad\s+blir\s+(?:det|följderna)|vilka?\s+(?:avgift|följd|regl)\w*)(?![\p{L}])/iu,
  en: /(?:^|\bbut\s+|[,;–—-]\s*)(?:hi[,!]?\s+|hello[,!]?\s+)?(?:how\s+(?:long|far|many|much|soon|late|early)|when\s+(?:do|does|is|must|should|will|would|exactly)|until\s+when|till\s+when|what\s+happens|what\s+(?:are|is)\s+the\s+(?:fees?|notice|consequences?|deadline))(?![\p{L}])/iu,
};

/**
 * Who may do it, and whether one can do it oneself: "Can I cancel it myself online or do I have to go through you?",
 * "vem får säga upp – måste det vara global admin?". Asked anywhere in the message.
 */
const WHO_AND_HOW_QUESTIONS: Record<Language, RegExp> = {
  sv: /(?<![\p{L}])(?:vem\s+(?:\S+\s+){0,4}?(?:får|kan|måste|ska|bör|har\s+(?:behörighet|rätt))|(?:kan|får)\s+(?:jag|man|vi)\s+(?:\S+\s+){0,4}(?:själv|själva|på\s+egen\s+hand|online)|eller\s+(?:måste|behöver)\s+(?:det|vi|jag|man)|förklara|berätta\s+(?:om|vad|hur|skillnaden)|hypotetiskt|i\s+teorin|teoretiskt)(?![\p{L}])/iu,
  en: /(?<![\p{L}])(?:who\s+(?:\S+\s+){0,4}?(?:(?:is|are)\s+(?:allowed|authori[sz]ed|permitted|able)|can|may|must|should|has\s+to|do\s+(?:we|i))|(?:can|may)\s+(?:i|we)\s+(?:\S+\s+){0,4}(?:myself|ourselves|online|on\s+my\s+own)|or\s+(?:do|does|must)\s+(?:i|we|it)\s+(?:have|need)\s+to|or\s+only\s+through|explain|tell\s+me\s+(?:about|what|how|the\s+difference)|hypothetically|in\s+theory|theoretically)(?![\p{L}])/iu,
};

/** By when to act: "senast när måste jag säga upp?", "I'd like to know by which date I'd need to act". */
const DEADLINE_QUESTIONS: Record<Language, RegExp> = {
  sv: /(?<![\p{L}])(?:senast\s+när|när\s+senast|vilket\s+datum|hur\s+sent|är\s+det\s+(?:för\s+sent|kört))(?![\p{L}])/iu,
  en: /(?<![\p{L}])(?:by\s+(?:which|what)\s+date|by\s+when|latest\s+date|what\s+date|how\s+late|too\s+late)(?![\p{L}])/iu,
};

/** Where a subscription bought through someone else is ended — asked, with a question mark: "Kan vi säga upp hos er ändå?". */
const CHANNEL: Record<Language, RegExp> = {
  sv: /(?<![\p{L}])(?:återförsäljar\w*|leverantör\w*|partner\w*|(?:köpt|köpte|köptes|tecknade)\s+(?:\S+\s+){0,4}(?:via|genom|hos)|hos\s+(?:dem|er)\s+(?:eller|ändå)|eller\s+hos\s+(?:er|dem))(?![\p{L}])/iu,
  en: /(?<![\p{L}])(?:resellers?|partners?|csp|(?:bought|purchased|got)\s+(?:\S+\s+){0,4}(?:through|via|from)|(?:with|through)\s+(?:you|them)\s+or|or\s+(?:with|through)\s+(?:you|them))(?![\p{L}])/iu,
};

export function asksForAFact(text: string, language: Language): boolean {
  return (
    FACT_QUESTIONS[language].test(text.trim()) ||
    WHO_AND_HOW_QUESTIONS[language].test(text) ||
    DEADLINE_QUESTIONS[language].test(text) ||
    (text.includes('?') && CHANNEL[language].test(text))
  );
}
