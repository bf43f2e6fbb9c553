import type { SqliteDatabase } from '../storage/sqlite';
import type { VerificationAnswers } from '../verification/answers';
import { normaliseUserId } from '../verification/normalise';
import { accountSchema, type Account } from './account';
import { DirectoryUnavailableError, judgeAnswers, type AccountDirectory } from './directory';

interface AccountRow {
  id: string;
  organisation_name: string;
  contact_name: string;
  phone: string;
  street: string;
  postal_code: string;
  town: string;
  country: string | null;
}

interface SubscriptionRow {
  id: string;
  plan: string;
  kind: string;
  channel: string;
  billing: string;
  assigned_licenses: number;
  term_end: string;
  auto_renew: number;
  has_payment_method: number;
  custom_domains: string;
  status: string;
  cancelled_at: string | null;
  data_deletion_at: string | null;
}

/** The embedded directory: accounts in the SQLite file (seeded with the demo accounts on first start). */
export function createSqliteDirectory(db: SqliteDatabase): AccountDirectory {
  const userById = db.prepare<[string], { user_id: string; account_id: string; is_admin: number }>(
    'SELECT user_id, account_id, is_admin FROM account_users WHERE user_id = ?',
  );
  const accountById = db.prepare<[string], AccountRow>('SELECT * FROM accounts WHERE id = ?');
  const subscriptionsOf = db.prepare<[string], SubscriptionRow>('SELECT * FROM subscriptions WHERE account_id = ? ORDER BY id');

  const loadAccount = (accountId: string): Account | undefined => {
    const row = accountById.get(accountId);
    if (!row) return undefined;
    return accountSchema.parse({
      id: row.id,
      organisationName: row.organisation_name,
      contactName: row.contact_name,
      phone: row.phone,
      postalAddress: { street: row.street, postalCode: row.postal_code, town: row.town, country: row.country ?? undefined },
      subscriptions: subscriptionsOf.all(accountId).map((s) => ({
        id: s.id,
        facts: {
          plan: s.plan,
          kind: s.kind,
          channel: s.channel,
          billing: s.billing,
          assignedLicenses: s.assigned_licenses,
          termEnd: s.term_end,
          autoRenew: s.auto_renew === 1,
          hasPaymentMethod: s.has_payment_method === 1,
          customDomains: JSON.parse(s.custom_domains),
          status: s.status,
          cancelledAt: s.cancelled_at,
          dataDeletionAt: s.data_deletion_at,
        },
      })),
    });
  };

  const guard = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      throw new DirectoryUnavailableError('the embedded account directory could not be read', { cause: error });
    }
  };

  return {
    async verify(answers: VerificationAnswers) {
      return guard(() => {
        const user = userById.get(normaliseUserId(answers.userId));
        const account = user ? loadAccount(user.account_id) : undefined;
        const entry = user && account ? { userId: user.user_id, isAdmin: user.is_admin === 1, account } : undefined;
        return judgeAnswers(answers, entry);
      });
    },
    async findAccount(accountId: string) {
      return guard(() => loadAccount(accountId));
    },
    async close() {
      // The database belongs to whoever opened it.
    },
  };
}
