import { findNumbers, parsePhoneNumberFromString, type CountryCode, type PhoneNumber } from 'libphonenumber-js';
import type { VerificationItem } from '../policy';
import { parseOrganisationName, parsePersonName, parsePostalAddress, parseUserId, type PartialAnswers } from '../verification/answers';
import { editDistance, foldWord, withinOneEdit } from './typos';

/**
 * Every verification detail a caller may type in one message, in any order, labelled or not, in Swedish or English:
 * "Jag är anna.lindqvist@fjordfika.se, 070-123 45 67, kontaktperson Anna Lindqvist, Fjordfika AB, Storgatan 12,
 * 114 55 Stockholm, och jag är admin". Each value is checked for its form by the same parsers as a single answer;
 * what is picked out is also cut out of the text (`rest`) before anything reads the caller's wish in it.
 */
export type DetailItem = VerificationItem | 'claimsAdmin';

export interface Span {
  start: number;
  end: number;
}

export interface ExtractedDetails {
  answers: PartialAnswers;
  /** Where the details and their labels were, in the NFC text. */
  spans: Span[];
  /** The text without details and labels: what the caller wants. */
  rest: string;
}

export interface ExtractionOptions {
  /** The caller's country from the channel locale (`en-GB` → GB): a number without a country code is read there first. */
  region?: CountryCode;
  /** The question being answered: a bare name or organisation name without a label counts as its answer. */
  expecting?: VerificationItem | 'admin';
}

/** Regions tried for a number without a country code, after the caller's own. */
const FALLBACK_REGIONS: CountryCode[] = ['SE', 'GB'];

/** The caller's likely country from a channel locale (`sv-SE`, `en-GB`, `sv`). */
export function regionOfLocale(locale: string | undefined): CountryCode {
  const country = locale?.match(/^[a-z]{2,3}[-_]([A-Z]{2})$/i)?.[1]?.toUpperCase();
  if (country === 'GB' || country === 'UK') return 'GB';
  if (country && country !== 'US') return country as CountryCode;
  return 'SE';
}

// ---------------------------------------------------------------------------------------------------------------
// Labels. Words are compared folded (lower case, no accents: "e-post" → "e-post"), and a label word of five letters
// or more may carry one typo ("telefn", "organistion"): callers misspell labels, never their own details.

interface Label {
  item: Exclude<DetailItem, 'claimsAdmin'>;
  words: string[];
}

// Folded once here: every token of every message is compared with every label.
const label = (item: Label['item'], ...phrases: string[]): Label[] => phrases.map((phrase) => ({ item, words: phrase.split(' ').map(foldWord) }));

const LABELS: Label[] = [
  ...label('userId', 'användar-id', 'användarid', 'användar id', 'användarnamn', 'inloggning', 'inlogg', 'login', 'log in', 'user id', 'userid', 'user-id', 'username', 'user name', 'sign-in', 'sign in', 'e-post', 'epost', 'e-postadress', 'e-mail', 'email', 'mejl', 'mail', 'upn', 'konto', 'account'),
  ...label('phone', 'telefonnummer', 'telefon', 'tel', 'tfn', 'mobilnummer', 'mobil', 'mobiltelefon', 'phone number', 'phone', 'telephone', 'tel no', 'mobile number', 'mobile', 'mob', 'phone no', 'tel nr', 'telefonnr', 'telnr', 'mobilnr', 'direct line', 'nås på', 'reach me on', 'reach me at', 'ring mig på', 'call me on', 'mitt nummer', 'my number', 'numret', 'number'),
  ...label('contactName', 'kontaktperson', 'kontaktpersonen', 'kontaktpersons namn', 'kontakt', 'namn', 'namnet', 'mitt namn är', 'jag heter', 'contact person', 'contact name', 'contact', 'name', 'full name', 'my name is', 'your name'),
  ...label('organisationName', 'organisation', 'organisationen', 'organisationsnamn', 'organisationens namn', 'organization', 'organisation name', 'organization name', 'org', 'org name', 'företag', 'företaget', 'företagsnamn', 'företagets namn', 'bolag', 'bolaget', 'bolagsnamn', 'firma', 'firman', 'company', 'company name', 'business name', 'trading name', 'practice name', 'shop name', 'store name', 'butikens namn', 'ringer från', 'calling from', 'jobbar på', 'arbetar på', 'work at', 'work for', 'i work at', 'i work for'),
  ...label('postalAddress', 'adress', 'adressen', 'postadress', 'postadressen', 'gatuadress', 'besöksadress', 'address', 'postal address', 'post address', 'mailing address', 'street address', 'ligger på', 'sitter på', 'located at', 'based at'),
];

interface Token {
  text: string;
  folded: string;
  start: number;
  end: number;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu)) {
    const start = match.index ?? 0;
    tokens.push({ text: match[0], folded: foldWord(match[0]), start, end: start + match[0].length });
  }
  return tokens;
}

/**
 * A label word as typed: exact, or one typo away in a word of five letters or more (four when a colon follows) — and
 * not a word with a digit in it. The edit distance first: it rules out nearly every pair at once by their lengths.
 */
const sameWord = (typed: string, word: string, colonFollows = false) =>
  typed === word || (word.length >= (colonFollows ? 4 : 5) && withinOneEdit(typed, word) && !/\d/.test(typed));

interface LabelHit {
  item: Label['item'];
  start: number;
  /** Where the value may begin: after the label and its separator (":", "är", "is", "-"). */
  valueStart: number;
}

const LABELS_LONGEST_FIRST = [...LABELS].sort((a, b) => b.words.length - a.words.length);

/**
 * The first of `labels` whose words start at token `i`. Plain loops: every label is tried at every word of every
 * message, and a callback per label was a fortieth of what a turn allocates.
 */
