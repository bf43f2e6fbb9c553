import { findPhoneNumbersInText } from 'libphonenumber-js';
import { z } from 'zod';
import type { VerificationItem } from '../policy';
import { normalisePhone, normaliseUserId } from './normalise';

/** What a caller has told us so far, each item already checked for its *form* (not yet against any record). */
export interface VerificationAnswers {
  userId: string;
  phone: string;
  contactName: string;
  organisationName: string;
  postalAddress: string;
  /** ID-2: what the caller says; the account record must agree. */
  claimsAdmin: boolean;
}

export type PartialAnswers = Partial<VerificationAnswers>;

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}{2,}/u;
// UPNs may carry Swedish letters (åsa.öberg@…); zod's unicode pattern accepts them.
const emailSchema = z.email({ pattern: z.regexes.unicodeEmail });

/** A user ID (UPN) written anywhere in the message: "I'm anna.lindqvist@fjordfika.se" → the address. */
export function parseUserId(text: string): string | undefined {
  const found = text.normalize('NFC').match(EMAIL)?.[0];
  if (!found) return undefined;
  const candidate = normaliseUserId(found);
  return emailSchema.safeParse(candidate).success ? candidate : undefined;
}

/** A valid phone number anywhere in the message, in E.164. */
export function parsePhone(text: string): string | undefined {
  const whole = normalisePhone(text.normalize('NFC').replace(/^[^\d+(]+/u, ''));
  if (whole) return whole;
  const found = findPhoneNumbersInText(text, 'SE').find((match) => match.number.isValid());
  return found?.number.number;
}

const LEAD_IN = /^(?:(?:i am|i'm|im|my name is|it's|it is|the name is|jag heter|jag är|det är|namnet är|hon heter|han heter|kontaktpersonen är|our contact is|contact person is|the contact is)\s+)/iu;

// Words that make a phrase a courtesy or a reply, never a name ("tack så mycket", "thank you", "vet inte").
const NOT_NAME_WORDS = new Set(
  'tack så mycket bra hej hejsan ja nej okej ok vet inte jag du vi det är thanks thank you very much hello hi yes no okay dont know i we the is'.split(' '),
);

/** A person's first and last name: at least two words of letters (hyphens and apostrophes allowed), not a courtesy. */
export function parsePersonName(text: string): string | undefined {
  const name = text.normalize('NFC').trim().replace(LEAD_IN, '').replace(/[.!]+$/u, '').replace(/\s+/gu, ' ');
  if (!/^[\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*(?: [\p{L}\p{M}]+(?:['’-][\p{L}\p{M}]+)*)+$/u.test(name) || name.length > 100) return undefined;
  return name.toLowerCase().split(' ').every((word) => NOT_NAME_WORDS.has(word)) ? undefined : name;
}

/** Answers that are never an organisation's name, however they are written. */
const NOT_ORGANISATION_NAMES = new Set(['ja', 'nej', 'yes', 'no', 'ok', 'okej', 'okay', 'japp', 'nä', 'jo', 'vet inte', "don't know", 'dont know']);

/** An organisation's name: letters, digits and the usual company punctuation, with at least two letters. */
export function parseOrganisationName(text: string): string | undefined {
  const name = text.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (NOT_ORGANISATION_NAMES.has(name.toLocaleLowerCase('sv').replace(/[.!]+$/u, ''))) return undefined;
  const ok = name.length <= 160 && /^[\p{L}\p{N}][\p{L}\p{M}\p{N} &.,'’()\/-]*$/u.test(name) && (name.match(/\p{L}/gu)?.length ?? 0) >= 2;
  return ok ? name : undefined;
}

// Swedish postal codes (114 55), British (NW1 6XE) and other 4–5 digit codes.
const POSTAL_CODE = /(?:^|[\s,])(?:\d{3}\s?\d{2}|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4,5})(?=$|[\s,])/iu;

/** A full postal address: a street with its number, a postal code and a town, in any usual order. */
export function parsePostalAddress(text: string): string | undefined {
  const address = text.normalize('NFC').trim().replace(/\s+/gu, ' ');
  if (address.length > 200 || !POSTAL_CODE.test(address)) return undefined;
  const withoutCode = address.replace(POSTAL_CODE, ' ');
  const hasStreetNumber = /\p{L}{2,}\.?\s*\d+\s?\p{L}?\b|\b\d+\p{L}?\s+\p{L}{2,}/u.test(withoutCode);
  const words = withoutCode.match(/\p{L}{2,}/gu) ?? [];
  return hasStreetNumber && words.length >= 2 ? address : undefined;
}

export const ITEM_PARSERS: Record<VerificationItem, (text: string) => string | undefined> = {
  userId: parseUserId,
  phone: (text) => parsePhone(text.replace(EMAIL, ' ')),
  contactName: parsePersonName,
  organisationName: parseOrganisationName,
  postalAddress: parsePostalAddress,
};
