import type { PostgresDatabase } from '../storage/postgresDatabase';
import type { VerificationAnswers } from '../verification/answers';
import { normaliseUserId } from '../verification/normalise';
import type { Account } from './account';
import { accountFromRows, type AccountRow, type SubscriptionRow } from './accountRows';
import { demoDirectory } from './demoAccounts';
import { DirectoryUnavailableError, judgeAnswers, type AccountDirectory } from './directory';

/**
 * An account's columns with its subscriptions beside them (as JSON, in the order of their IDs): one query, one round
 * trip. The subscriptions' columns are text, integers, booleans and JSONB, which JSON carries as pg would parse them.
 */
const ACCOUNT_COLUMNS = `a.*, COALESCE((SELECT json_agg(s ORDER BY s.id) FROM subscriptions s WHERE s.account_id = a.id), '[]'::json) AS subscriptions`;

type AccountWithSubscriptions = AccountRow & { subscriptions: SubscriptionRow[] };

/** The embedded directory in PostgreSQL: the same accounts, seen by every instance. */
export function createPostgresDirectory(db: PostgresDatabase): AccountDirectory {
  const loadAccount = async (accountId: string): Promise<Account | undefined> => {
    const { rows } = await db.query<AccountWithSubscriptions>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1`, [accountId]);
    return rows[0] && accountFromRows(rows[0], rows[0].subscriptions);
  };

  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw new DirectoryUnavailableError('the account directory in PostgreSQL could not be read', { cause: error });
    }
  };

  return {
    async verify(answers: VerificationAnswers) {
      return guard(async () => {
        // The user and their account together: one round trip where a lookup and then the account took two.
        const { rows } = await db.query<AccountWithSubscriptions & { user_id: string; is_admin: boolean }>(
          `SELECT u.user_id, u.is_admin, ${ACCOUNT_COLUMNS} FROM account_users u JOIN accounts a ON a.id = u.account_id WHERE u.user_id = $1`,
          [normaliseUserId(answers.userId)],
        );
        const found = rows[0];
        return judgeAnswers(answers, found ? { userId: found.user_id, isAdmin: found.is_admin, account: accountFromRows(found, found.subscriptions) } : undefined);
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

/**
 * Seeds the demo accounts into an empty PostgreSQL directory; one that has accounts is left alone. Instances starting
 * together wait for each other (the table lock), so the accounts are seeded once.
 */
export async function seedDemoAccountsInPostgres(db: PostgresDatabase, now: Date): Promise<boolean> {
  return db.transaction(async (client) => {
    await client.query('LOCK TABLE accounts IN EXCLUSIVE MODE');
    const { rows } = await client.query<{ n: string }>('SELECT COUNT(*) AS n FROM accounts');
    if (Number(rows[0].n) > 0) return false;
    for (const { account, users, subscription } of demoDirectory(now)) {
      const { street, postalCode, town, country } = account.postalAddress;
      await client.query('INSERT INTO accounts (id, organisation_name, contact_name, phone, street, postal_code, town, country) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        account.id,
        account.organisationName,
        account.contactName,
        account.phone,
        street,
        postalCode,
        town,
        country ?? null,
      ]);
      for (const user of users) await client.query('INSERT INTO account_users (user_id, account_id, is_admin) VALUES ($1, $2, $3)', [user.userId, account.id, user.isAdmin]);
      const f = subscription.facts;
      await client.query(
        `INSERT INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew,
           has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        [subscription.id, account.id, f.plan, f.kind, f.channel, f.billing, f.assignedLicenses, f.termEnd, f.autoRenew, f.hasPaymentMethod, JSON.stringify(f.customDomains), f.status, f.cancelledAt, f.dataDeletionAt],
      );
    }
    return true;
  });
}
