import { randomInt } from 'node:crypto';

// No 0/O, 1/I/L or 5/S: a reference is read aloud on the phone and typed from a screenshot.
const LETTERS_AND_DIGITS = '2346789ABCDEFGHJKMNPQRTUVWXYZ';
const DIGITS = '2346789';

const pick = (alphabet: string, count: number) => Array.from({ length: count }, () => alphabet[randomInt(alphabet.length)]).join('');

/**
 * A case reference such as `CX-7K3F-92`: short and unambiguous to read aloud, about 25 bits of randomness, so the
 * case log retries on the rare collision.
 */
export function newCaseReference(): string {
  return `CX-${pick(LETTERS_AND_DIGITS, 4)}-${pick(DIGITS, 2)}`;
}

export const CASE_REFERENCE = /^CX-[2346789ABCDEFGHJKMNPQRTUVWXYZ]{4}-[2346789]{2}$/;
