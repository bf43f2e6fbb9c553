/**
 * Masks personal data in free text before it reaches a log line or a transcript: e-mail addresses keep their first
 * letter and domain (`a***@fjordfika.se`), phone numbers their country code, two leading and two trailing digits
 * (`+46 70*** **67`); street addresses, postal codes and the name in a self-introduction ("jag heter …") are
 * replaced. Applied to every string a log line carries, so a caller's answer pasted into an error message is masked
 * too. Answers to verification questions never get this far: they are withheld from transcripts altogether.
 */
const EMAIL = /([\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]*@([\p{L}\p{N}.-]+\.[\p{L}]{2,})/gu;
// A phone number: optional +, then 7–15 digits with the separators people type (spaces, dashes, dots, brackets).
const PHONE = /(?<![\p{L}\p{N}])(\+?\(?\d[\d\s().-]{5,18}\d)(?![\p{L}\p{N}])/gu;

export function maskEmail(email: string): string {
  // Most text has no address at all: the check is far cheaper than the Unicode-class pattern (every transcript line).
  if (!email.includes('@')) return email;
  return email.replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

export function maskPhone(raw: string): string {
  const international = raw.trim().startsWith('+');
  const digits = raw.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return raw;
  if (international) {
    const countryLength = digits.startsWith('1') || digits.startsWith('7') ? 1 : 2;
    const country = digits.slice(0, countryLength);
    const rest = digits.slice(countryLength);
    return `+${country} ${rest.slice(0, 2)}*** **${rest.slice(-2)}`;
  }
  return `${digits.slice(0, 3)}*** **${digits.slice(-2)}`;
}

// Digit runs that look like a phone number but are not personal: ISO dates and IPv4 addresses.
const NOT_A_PHONE = /^(?:\d{4}-\d{2}-\d{2}|\d{1,3}(?:\.\d{1,3}){3})$/;

// A street and number as people write it: "Storgatan 12", "skogsv. 5", "221 Baker Street".
const SWEDISH_STREET = /(?<![\p{L}])[\p{L}]+(?:gatan|gata|g\.|vägen|väg|v\.|gränd|torget|torg|stigen|backen|backe|allén|plan|leden|stråket)\s*\d+(?:\s?[A-Z])?(?![\p{L}\p{N}])/gu;
const ENGLISH_STREET = /(?<![\p{L}\p{N}])\d+[A-Za-z]?,?\s+(?:[\p{Lu}][\p{L}'-]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Way|Drive|Close|Court|Place|Square|Gardens|Crescent)\b\.?/gu;
// Postal codes: Swedish ("114 55 Stockholm", "11455 Stockholm": before a town, so a port or a count is left alone)
// and British ("NW1 6XE").
const SWEDISH_POSTCODE = /(?<![\p{L}\p{N}:/.-])\d{3}\s?\d{2}(?=,?\s+\p{Lu})/gu;
const BRITISH_POSTCODE = /(?<![\p{L}\p{N}])[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?![\p{L}\p{N}])/gu;
// A name where someone introduces themselves: "jag heter Anna Lindqvist", "I'm Anna Lindqvist".
const SELF_INTRODUCTION = /((?<![\p{L}])(?:[Jj]ag heter|[Mm]itt namn är|[Jj]ag är|[Dd]et är|[Mm]y name is|I'm|I am|[Tt]his is))\s+[\p{Lu}][\p{L}'-]+(?:\s+[\p{Lu}][\p{L}'-]+){0,2}/gu;

export function maskPersonalData(text: string): string {
  const emailsMasked = maskEmail(text);
  // Phone numbers, street numbers and postal codes all hold a digit (\d, as in their patterns): text without one, like
  // most of what the bot and its callers say, skips those five patterns.
  if (!/\d/.test(emailsMasked)) return emailsMasked.replace(SELF_INTRODUCTION, '$1 [name]');
  return emailsMasked
    .replace(PHONE, (match) => (NOT_A_PHONE.test(match) ? match : maskPhone(match)))
    .replace(SWEDISH_STREET, '[address]')
    .replace(ENGLISH_STREET, '[address]')
    .replace(BRITISH_POSTCODE, '[postcode]')
    .replace(SWEDISH_POSTCODE, '[postcode]')
    .replace(SELF_INTRODUCTION, '$1 [name]');
}

// Two or more capitalised words in a row ("Anna Lindqvist", "Karl-Erik Berg"): in a caller's own words, most likely a name.
const CAPITALISED_WORDS = /(?<![\p{L}])\p{Lu}\p{Ll}+(?:[ -]\p{Lu}\p{Ll}+)+(?![\p{L}])/gu;

/**
 * What a caller wrote, masked for keeping (a transcript line, a feedback comment): everything maskPersonalData masks,
 * and names too, which free text carries without any "my name is" ("ring Anna Lindqvist"). Too eager for the bot's own
 * words ("Small Business"), so only for the caller's.
 */
export function maskCallerText(text: string): string {
  return maskPersonalData(text).replace(CAPITALISED_WORDS, '[name]');
}
