import type { TurnContext } from 'botbuilder';
import type { Account } from '../accounts/account';
import type { AccountDirectory } from '../accounts/directory';

const READ = Symbol('accountsReadThisTurn');

const readThisTurn = (context: TurnContext): Map<string, Promise<Account | undefined>> => {
  let read = context.turnState.get(READ) as Map<string, Promise<Account | undefined>> | undefined;
  if (!read) context.turnState.set(READ, (read = new Map()));
  return read;
};

/**
 * The account as the directory gave it earlier in this turn, else read now: the turn that verifies a caller lists
 * their subscriptions and opens the flow in the same breath, and each of those steps needs the account — one read
 * serves them all (on PostgreSQL, a round trip each). The next turn reads afresh, and a turn that changes a
 * subscription forgets what it read (forgetAccountsThisTurn). A read that fails is not kept: asking again reads again.
 */
export function accountThisTurn(context: TurnContext, directory: AccountDirectory, accountId: string): Promise<Account | undefined> {
  const read = readThisTurn(context);
  let account = read.get(accountId);
  if (!account) {
    const reading = directory.findAccount(accountId);
    reading.catch(() => read.get(accountId) === reading && read.delete(accountId));
    read.set(accountId, (account = reading));
  }
  return account;
}

/** An account the directory gave in this turn by another way (a verification, which reads it whole). */
export function rememberAccountThisTurn(context: TurnContext, account: Account): void {
  readThisTurn(context).set(account.id, Promise.resolve(account));
}

/** After a change to a subscription: whatever asks next in this turn reads the account afresh. */
export function forgetAccountsThisTurn(context: TurnContext): void {
  context.turnState.delete(READ);
}
