import type { SqliteDatabase } from '../storage/sqlite';
import { inOneTransaction } from '../storage/sqliteCommits';
import type { VerificationAnswers } from '../verification/answers';
import { normaliseUserId } from '../verification/normalise';
import type { Account } from './account';
import { accountFromRows, type AccountRow, type SubscriptionRow } from './accountRows';
import { DirectoryUnavailableError, judgeAnswers, type AccountDirectory } from './directory';

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
    return accountFromRows(row, subscriptionsOf.all(accountId));
  };

  // The caller's user row, account and subscriptions as of one moment.
  const together = inOneTransaction(db);
  const guard = <T>(work: () => T): T => {
    try {
      return together(work);
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
