import type { PoolClient, QueryResult } from 'pg';
import type { PostgresDatabase } from './postgresDatabase';
import { finishOn, inOneWrite } from './postgresDatabase';

/**
 * How long a lock stays owed once its turn is over, when no turn on this instance comes for its connection sooner. A
 * turn of the same conversation on another instance waits at most this much longer than it would otherwise: a turn
 * that takes the connection gives the lock back before trying its own, and the database hands a released lock to
 * the turn that waited for it first.
 */
export const GIVE_BACK_MS = 10;

/**
 * A connection whose turn is over, still holding its conversation's lock (and maybe inside a transaction): its replies
 * are out, so the lock may go, but giving it back in a message of its own is a round trip every turn would pay for.
 * The next turn on this instance to take the connection gives it back in its own first message (`endingSql`).
 */
export interface OwedLock {
  readonly client: PoolClient;
  /** The lock it holds (advisoryKey). */
  readonly key: string;
  /** Inside a transaction (the one a commit began), ended with the lock. */
  readonly open: boolean;
  /** Statements the turn left for after it (TurnTransaction.afterTurn), sent right before the lock is given back. */
  readonly after: readonly AfterTurn[];
}

/** A statement for after a turn, and who hears if it fails. */
export interface AfterTurn {
  readonly statement: readonly [sql: string, params: unknown[]];
  readonly onFailed: (error: Error) => void;
}

/**
 * Sends what a turn left for after it on the lock's connection, right before the lock's `endingSql` (in the same
 * write): inside the transaction that COMMIT ends, when `open`. Returns what to call with that ending's answer
 * (undefined: refused or not answered), or undefined when there is nothing to send: each statement is heard of
 * (`onFailed`, once) if it failed, or if the COMMIT it depended on did not commit — PostgreSQL answers a COMMIT in a
 * failed transaction with ROLLBACK, not an error — or went unanswered (then it may have been kept after all).
 */
export function sendAfterTurn(lock: OwedLock): ((ending: unknown) => void) | undefined {
  if (lock.after.length === 0) return undefined;
  const unheard = lock.after.map(({ statement, onFailed }) => {
    let heard = false;
    const fail = (error: Error) => {
      if (heard) return;
      heard = true;
      report(onFailed, error);
    };
    lock.client.query(statement[0], statement[1]).catch((error: unknown) => fail(error as Error));
    return fail;
  });
  return (ending) => {
    if (!lock.open || committedIn(ending)) return;
    for (const fail of unheard) fail(new Error('not committed: the transaction it was sent in was rolled back, or its COMMIT went unanswered'));
  };
}

/** What a turn left for after it, sent on the main pool: its lock's connection was lost before the give-back. */
export function sendAfterTurnElsewhere(db: PostgresDatabase, after: readonly AfterTurn[]): void {
  for (const { statement, onFailed } of after) db.query(statement[0], statement[1]).catch((error: unknown) => report(onFailed, error as Error));
}

/** A report of a failure that itself fails has nowhere left to go: it must not become an unhandled rejection. */
function report(onFailed: (error: Error) => void, error: Error): void {
  try {
    onFailed(error);
  } catch {
    // nothing more to do
  }
}

/** Whether `COMMIT; …` committed: PostgreSQL answers one result per statement, the COMMIT's first. */
function committedIn(ending: unknown): boolean {
  return Array.isArray(ending) && (ending[0] as QueryResult | undefined)?.command === 'COMMIT';
}

/** A connection for a turn: fresh from the pool, or with an earlier turn's lock to give back first (`owed`). */
export interface LockConnection {
  client: PoolClient;
  owed?: OwedLock;
}

