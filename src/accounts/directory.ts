import { isAdministrator } from '../policy';
import type { VerificationAnswers } from '../verification/answers';
import { normaliseAddress, normalisePhone, normaliseText, normaliseUserId } from '../verification/normalise';
import type { Account, DirectoryEntry } from './account';

/**
 * `accountId` on a rejection is the account the user ID belongs to, when it exists: used only to count the failure
 * against that account (ID-3), never told to the caller.
 */
export type DirectoryVerdict = { status: 'verified'; account: Account; isAdmin: boolean } | { status: 'rejected'; accountId?: string };

/**
 * Where accounts live: the embedded SQLite file, or the customer's CRM/billing API. Both answer the same questions.
 * A backend that cannot answer throws DirectoryUnavailableError; "no such user" is an answer (rejected), not an error.
 */
export interface AccountDirectory {
  verify(answers: VerificationAnswers): Promise<DirectoryVerdict>;
  findAccount(accountId: string): Promise<Account | undefined>;
  close(): Promise<void>;
}

export class DirectoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryUnavailableError';
  }
}

/** Stands in for an unknown user ID, so a miss costs the same comparisons as a hit with one wrong answer. */
const NOBODY: DirectoryEntry = {
  userId: 'nobody@invalid.invalid',
  isAdmin: false,
  account: {
    id: 'none',
    organisationName: '\u0000',
    contactName: '\u0000',
    phone: '+00000000000',
    postalAddress: { street: '\u0000', postalCode: '\u0000', town: '\u0000' },
    subscriptions: [],
  },
};

// A country at the end of an address is optional, and people name it in more than one way.
const TRAILING_COUNTRY = /[\s,]+(?:sverige|sweden|swe|se|uk|united kingdom|great britain|gb|england|storbritannien)\s*\.?$/iu;

/**
 * The ways people write the address on record: postal code before the town (Swedish) or after it (British), or
 * postal code and town first; the country left out.
 */
function acceptedAddressForms(address: Account['postalAddress']): string[] {
  const { street, postalCode, town } = address;
  return [`${street} ${postalCode} ${town}`, `${street} ${town} ${postalCode}`, `${postalCode} ${town} ${street}`].map(normaliseAddress);
}

function givenAddress(text: string): string {
  return normaliseAddress(text.trim().replace(TRAILING_COUNTRY, ''));
}

/**
 * ID-1, ID-2: all answers checked together, every comparison made whatever the others gave, so neither the verdict
 * nor the time it takes says which answer was wrong.
 */
export function judgeAnswers(answers: VerificationAnswers, entry: DirectoryEntry | undefined): DirectoryVerdict {
  const record = entry ?? NOBODY;
  const { account } = record;
  const given = givenAddress(answers.postalAddress);
  const checks = [
    entry !== undefined,
    normaliseUserId(answers.userId) === normaliseUserId(record.userId),
    normalisePhone(answers.phone) === account.phone,
    normaliseText(answers.contactName) === normaliseText(account.contactName),
    normaliseText(answers.organisationName) === normaliseText(account.organisationName),
    acceptedAddressForms(account.postalAddress).includes(given),
  ];
  const allMatch = checks.reduce((all, check) => all && check, true);
  if (!allMatch) return entry ? { status: 'rejected', accountId: entry.account.id } : { status: 'rejected' };
  return { status: 'verified', account, isAdmin: isAdministrator(answers.claimsAdmin, record.isAdmin) };
}