function labelAt<L extends { words: readonly string[] }>(labels: readonly L[], tokens: Token[], i: number, colonAfter: boolean[]): L | undefined {
  for (let l = 0; l < labels.length; l++) {
    const { words } = labels[l];
    let k = 0;
    while (k < words.length && i + k < tokens.length && sameWord(tokens[i + k].folded, words[k], k === words.length - 1 && colonAfter[i + k])) k++;
    if (k === words.length) return labels[l];
  }
  return undefined;
}

/** A colon right where a word ends (spaces between allowed), read in place rather than on the rest of the text cut off. */
const COLON_AT = /\s*:/uy;

/** Every label in the text, longest first where two overlap. */
function findLabels(text: string, tokens: Token[]): LabelHit[] {
  const hits: LabelHit[] = [];
  const sorted = LABELS_LONGEST_FIRST;
  const used = new Set<number>();
  // Whether a colon follows each word, read once per word (not once per label tried on it).
  const colonAfter = tokens.map((token) => {
    COLON_AT.lastIndex = token.end;
    return COLON_AT.test(text);
  });
  for (let i = 0; i < tokens.length; i++) {
    if (used.has(i)) continue;
    const found = labelAt(sorted, tokens, i, colonAfter);
    if (!found) continue;
    // "org.nr", "tel.nr": an abbreviation inside another word is no label.
    if (/^\.\p{L}/u.test(text.slice(tokens[i + found.words.length - 1].end))) continue;
    // "Highland Tweed Company Ltd": a capitalised word inside a capitalised name is part of the name, not a label.
    const previous = tokens[i - 1];
    if (previous && /^\p{Lu}/u.test(tokens[i].text) && /^\p{Lu}/u.test(previous.text) && /^[^\S\n]+$/u.test(text.slice(previous.end, tokens[i].start))) continue;
    // "our invoice address to Storgatan 14": the address is read, but "invoice address" stays, for it says what the
    // message is about (an invoice's address, not the caller's own).
    if (found.item === 'postalAddress' && previous && /^(?:invoice|billing|faktura|fakturerings|leverans|delivery)$/u.test(previous.folded)) continue;
    for (let k = 0; k < found.words.length; k++) used.add(i + k);
    const end = tokens[i + found.words.length - 1].end;
    const separator = text.slice(end).match(/^\s*(?:[:=–-]|(?:är|is|heter|is called|called|named|lyder)(?![\p{L}]))?\s*[:=]?\s*(?:(?:nummer|number|nr|namn|name)(?![\p{L}])\s*[:=]?\s*)?/iu)?.[0] ?? '';
    hits.push({ item: found.item, start: tokens[i].start, valueStart: end + separator.length });
  }
  return hits;
}