interface Parked extends OwedLock {
  onLost: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** The statement that gives an owed lock back (and ends its transaction). */
export function endingSql(owed: OwedLock): string {
  return `${owed.open ? 'COMMIT; ' : ''}SELECT pg_advisory_unlock(${owed.key}) AS unlocked`;
}

/** What `pg_advisory_unlock` answered; after a COMMIT, pg answers with one result per statement, the unlock's last. */
export function unlockedIn(result: QueryResult | QueryResult[] | undefined): unknown {
  return (Array.isArray(result) ? result.at(-1) : result)?.rows[0]?.unlocked;
}

/**
 * The turn locks' connections of one instance. A connection whose turn is over is parked with its lock (giveBack):
 * handed at once to a turn waiting for a connection, else kept for GIVE_BACK_MS for the next turn to start here, else
 * unlocked and returned to the pool. Whichever turn takes it gives the lock back in its first message, before trying
 * its own. Turns wait in arrival order, so a conversation whose turns follow each other closely cannot keep a
 * connection from the turns waiting for one.
 */
export function createLockConnections(db: PostgresDatabase, onConnectionLost?: (error: Error) => void) {
  const parked = new Map<string, Parked>();
  /** Turns waiting for a connection, oldest first; each takes the first of a handed-over one or the pool's. */
  const waiting: Array<(handed: OwedLock) => boolean> = [];

  const unpark = (lock: Parked): OwedLock => {
    if (parked.get(lock.key) === lock) parked.delete(lock.key);
    clearTimeout(lock.timer);
    lock.client.off('error', lock.onLost);
    return lock;
  };

  /** Unlocks on the connection's own message and returns it to the pool (destroyed if that fails). */
  const release = async (lock: OwedLock) => {
    // Heard while the unlock is under way: a connection's 'error' with no listener would end the process.
    const onLost = (error: Error) => onConnectionLost?.(error);
    lock.client.on('error', onLost);
    const finished = await inOneWrite(lock.client, () => {
      const afterTurnEnded = sendAfterTurn(lock);
      const ending = finishOn(lock.client, endingSql(lock));
      if (afterTurnEnded) void ending.then((outcome) => afterTurnEnded('result' in outcome ? outcome.result : undefined));
      return ending;
    });
    const broken = 'error' in finished ? finished.error : unlockedIn(finished.result as QueryResult | QueryResult[]) === true ? undefined : new Error('the conversation lock was not held at the end of the turn');
    lock.client.off('error', onLost);
    lock.client.release(broken);
  };

  return {
    /**
     * A connection for a turn of the conversation locked as `key`: the one its last turn here left, if still parked —
     * giving the lock back and taking it again in one message, so a turn of another instance waiting for it goes
     * first — else any parked one, else the pool's.
     */
    acquire(key: string): Promise<LockConnection> {
      const parkedOne = parked.get(key) ?? parked.values().next().value;
      if (parkedOne) return Promise.resolve({ client: unpark(parkedOne).client, owed: parkedOne });
      return new Promise<LockConnection>((resolve, reject) => {
        let settled = false;
        const handedOver = (owed: OwedLock) => {
          if (settled) return false;
          settled = true;
          resolve({ client: owed.client, owed });
          return true;
        };
        waiting.push(handedOver);
        const stopWaiting = () => {
          settled = true;
          const at = waiting.indexOf(handedOver);
          if (at >= 0) waiting.splice(at, 1);
        };
        db.lockPool.connect().then(
          (client) => {
            if (settled) return client.release(); // a connection was handed over first: this one goes back unused
            stopWaiting();
            resolve({ client });
          },
          (error: unknown) => {
            if (settled) return;
            stopWaiting();
            reject(error);
          },
        );
      });
    },

    /**
     * The connection of a turn that is over, still holding its lock `key`, inside a transaction if `open`, with what the
     * turn left for `after` it.
     */
    giveBack(client: PoolClient, key: string, open: boolean, after: readonly AfterTurn[] = []): void {
      const lock: OwedLock = { client, key, open, after };
      while (waiting.length > 0) if (waiting.shift()!(lock)) return;
      const parkedLock: Parked = {
        ...lock,
        // A connection the database ends gives its locks back by itself.
        onLost: (error) => {
          unpark(parkedLock);
          onConnectionLost?.(error);
          client.release(error);
          sendAfterTurnElsewhere(db, after);
        },
        timer: setTimeout(() => void release(unpark(parkedLock)), GIVE_BACK_MS),
      };
      client.on('error', parkedLock.onLost);
      parked.set(key, parkedLock);
    },
  };
}
