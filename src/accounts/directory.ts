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

/**
 * The ways people write the address on record: postal code before the town (Swedish) or after it (British), with or
 * without the country.
 */
function acceptedAddressForms(address: Account['postalAddress']): string[] {
  const { street, postalCode, town, country } = address;
  const forms = [`${street} ${postalCode} ${town}`, `${street} ${town} ${postalCode}`];
  return [...forms, ...(country ? forms.map((form) => `${form} ${country}`) : [])].map(normaliseAddress);
}

/**
 * ID-1, ID-2: all answers checked together, every comparison made whatever the others gave, so neither the verdict
 * nor the time it takes says which answer was wrong.
 */
export function judgeAnswers(answers: VerificationAnswers, entry: DirectoryEntry | undefined): DirectoryVerdict {
  const record = entry ?? NOBODY;
  const { account } = record;
  const given = normaliseAddress(answers.postalAddress);
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
  return { status: 'verified', account, isAdmin: answers.claimsAdmin && record.isAdmin };
}
