import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * The forms in which answers are compared. Names and addresses: Unicode NFC, case-folded, with every space and
 * punctuation mark removed, so "storgatan 12 , 11455 stockholm" equals "Storgatan 12, 114 55 Stockholm". Letters are
 * never stripped of their marks: Å, Ä and Ö are letters of their own in Swedish, so "Åsa" is not "Asa".
 */
export function normaliseText(text: string): string {
  return text.normalize('NFC').toLocaleLowerCase('sv').replace(/[^\p{L}\p{N}]+/gu, '');
}

/** A phone number in E.164 (`+46701234567`); numbers without a country code are read as Swedish. */
export function normalisePhone(text: string, defaultCountry: 'SE' = 'SE'): string | undefined {
  const parsed = parsePhoneNumberFromString(text.trim(), defaultCountry);
  return parsed?.isValid() ? parsed.number : undefined;
}

/** User IDs (UPNs) are e-mail-shaped and case-insensitive. */
export function normaliseUserId(text: string): string {
  return text.normalize('NFC').trim().toLowerCase();
}

// Abbreviations people write in addresses: "221 Baker St", "Storg. 12", "Skogsv. 5".
const ADDRESS_WORDS: Record<string, string> = { st: 'street', rd: 'road', ave: 'avenue', av: 'avenue', ln: 'lane', dr: 'drive', sq: 'square', pl: 'place' };

/** An address compared like any text, after the usual abbreviations are written out. */
export function normaliseAddress(text: string): string {
  const expanded = text
    .normalize('NFC')
    .replace(/(\p{L}{2,})g\.(?=\s|\d|$)/gu, '$1gatan')
    .replace(/(\p{L}{2,})v\.(?=\s|\d|$)/gu, '$1vägen')
    .split(/(\s+|,)/u)
    .map((word) => ADDRESS_WORDS[word.toLowerCase().replace(/\.$/, '')] ?? word)
    .join('');
  return normaliseText(expanded);
}