// ---------------------------------------------------------------------------------------------------------------
// Patterns for values found without a label.

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/gu;
/** Words before an e-mail address that say it is someone else's, not the caller's sign-in. */
const OTHER_MAILBOX = /(?<![\p{L}])(?:kopia|kopierar|cc|copy|copying|skicka|send|faktur\w*|invoice\w*|ekonomi|billing|accounts|fakturor|till|to|konsult\w*|contractor|leverantör\w*|supplier|kollega|colleague|chef|boss|manager)(?![\p{L}])[^@\n]{0,30}$/iu;
const USER_ID_LABEL = /(?<![\p{L}])(?:användar-?\s?id|användarnamn|användare|inlogg\w*|log\s?in|sign[-\s]?in|user[-\s]?id|user\s?name|upn|jag är|i'm|i am|im|mitt konto|my account|my own login|min egen|som gäller|my login)(?![\p{L}])[^@\n]{0,15}$/iu;

const LEGAL_FORMS = String.raw`(?:AB|Ab|HB|KB|Ek\.\s?för\.?|ek\.\s?för\.?|ekonomisk förening|Ltd\.?|Limited|Inc\.?|GmbH|Oy|Oyj|AS|ASA|A\/S|ApS|plc|PLC|LLP|LLC|Corp\.?|BV|NV|SA|AG)`;
/** One to five words of a name (capitalised, or "&", "och", "and", "of") ending in a legal form: "Nordkust Logistik AB". */
/** A word of a name: letters and digits, an inner dot only before more letters ("St.Eriks"), never the full stop after it. */
const NAME_WORD = String.raw`[\p{L}\p{N}'’-]*(?:\.(?=[\p{L}\p{N}])[\p{L}\p{N}'’-]*)*`;
const ONLY_LEGAL_FORM = new RegExp(`^${LEGAL_FORMS}$`, 'u');
/** A legal form anywhere: a message without one holds no organisation by its legal form (ORGANISATION is not run). */
const ANY_LEGAL_FORM = new RegExp(LEGAL_FORMS, 'u');
const ORGANISATION = new RegExp(String.raw`(?<![\p{L}\p{N}])((?:\p{Lu}${NAME_WORD}|\p{N}+\p{L}${NAME_WORD})(?:[^\S\n]+(?:[\p{Lu}\p{N}]${NAME_WORD}|&|och|and|i(?=[^\S\n]+\p{Lu})))*?[^\S\n]+${LEGAL_FORMS}(?:[^\S\n]+${LEGAL_FORMS})?)(?![\p{L}\p{N}])`, 'gu');

const SE_POSTCODE = String.raw`\d{3}\s?\d{2}`;
const UK_POSTCODE = String.raw`[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}`;
const TOWN = String.raw`[\p{Lu}][\p{L}'’-]+(?:[^\S\n-]?-?(?:[\p{Lu}][\p{L}'’-]+|upon|on|by|in|i|på|an|am)(?![\p{L}]))*`;
const STREET_WORD = String.raw`[\p{L}](?:[\p{L}'’.-]|:(?=\p{L}))*`;
const STREET_NAME = String.raw`${STREET_WORD}(?:[^\S\n]${STREET_WORD}){0,3}`;
/** A flat or floor between the street and the postcode: "lgh 1102", "3 tr", "2nd Floor". */
const UNIT = String.raw`(?:,?[^\S\n]+(?:lgh\.?\s?\d{3,4}|lägenhet\s\d+|\d\s?tr\.?|\d+\s?trappor|vån(?:ing)?\s?\d+|\d+(?:st|nd|rd|th)\sFloor|Floor\s\d+|Flat\s\d+\w?))?`;
const HOUSE = String.raw`\d{1,4}(?:\s?[A-Za-z](?![\p{L}]))?(?:-\d{1,4})?`;
const COUNTRY = String.raw`(?:[,\s]+(?:Sverige|Sweden|UK|United Kingdom|England|Great Britain|GB|Storbritannien|Scotland|Wales|Norway|Norge|Denmark|Danmark|Finland|Suomi|Germany|Tyskland|Deutschland))?`;

const COUNTRY_AFTER = new RegExp(`^${COUNTRY}`, 'u');
const COUNTRY_AT_END = new RegExp(`${COUNTRY}$`, 'u');

/** Street and number, then postcode and town either way round (Swedish), or town and postcode (British). */
const ADDRESS_PATTERNS = [
  // Storgatan 12, 114 55 Stockholm · Storgatan 12 114 55 Stockholm · Drottninggatan 41, Stockholm 111 51
  new RegExp(String.raw`(?<![\p{L}\p{N}])(${STREET_NAME}\s${HOUSE}${UNIT}),?\s+(?:${SE_POSTCODE},?\s+${TOWN}|${TOWN},?\s+${SE_POSTCODE})(?![\p{L}\p{N}])`, 'gu'),
  // 221B Baker Street, London NW1 6XE · 12 King's Road, SW3 4TR London · 3 Mill Lane, Cambridge, CB2 1RX
  new RegExp(String.raw`(?<![\p{L}\p{N}])(\d{1,4}[A-Za-z]?\s${STREET_NAME}${UNIT}),?\s+(?:${TOWN},?\s+${UK_POSTCODE}|${UK_POSTCODE},?\s+${TOWN})(?![\p{L}\p{N}])`, 'gu'),
  // Norway and Denmark (4 digits), Finland and Germany (5): Strandgaten 5, 5013 Bergen · Vesterbrogade 10, 1620 København V
  new RegExp(String.raw`(?<![\p{L}\p{N}])(${STREET_NAME}\s${HOUSE}${UNIT}),?\s+\d{4,5},?\s+${TOWN}(?:[^\S\n][A-ZÆØÅ](?![\p{L}]))?(?![\p{L}\p{N}])`, 'gu'),
];

// Longest first: "administrator" must not match as "admin" + "istrator".
const ADMIN_WORD = String.raw`(?:global administratör|global admin|administrativ kontakt|administratören|administratör|adminstratör|administrators?|adminstrator|admins?|admn|admni|amdin|adnim|admim|owner of the account|account owner|kontoägare)(?![\p{L}])`;
const ARTICLE = String.raw`(?:(?:one of (?:the|our)(?: two| three| four)?|en av (?:de|våra)(?: två| tre| fyra)?|en av|en|an?|the|IT|it-|global|globala?|kontots|account|ägare och|owner and)\s+)*`;
const ADMIN_NO = new RegExp(
  String.raw`(?<![\p{L}])(?:(?:jag är|i am|i'm|im)\s+(?:inte|not|ej|no)\s+${ARTICLE}${ADMIN_WORD}|(?:inte|not|ej|no)\s+${ARTICLE}${ADMIN_WORD}|${ADMIN_WORD}\s*[:=?–-]*\s*(?:nej|no|inte)(?![\p{L}]))`,
  'iu',
);
const ADMIN_YES = new RegExp(
  String.raw`(?<![\p{L}])(?:(?:jag är|jag e|i am|i'm|im|är|am|och är|and am)\s+(?:också\s+|also\s+)?${ARTICLE}${ADMIN_WORD}|(?:ja|yes|yep|japp)[,\s]+(?:jag är\s+|i am\s+|i'm\s+)?${ARTICLE}${ADMIN_WORD}|${ADMIN_WORD}\s*[:=?–-]*\s*(?:ja|yes|japp|yep|jo)(?![\p{L}])|${ADMIN_WORD}\s+(?:för|of|for|at|på|hos|i)(?![\p{L}])|som\s+${ARTICLE}${ADMIN_WORD}|as\s+${ARTICLE}${ADMIN_WORD}|\(\s*${ADMIN_WORD}\s*\)|(?:har|have|has|med|with)\s+(?:full\s+)?admin(?:istratörs)?[-\s]?(?:behörighet|rättigheter|rights|access|privileges|roll|role)|admin here|admin här|(?:klubbens|föreningens|företagets|organisationens|kontots|skolans|the club's|the company's|our)\s+${ADMIN_WORD})|(?:^|[,\n;|.(/–—])\s*${ARTICLE}${ADMIN_WORD}\s*(?=$|[,.\n;|)/–—])`,
  'iu',
);
/** Both, for finding every place an admin claim is made (to cut it from the wish). */
const ADMIN_PHRASES = [ADMIN_NO, ADMIN_YES].map((pattern) => new RegExp(pattern.source, 'giu'));
/**
 * What every admin phrase holds (each of ADMIN_WORD's words, and the bare "admin" of ADMIN_YES), read with the same
 * flags: a message without any of them has no admin phrase, and the two long patterns are not run on it ("ja", "säg upp").
 */
const MAY_NAME_ADMIN = /adm|amdin|adnim|owner|ägare/iu;

/** Capitalised words of a name without a legal form: "Reid's Coffee House", "Möllans Frisör", "Brown & Kaur". */
const ORGANISATION_WORDS = String.raw`\p{Lu}[\p{L}\p{N}'’-]*(?:[^\S\n]+(?:\p{Lu}[\p{L}\p{N}'’-]*|(?:&|och|and)(?=[^\S\n]+\p{Lu})))*`;
/** What introduces an organisation: "vi på", "we're", "I work at", "office manager at", "admin för". */
const ORGANISATION_CONTEXT = String.raw`(?<![\p{L}])(?:[Vv]i[^\S\n]+(?:på|är|från)|[Ww]e(?:'re|[^\S\n]+are)|[Ww]e're|[Jj]obbar[^\S\n]+(?:på|för|hos)|[Aa]rbetar[^\S\n]+(?:på|för|hos)|[Dd]river|[Ää]ger|I[^\S\n]+(?:work|run|own)(?:[^\S\n]+(?:at|for))?|manager[^\S\n]+at|ansvarig[^\S\n]+(?:på|för|hos)|chef[^\S\n]+(?:på|för|hos)|(?:admin|administratör|administrator)[^\S\n]+(?:at|på|hos)|[Rr]inger[^\S\n]+från|[Cc]alling[^\S\n]+from|here[^\S\n]+at|(?:[Mm]y|[Oo]ur)[^\S\n]+(?:shop|store|bakery|restaurant|practice|clinic|salon|café|cafe|company|business|firm|school|club|charity|hotel|studio)(?:[^\S\n]+is|[^\S\n]*[:,])?|(?:[Vv]år|[Mm]in|[Vv]årt|[Mm]itt)[^\S\n]+(?:förening|butik|restaurang|salong|klinik|förskola|skola|klubb|firma|verksamhet|företag|bageri|kafé|hotell|studio)(?:[^\S\n]+heter|[^\S\n]*[:,])?|(?:[Pp]ractice|[Ss]hop|[Ss]tore|[Ss]alon|[Rr]estaurant|[Cc]linic|[Ss]chool|[Cc]lub|[Ff]örskola|[Bb]utik|[Rr]estaurang|[Ss]along|[Kk]linik|[Ss]kola|[Ff]örening|[Kk]lubb)[^\S\n]*[:–-]|[Ff]öreningen|[Kk]lubben|[Ff]örskolan|[Rr]epresenterar|[Rr]epresent(?:ing)?)`;

/** A signature's job title line ("Office Manager", "IT-ansvarig", "VD"). */
const JOB_TITLE = /(?<![\p{L}])(?:manager|ansvarig|chef|coordinator|secretary|director|officer|owner|ägare|vd|ceo|cfo|cto|it|admin\w*|ekonomi\w*|kontor\w*|office|assistent|assistant|konsult|consultant|head|lead|partner|föreståndare|rektor|ordförande|kassör|sekreterare)(?![\p{L}])/iu;

/** What follows a context ("vi på", "we're the"): the organisation's capitalised words. */
const ORGANISATION_AFTER = String.raw`[^\S\n]+(?:the[^\S\n]+)?(${ORGANISATION_WORDS})`;
const ORGANISATION_IN_CONTEXT = new RegExp(String.raw`(?:${ORGANISATION_CONTEXT})${ORGANISATION_AFTER}`, 'gu');
const ONLY_ORGANISATION_WORDS = new RegExp(`^${ORGANISATION_WORDS}$`, 'u');

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Numbers that look like phone numbers but are not: organisation numbers, dates, invoice and customer numbers. */
const NOT_A_PHONE = /\b(?:\d{6}-\d{4}|\d{4}-\d{2}-\d{2}|\d{1,2}\/\d{1,2}\/\d{2,4})\b/gu;
const NUMBER_LABEL_NOT_PHONE = /(?<![\p{L}])(?:org\w*\.?\s?nr|organisationsnummer|org\.? ?no|company (?:no|number)|registration|registered in [\p{L} ]+ no|reg\.? ?no|no|nr|faktura\w*|invoice|kundnummer|customer (?:no|number)|order\w*|ärende\w*|case|referens|reference|ref|avtal\w*|contract|vat|moms|cvr|y-tunnus)(?![\p{L}])\W{0,4}$/iu;

// ---------------------------------------------------------------------------------------------------------------

/** Picks every detail it can recognise out of `text`. Nothing is guessed: a value must have the form of its item. */
export function extractDetails(input: string, options: ExtractionOptions = {}): ExtractedDetails {
  // One message is read several times in a turn (does it answer the question? what does it answer? what is left for
  // the wish?): each reading after the first is the first one's, frozen so no reader can change it for the next.
  const key = `${options.region ?? ''}\u0000${options.expecting ?? ''}\u0000${input}`;
  const known = recentReadings.get(key);
  if (known) return known;
  const read = Object.freeze(readMessage(input, options));
  Object.freeze(read.answers);
  Object.freeze(read.spans);
  if (recentReadings.size >= RECENT_READINGS) recentReadings.delete(recentReadings.keys().next().value as string);
  recentReadings.set(key, read);
  return read;
}

/** Readings kept: those of the last few messages, more than one turn reads (a pure function's results, by its arguments). */
const RECENT_READINGS = 64;
const recentReadings = new Map<string, ExtractedDetails>();

function readMessage(input: string, options: ExtractionOptions): ExtractedDetails {
  const text = input.normalize('NFC');
  // A message typed all in lower case ("jonas berglund, berglunds el & vvs ab, kyrkogatan 11 802 50 gävle") is read
  // with capitals where names would have them; what is picked out is then given back as the caller typed it.
  // Only a message that plainly carries details (an e-mail address, a number) is read so: "ja det stämmer ändå" is not.
  if (!/\p{Lu}/u.test(text) && /@|\d{3}/u.test(text)) return asTyped(text, readDetails(titleCased(text), { ...options, retyped: true }));
  return readDetails(text, options);
}

function titleCased(text: string): string {
  const capitalisedWords = text.replace(/(?<![\p{L}\p{N}@.'’-])\p{Ll}/gu, (letter) => letter.toUpperCase());
  // Legal forms are written in capitals; "as" is too common a word to be read as one.
  return capitalisedWords.replace(/(?<![\p{L}])(Ab|Hb|Kb|Llp|Llc|Plc|Ltd|Gmbh|Aps)(?![\p{L}])/gu, (form) => (form === 'Ltd' ? form : form.toUpperCase()));
}

/** The details read from a re-capitalised copy, with each text value as it stands in the original. */
function asTyped(original: string, found: ExtractedDetails): ExtractedDetails {
  const answers: PartialAnswers = { ...found.answers };
  for (const key of ['contactName', 'organisationName', 'postalAddress'] as const) {
    const value = answers[key];
    if (value === undefined) continue;
    const at = original.toLocaleLowerCase('sv').indexOf(value.toLocaleLowerCase('sv'));
    if (at >= 0) answers[key] = original.slice(at, at + value.length);
  }
  return { ...found, answers, rest: found.spans.length > 0 ? maskSpans(original, found.spans).replace(/\s+/gu, ' ').trim() : original.trim() };
}

function readDetails(text: string, options: ExtractionOptions & { retyped?: boolean }): ExtractedDetails {
  const taken: Span[] = [];
  const answers: PartialAnswers = {};
  const isFree = (start: number, end: number) => taken.every((span) => end <= span.start || start >= span.end);
  const take = (start: number, end: number) => taken.push({ start, end });

  // 1. E-mail addresses: the caller's sign-in is the labelled one, or the first that is not said to be someone else's.
  const emails = [...text.matchAll(EMAIL)].map((m) => ({ value: m[0].replace(/[.]+$/u, ''), start: m.index ?? 0 }));
  const before = (start: number) => text.slice(Math.max(0, start - 40), start);
  const signIn = emails.find((e) => USER_ID_LABEL.test(before(e.start))) ?? emails.find((e) => !OTHER_MAILBOX.test(before(e.start))) ?? (emails.length === 1 ? emails[0] : undefined);
  if (signIn) {
    const userId = parseUserId(signIn.value);
    if (userId) answers.userId = userId;
  }
  for (const e of emails) take(e.start, e.start + e.value.length);

  // 2. Labels: "telefon: …", "kontaktperson är …", "Address - …". A labelled value is read up to the next label.
  const tokens = tokenize(text);
  const labels = findLabels(text, tokens).filter((hit) => isFree(hit.start, hit.valueStart));
  // Found once: they end a labelled value here, and are taken as the admin claim below (step 6).
  const admin = adminPhrases(text);
  const boundaries = [...labels.map((hit) => hit.start), ...admin.map((span) => span.start)].sort((a, b) => a - b);
  for (const hit of labels) {
    const next = boundaries.find((at) => at >= hit.valueStart) ?? text.length;
    const raw = text.slice(hit.valueStart, next);
    // A value ends at a line break or a sentence break, and before a closing "och"/"and".
    const value = raw.split(/\n|;|\.\s+(?=\p{Lu})|\s+(?:och|and)\s*$/u)[0].replace(/[\s,.;:–-]+$/u, '').replace(/\s+(?:och|and)$/iu, '');
    // "update our company name and VAT number": a label followed by "and" names a thing, it gives no value.
    if (!value || /^(?:och|and|or|eller)(?![\p{L}])/iu.test(value)) continue;
    const found = readLabelled(hit.item, value, options);
    if (!found || answers[hit.item] !== undefined) continue;
    const at = hit.valueStart + value.indexOf(found.raw);
    if (!isFree(at, at + found.raw.length)) continue;
    Object.assign(answers, { [hit.item]: found.value });
    take(hit.start, at + found.raw.length);
  }
  // A label whose item was found elsewhere, or written as a label ("Telefon:"), is still cut from the wish; a word that
  // only looks like one ("vem i företaget får…", "customer service") stays.
  for (const hit of labels) {
    const written = /[:=–-]\s*$/u.test(text.slice(hit.start, hit.valueStart));
    if (isFree(hit.start, hit.valueStart) && (written || answers[hit.item] !== undefined)) take(hit.start, hit.valueStart);
  }

  // 3. Phone numbers, outside e-mails and numbers that are something else.
  if (answers.phone === undefined) {
    const masked = maskSpans(text, [...taken, ...[...text.matchAll(NOT_A_PHONE)].map((m) => ({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length }))]);
    const phone = findPhone(masked, options.region);
    if (phone.found) {
      answers.phone = phone.found.number;
      take(phone.found.start, phone.found.end);
    }
  }

  // 4. An organisation by its legal form.
  if (answers.organisationName === undefined && ANY_LEGAL_FORM.test(text)) {
    for (const m of text.matchAll(ORGANISATION)) {
      const start = m.index ?? 0;
      const trimmed = trimOrganisation(m[1]);
      const at = start + m[1].indexOf(trimmed);
      if (!isFree(at, at + trimmed.length) || !parseOrganisationName(trimmed)) continue;
      answers.organisationName = trimmed;
      take(at, at + trimmed.length);
      break;
    }
  }

  // 5. A postal address by its shape: every shape has a house number (\d, as in the patterns).
  if (answers.postalAddress === undefined && /\d/.test(text)) {
    outer: for (const pattern of ADDRESS_PATTERNS) {
      for (const m of text.matchAll(pattern)) {
        const start = m.index ?? 0;
        const candidate = trimAddressStart(m[0]);
        const at = start + m[0].indexOf(candidate);
        if (!isFree(at, at + candidate.length) || !parsePostalAddress(candidate)) continue;
        answers.postalAddress = candidate;
        take(at, at + candidate.length);
        const country = text.slice(at + candidate.length).match(COUNTRY_AFTER)?.[0] ?? '';
        if (country) take(at + candidate.length, at + candidate.length + country.length);
        break outer;
      }
    }
  }

  // 6. The admin claim.
  for (const span of admin) if (isFree(span.start, span.end)) take(span.start, span.end);
  const claim = adminClaim(text);
  if (claim !== undefined) answers.claimsAdmin = claim;

  // 7. A person's name: after a lead-in ("jag heter", "I'm"), or a list item that is nothing but a name (not while the
  // organisation is asked for: "Solbacken Förskola" looks like a name too).
  if (answers.contactName === undefined) {
    // Not in a re-capitalised message either: there every phrase looks like a name ("Säga Upp Nu").
    const name = findName(text, taken, options.expecting === 'contactName', options.expecting !== 'organisationName' && !options.retyped);
    if (name) {
      answers.contactName = name.value;
      take(name.start, name.end);
    }
  }

  // 7b. An organisation without a legal form, by what is said around it: "Siobhan O'Neill from Riverside Dental
  // Practice", "vi på Solgläntans Camping", "we're the Harbour View Hotel in Salford".
  if (answers.organisationName === undefined) {
    const town = answers.postalAddress?.match(/(\p{Lu}[\p{L}-]+)\s*$/u)?.[1];
    // Case matters here: the organisation's words are capitalised, the words around them are not. The pattern after
    // the caller's own name is the only one built per message.
    const byName = answers.contactName ? new RegExp(String.raw`${escapeRegExp(answers.contactName)}[,\s]+(?:från|på|hos|at|from|of|with)${ORGANISATION_AFTER}`, 'gu') : undefined;
    const matches = [...(byName ? text.matchAll(byName) : []), ...text.matchAll(ORGANISATION_IN_CONTEXT)];
    for (const m of matches) {
      const name = m[1];
      const at = (m.index ?? 0) + m[0].length - name.length;
      if (!isFree(at, at + name.length) || name === town || !parseOrganisationName(name) || name.split(/\s+/u).length > 6) continue;
      answers.organisationName = name;
      take(at, at + name.length);
      break;
    }
  }

  // 7c. A signature: the organisation is the line after the name (and a job title, if any).
  if (answers.organisationName === undefined && answers.contactName) {
    const lines = text.split('\n');
    const nameLine = lines.findIndex((line) => line.trim().startsWith(answers.contactName as string));
    for (const line of nameLine >= 0 ? lines.slice(nameLine + 1, nameLine + 3) : []) {
      const candidate = line.trim();
      if (JOB_TITLE.test(candidate) || candidate.includes('|')) continue;
      const at = text.indexOf(candidate);
      if (at >= 0 && isFree(at, at + candidate.length) && ONLY_ORGANISATION_WORDS.test(candidate) && parseOrganisationName(candidate)) {
        answers.organisationName = candidate;
        take(at, at + candidate.length);
      }
      break;
    }
  }

  // 8. What is left, at its own question: a bare organisation name ("Solbacken Förskola").
  if (options.expecting === 'organisationName' && answers.organisationName === undefined) {
    const segment = segments(text, taken).find((s) => parseOrganisationName(s.text) && /\p{Lu}/u.test(s.text));
    if (segment) {
      answers.organisationName = segment.text;
      take(segment.start, segment.end);
    }
  }

  const spans = merge(taken);
  return { answers, spans, rest: maskSpans(text, spans).replace(/\s+/gu, ' ').trim() };
}

/** A labelled value read as its item, and the part of the text it came from. */
function readLabelled(item: Label['item'], value: string, options: ExtractionOptions): { value: string; raw: string } | undefined {
  switch (item) {
    case 'userId': {
      const email = value.match(EMAIL)?.[0];
      const parsed = email ? parseUserId(email) : undefined;
      return parsed && email ? { value: parsed, raw: email } : undefined;
    }
    case 'phone': {
      const phone = findPhone(value, options.region).found;
      return phone ? { value: phone.number, raw: value.slice(phone.start, phone.end) } : undefined;
    }
    case 'contactName': {
      const words = value.split(/[,(]/u)[0].trim().split(/\s+/u);
      // The longest run of up to four name-shaped words from the start: "Anna Lindqvist som är admin" → "Anna Lindqvist".
      for (let n = Math.min(4, words.length); n >= 2; n--) {
        const candidate = words.slice(0, n).join(' ');
        const name = parsePersonName(candidate);
        // Names are written with capitals; a lower-case one counts only as the answer to its own question.
        if (!capitalised(candidate) && options.expecting !== 'contactName') continue;
        if (name && words.slice(0, n).every((word) => /^[\p{L}][\p{L}'’-]*$/u.test(word) && !NOT_IN_NAMES.has(foldWord(word)))) return { value: name, raw: candidate };
      }
      return undefined;
    }
    case 'organisationName': {
      const candidate = trimOrganisation(value.split(/,(?!\s*(?:Inc|Ltd|LLC)(?![\p{L}]))|\s*\(|\s(?:in|i|at|på|based|located|from|från|hos|och|and|som|which|men|but)\s(?=\p{Lu}|\p{Ll})/u)[0].trim());
      const name = parseOrganisationName(candidate);
      // A name is mostly letters: "556677-8899" after "org" is a number, not an organisation.
      const letters = candidate.match(/\p{L}/gu)?.length ?? 0;
      // Written with a capital, as names are ("vem i företaget får säga upp" has no organisation in it).
      const shaped = (/^[\p{Lu}\p{N}]/u.test(candidate) || options.expecting === 'organisationName') && !ONLY_LEGAL_FORM.test(candidate);
      return name && shaped && letters * 2 > candidate.replace(/\s/gu, '').length ? { value: name, raw: candidate } : undefined;
    }
    case 'postalAddress': {
      // The address's own shape inside the value ("Adressen till Fjordfika AB är Storgatan 12, …"), else the whole value.
      for (const pattern of ADDRESS_PATTERNS) {
        const shaped = [...value.matchAll(pattern)][0];
        if (shaped) {
          const candidate = trimAddressStart(shaped[0]);
          if (parsePostalAddress(candidate)) return { value: candidate, raw: candidate };
        }
      }
      const withoutCountry = value.replace(COUNTRY_AT_END, '').trim();
      return /^[\p{Lu}\d]/u.test(withoutCountry) && parsePostalAddress(withoutCountry) ? { value: withoutCountry, raw: withoutCountry } : undefined;
    }
  }
}

/** Words that never belong to a person's name here: the start of what comes after one. */
const NOT_IN_NAMES = new Set(
  ('och and som who is är från from på at i in vid har have of for för hos med with phone telefon tel mobil organisation company företag adress address admin administrator administratör jag ja yes nej no tack thanks hej hello hi org ab ltd mvh regards here här about om re we\'re were we vi our vår vårt i\'m it\'s its the club klubb förening föreningen bakery bageri school skola förskola library team group kayak hotel hotell' +
    // A wish's words at the start of a message, or shouted, are capitalised too ("Radera ALLT.", "REAL PERSON").
    ' radera säg säga avsluta stäng stoppa återaktivera cancel delete stop end terminate wipe remove revoke reactivate restore allt all everything snälla please nu now idag today real riktig person human människa')
    .split(' ')
    .map(foldWord),
);

function trimOrganisation(name: string): string {
  // "på Fjordfika AB" → "Fjordfika AB": lead-in words are not part of the name.
  return name.replace(/^(?:(?:jag|i|we|vi|från|from|på|at|for|för|och|and|the|company|företaget|bolaget|organisationen)\s+)+/iu, '').trim();
}

function trimAddressStart(address: string): string {
  // "bor på Storgatan 12" → "Storgatan 12": lead-in words are not part of the street.
  const trimmed = address.replace(/^(?:(?:på|i|at|on|in|vid|till|to|adress|address|postadress|billing|invoice|faktura|fakturerings|faktureringsadress(?:en)?|fakturaadress(?:en)?|är|is)\s+)+/iu, '').trim();
  // "Fjordfika AB är Storgatan 12, …", "uppdatera faktureringsadressen till Storgatan 12, …": what comes before
  // "är"/"is"/"på", or an address word's "till"/"to", is not part of the street ("Gården till Ekbacken 3" is one).
  return trimmed.replace(/^.*\s(?:är|is|på|at|(?:\p{L}*adress\p{L}*|address)\s+(?:till|to)|ligger på|sitter på)\s+(?=[\p{L}][\p{L}'’.-]*(?:\s[\p{L}][\p{L}'’.-]*)*\s\d)/iu, '').trim();
}

function findPhone(text: string, region: CountryCode | undefined): { found?: { number: string; start: number; end: number } } {
  const regions = [...new Set([...(region ? [region] : []), ...FALLBACK_REGIONS])];
  const candidates = new Map<string, { start: number; end: number }>();
  // A phone number never spans a comma, a semicolon or a line: each piece is searched on its own, so "0161 496 0742,
  // 8 Mill Road" does not run into the house number.
  // Only a piece with a "+" or a "0" (the check on each match below) and more than one digit (of any script, as the
  // library reads them) can hold a number written as one: the library's search, dear where it meets what is no number
  // ("Storgatan 12", "114 55", "Bolaget 0 AB"), is not run on the others — most messages, with no digit at all.
  const mayHoldNumber = (piece: string) => /[+0]/.test(piece) && (piece.match(/\p{Nd}/gu)?.length ?? 0) >= 2;
  const pieces = [...text.matchAll(/[^,;\n/|]+/gu)].filter((m) => mayHoldNumber(m[0])).map((m) => ({ text: m[0], offset: m.index ?? 0 }));
  for (const tryRegion of regions) {
    // POSSIBLE, not just VALID: a number in a series the library does not list is still a number the caller wrote.
    const matches = pieces.flatMap((piece) =>
      findNumbers(piece.text, { defaultCountry: tryRegion, leniency: 'POSSIBLE', v2: true } as unknown as { defaultCountry: CountryCode; v2: true }).map((m) => ({ startsAt: m.startsAt + piece.offset, endsAt: m.endsAt + piece.offset })),
    );
    for (const match of matches) {
      const written = text.slice(match.startsAt, match.endsAt);
      // Written as a phone number is: a leading +, 00 or 0 (or a bracketed area code); a bare run of digits is not.
      if (!/^(?:\+|00|0|\(0)/.test(written) || NUMBER_LABEL_NOT_PHONE.test(text.slice(Math.max(0, match.startsAt - 30), match.startsAt))) continue;
      if (!candidates.has(written)) candidates.set(written, { start: match.startsAt, end: match.endsAt });
    }
  }
  for (const [written, at] of [...candidates].sort((a, b) => a[1].start - b[1].start)) {
    if (/^(?:\+|00)/.test(written)) {
      const parsed = parsePhoneNumberFromString(written.replace(/^00/, '+'));
      if (parsed && (parsed.isValid() || fullLengthPossible(parsed))) return { found: { number: parsed.number, ...at } };
      continue;
    }
    // Valid numbers first; a number of the right length in a range the library does not list (new or reserved series,
    // such as the UK's 07700 900xxx) still counts when nothing valid is there.
    const parsedIn = regions.map((r) => parsePhoneNumberFromString(written, r));
    const validOnes = parsedIn.filter((p) => p?.isValid());
    const valid = validOnes.length > 0 ? validOnes : parsedIn.filter((p) => p !== undefined && fullLengthPossible(p) && p.country === (region ?? 'SE'));
    const own = region ? valid.find((p) => p?.country === region) : undefined;
    const distinct = [...new Set(valid.map((p) => p?.number))];
    if (own) return { found: { number: own.number, ...at } };
    if (distinct.length === 1) return { found: { number: distinct[0] as string, ...at } };
    // Valid in more than one of the caller's likely countries: not guessed; the question asks again, with a +country example.
    if (distinct.length > 1) return {};
  }
  return {};
}

/** A number the library does not list but that is as long as a subscriber number is (not "070-123"). */
function fullLengthPossible(phone: PhoneNumber): boolean {
  return phone.isPossible() && phone.nationalNumber.length >= 9;
}

function adminPhrases(text: string): Span[] {
  const spans: Span[] = [];
  if (!MAY_NAME_ADMIN.test(text)) return spans;
  for (const pattern of ADMIN_PHRASES) {
    for (const m of text.matchAll(pattern)) spans.push({ start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
  }
  return spans;
}

/** "jag är admin" → true, "I'm not the admin" → false; nothing said → undefined. */
function adminClaim(text: string): boolean | undefined {
  // Both phrases hold one of MAY_NAME_ADMIN's words: without one, neither long pattern is run.
  if (MAY_NAME_ADMIN.test(text)) {
    if (ADMIN_NO.test(text)) return false;
    if (ADMIN_YES.test(text)) return true;
  }
  // A labelled line with a misspelt label: "Admininistratör: ja", "Adminstrator - no".
  for (const m of text.matchAll(/^[^\S\n]*[-•*]?[^\S\n]*([\p{L}-]{4,})[^\S\n]*[:–-][^\S\n]*(ja|nej|yes|no)(?![\p{L}])/gimu)) {
    const label = foldWord(m[1]);
    if (['admin', 'administrator', 'administrator'].some((word) => label.startsWith('adm') && editDistance(label, word, 3) <= 3)) return /^(?:ja|yes)$/iu.test(m[2]);
  }
  return undefined;
}

const NAME_LEAD_IN = /(?:^|[\s,.;:!-])(?:jag heter|mitt namn är|hon heter|han heter|jag är|my name is|i'm|i am|im|this is|it's|it is|det här är|det är|here is|här är|regards|mvh|hälsningar)[,:]?\s+/giu;

function findName(text: string, taken: Span[], expected: boolean, bare: boolean): { value: string; start: number; end: number } | undefined {
  const free = (start: number, end: number) => taken.every((span) => end <= span.start || start >= span.end);
  // After a lead-in: "Jag heter Anna Lindqvist och …".
  for (const m of text.matchAll(NAME_LEAD_IN)) {
    const start = (m.index ?? 0) + m[0].length;
    // After "jag heter" or "my name is" a name may be typed in lower case; after "I'm" or "det är" it must look like one.
    const strong = /heter|namn|name/iu.test(m[0]);
    const found = readLabelled('contactName', text.slice(start).split(/\n|[;.](?:\s|$)/u)[0], strong ? { expecting: 'contactName' } : {});
    if (found && free(start, start + found.raw.length) && (strong || capitalised(found.raw))) return { value: found.value, start, end: start + found.raw.length };
  }
  // A list item that is only a name: "Anna Lindqvist, anna@…, 070…", "Erik Berg här".
  for (const whole of bare ? segments(text, taken) : []) {
    // "Erik Berg här", "Siobhan O'Neill from Riverside Dental Practice": the name is what comes before.
    const beforeConnector = whole.text.split(/\s(?:från|from|of|at|på|hos|för|for|with|med|in|i)(?:\s|$)/u)[0];
    const trimmed = beforeConnector.replace(/(?:\s+(?:här|here|speaking|talking|heter jag|är det|heter|jag))+$/iu, '');
    const segment = { ...whole, text: trimmed, end: whole.start + trimmed.length };
    const name = parsePersonName(segment.text);
    const words = segment.text.split(' ');
    if (!name || words.length > 4 || words.some((word) => NOT_IN_NAMES.has(foldWord(word)))) continue;
    if (expected || capitalised(segment.text)) return { value: name, start: segment.start, end: segment.end };
  }
  return undefined;
}

/** Written as a name is: every word capitalised, but for particles ("Rhys ap Gwilym", "Ludwig van Dijk"). */
const capitalised = (text: string) => text.split(/\s+/u).every((word, i) => /^\p{Lu}/u.test(word) || (i > 0 && NAME_PARTICLES.has(word)));
const NAME_PARTICLES = new Set(['ap', 'af', 'von', 'van', 'de', 'der', 'den', 'la', 'le', 'du', 'di', 'da', 'bin', 'al', 'av']);

/** The free parts of the text between details, split where lists split: commas, line breaks, "och"/"and", sentence ends. */
function segments(text: string, taken: Span[]): Array<{ text: string; start: number; end: number }> {
  // Blanked with NUL, so a detail taken out separates the words around it instead of joining them.
  const masked = maskSpans(text, taken, '\u0000').replace(/\s-\s/gu, ' \u0000 ');
  const found: Array<{ text: string; start: number; end: number }> = [];
  for (const m of masked.matchAll(/[^,;:\n.!?/|()—–\u0000]+/gu)) {
    const piece = m[0];
    for (const part of piece.matchAll(/(?:(?!\s(?:och|and)\s).)+/giu)) {
      const raw = part[0];
      const trimmed = raw.trim().replace(/^(?:och|and)\s+/iu, '');
      if (!trimmed) continue;
      const start = (m.index ?? 0) + (part.index ?? 0) + raw.indexOf(trimmed);
      found.push({ text: trimmed, start, end: start + trimmed.length });
    }
  }
  return found;
}

/** The text with the spans blanked out by `fill` (same length, so positions still match). */
function maskSpans(text: string, spans: Span[], fill = ' '): string {
  let out = '';
  let at = 0;
  for (const span of merge(spans)) {
    if (span.start < at) continue;
    out += text.slice(at, span.start) + fill.repeat(span.end - span.start);
    at = span.end;
  }
  return out + text.slice(at);
}

function merge(spans: Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}
