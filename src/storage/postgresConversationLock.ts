import type { QueryConfig, QueryResult } from 'pg';
import type { ConversationLock, StateRow, TurnTransaction } from './conversationLock';
import type { PostgresDatabase } from './postgresDatabase';
import { advisoryKey, inOneWrite, LOCK_WAIT_MS, QUERY_TIMEOUT_MS, transactionOn, WRITE_WITHIN_MS } from './postgresDatabase';
import { READ_STATE } from './postgres';
import { createLockConnections, endingSql, sendAfterTurn, sendAfterTurnElsewhere, unlockedIn, type AfterTurn } from './postgresLockConnections';

/**
 * A PostgreSQL advisory lock on the conversation, held on a connection of its own for the length of the turn.
 *
 * Round trips are what a turn on PostgreSQL pays for most (each is a socket write and a wake-up on both sides), so the
 * lock is tried in the write that opens a transaction, the turn's state is written in that transaction with its
 * COMMIT in the same message (`commitWith`), and the lock, once the turn is over, goes back in the first message of
 * the next turn to use the connection (postgresLockConnections; within GIVE_BACK_MS on its own when none comes): two
 * round trips a turn for lock and state where a transaction-scoped lock beside a state transaction of its own took
 * six — and the state a caller's turn reads first (its conversation's and caller's) goes in the lock's opening write,
 * read as soon as the lock is taken: no round trip of its own on another connection. The lock is session-scoped so
 * that it outlives the commit: the state is kept before the turn's replies are released, and no other instance runs
 * the conversation's next turn until they have been.
 *
 * If the instance dies the database ends its session and the lock is free again: nothing to clean up. The connection
 * stays inside a transaction until the lock is given back (a commit begins the next one in the same message; only a
 * write that failed and was rolled back leaves it outside one until the turn's next write), so a holder gone quiet —
 * its process stuck, or its host lost without closing the connection — loses the lock after the idle-in-transaction
 * limit (postgresDatabase; a vanished host sooner, by the database's keepalive probes). Waiting for
 * the lock is bounded by the statement timeout; the turn then fails like any outage.
 */
export function createPostgresConversationLock(db: PostgresDatabase, onConnectionLost?: (error: Error) => void): ConversationLock {
  const connections = createLockConnections(db, onConnectionLost);

  return {
    async run(conversationKey, turn, stateKeys) {
      // Digits only (a signed 64-bit integer): written into the text, so the lock's statements need no parameters.
      const key = advisoryKey(`${db.schema}/conversation/${conversationKey}`);
      // Maybe a connection an earlier turn left holding its lock: given back in this turn's first message.
      const { client, owed } = await connections.acquire(key);
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
        onConnectionLost?.(error);
      };
      client.on('error', onLost);
      /** The connection may hold the lock or an unfinished transaction: never handed back to the pool as it is. */
      let broken: Error | undefined;
      /** A transaction is open on the connection (the lock's, or the one a commit began): the next write needs no BEGIN. */
      let open = false;
      let ended = false;
      /** One use of the connection at a time, and none once the turn is over (the connection may serve another). */
      let queue: Promise<unknown> = Promise.resolve();
      /** The state read with the lock, until the turn takes it (takeReadAhead) or writes. */
      let readAhead: Map<string, StateRow | undefined> | undefined;
      /** How far the database's clock is ahead of this instance's, at least (negative: behind): its deadlines are in its own. */
      let databaseAheadMs = 0;
      /** What the turn left for after it (afterTurn): sent with the lock's give-back. */
      const after: AfterTurn[] = [];
      try {
        try {
          // Tried first, without waiting: a free lock (the usual case) costs this one message, and a network that hangs
          // fails it within the pool's query timeout. Only waiting for a held lock (the turn before, on another
          // instance) may take LOCK_WAIT_MS, in the turn's transaction: every other statement keeps the query timeout.
          // The state read goes in the same write, between the lock and the turn's BEGIN: the connection runs it once
          // the lock query has answered, as a statement of its own (its own snapshot whatever the isolation level, its
          // table lock let go at once — a migration never waits for a turn), so once the lock was free it reads what
          // the turn before committed; a read the database refuses leaves nothing to undo (one it does not answer in
          // time ends the connection, and the turn, like any outage). Another turn's lock, owed, goes back first.
          let rows: Array<StateRow & { key: string }> | undefined;
          const [closed, tried] = await inOneWrite(client, () => {
            const afterTurnEnded = owed && sendAfterTurn(owed);
            const ending = owed ? (client.query(endingSql(owed)) as unknown as Promise<QueryResult | QueryResult[]>) : undefined;
            if (ending && afterTurnEnded) void ending.then(afterTurnEnded, () => afterTurnEnded(undefined));
            const sent = [
              ending,
              client.query<{ locked: boolean; at: Date }>(`SELECT pg_try_advisory_lock(${key}) AS locked, clock_timestamp() AS at`).then((result) => {
                // The database's clock read before this answer arrived: at most this far ahead of this instance's.
                databaseAheadMs = result.rows[0].at.getTime() - Date.now();
                return result;
              }),
              stateKeys?.length
                ? client.query<StateRow & { key: string }>(READ_STATE, [[...stateKeys]]).then(
                    (result) => {
                      rows = result.rows;
                    },
                    () => undefined, // refused: read by the store itself
                  )
                : undefined,
              client.query('BEGIN'),
            ] as const;
            return Promise.all(sent);
          });
          open = true;
          if (owed && unlockedIn(closed) !== true) throw new Error('the conversation lock an earlier turn owed was not held');
          const locked = tried.rows[0]?.locked === true;
          if (locked) {
            // Every key asked for is known: a key without a row has no state yet.
            if (rows && stateKeys) readAhead = new Map([...stateKeys.map((stateKey) => [stateKey, undefined] as const), ...rows.map(({ key: rowKey, doc, etag }) => [rowKey, { doc, etag }] as const)]);
          } else {
            // Read while the turn before still held the lock: stale, dropped; the store reads afresh.
            const wait = `SET LOCAL statement_timeout = ${LOCK_WAIT_MS}; SELECT pg_advisory_lock(${key}); SET LOCAL statement_timeout = ${QUERY_TIMEOUT_MS}`;
            await client.query({ text: wait, query_timeout: LOCK_WAIT_MS + 1_000 } as QueryConfig);
          }
        } catch (error) {
          // Not locked, or not begun (the database is away or stalled): the connection may still be busy with the query.
          broken = error as Error;
          throw error;
        }
        const serially = <T>(work: () => Promise<T>): Promise<T> => {
          const next = queue.then(() => {
            if (ended) throw new Error('the turn is over: its lock and connection were given back');
            if (broken) throw broken;
            return work();
          });
          queue = next.catch(() => undefined);
          return next;
        };
        /** Statements waiting for the turn's next write (`stage`). */
        const staged: Array<readonly [string, unknown[]]> = [];
        /** Sends `statements` now, together; resolves once all have answered, rejects with the first that failed. */
        const sendAll = (statements: ReadonlyArray<readonly [string, unknown[]]>): Promise<void> => {
          const sent = inOneWrite(client, () => statements.map(([sql, params]) => client.query(sql, params)));
          return Promise.allSettled(sent).then((results) => {
            const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
            if (failed) throw failed.reason;
          });
        };
        // Committed with `COMMIT; BEGIN`: between its writes and after them the connection stays inside a transaction,
        // so a holder gone quiet (its process stuck, its host alive) still loses the lock after the idle limit.
        const run: TurnTransaction['run'] = (work) => {
          readAhead = undefined; // what the turn writes now is newer than what was read
          return serially(async () => {
            const begun = open;
            open = false;
            const result = await transactionOn(
              client,
              async (inTransaction) => {
                // The staged statements leave first, in one write with `work`'s first statements (and the BEGIN, if any).
                const [early, working] = inOneWrite(client, () => [sendAll(staged.splice(0)), work(inTransaction)] as const);
                early.catch(() => undefined); // awaited below, after `work`
                const done = await working;
                await early;
                return done;
              },
              { begun, reopen: true, onBroken: (error) => (broken = error) },
            );
            open = true;
            return result;
          });
        };
        // Statements that need no answer before the next (the turn's state, its transcript lines) go with their
        // COMMIT in one write: one round trip. Right before the COMMIT the database checks its clock against a deadline
        // this instance sets a second short of giving up (turn_write_in_time, a function of the schema): writes that
        // ran on past it — one slow statement or several adding up, or a message that reached the database late —
        // fail the transaction, and the COMMIT behind them answers ROLLBACK. So what the turn apologised for is not
        // kept, unless the COMMIT itself outlasts the second: a COMMIT sent on its own is in the same doubt.
        const commitWith: TurnTransaction['commitWith'] = async (statements) => {
          if (statements.length === 0 && staged.length === 0) return;
          readAhead = undefined; // what the turn writes now is newer than what was read
          await serially(async () => {
            const all = [...staged.splice(0), ...statements];
            const begun = open;
            open = false;
            // pg's own wait for each answer (QUERY_TIMEOUT_MS) starts now, as these are sent; the deadline is on the
            // database's clock, which may differ from this host's (measured with the lock, on the safe side).
            const deadline = new Date(Date.now() + databaseAheadMs + WRITE_WITHIN_MS);
            const { writes, commit } = inOneWrite(client, () => {
              const opening = begun ? [] : [client.query('BEGIN')];
              const statementsSent = all.map(([sql, params]) => client.query(sql, params));
              const inTime = client.query('SELECT turn_write_in_time($1)', [deadline]);
              return { writes: [...opening, ...statementsSent, inTime], commit: client.query('COMMIT; BEGIN') as unknown as Promise<QueryResult[]> };
            });
            const [answered, ...results] = await Promise.allSettled([commit, ...writes]);
            if (answered.status === 'rejected') {
              // Not answered (the connection lost, or given up on) or refused: whether it committed is not known here,
              // and the connection is not to be used again — destroying it ends the transaction and the lock.
              broken = answered.reason as Error;
              throw answered.reason;
            }
            open = true; // `COMMIT; BEGIN` answered: a new transaction is open, whatever became of the last one
            const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
            if (failed) throw failed.reason;
            if (answered.value[0]?.command !== 'COMMIT') throw new Error('the transaction was rolled back, not committed');
          });
        };
        const stage: TurnTransaction['stage'] = (statement) => {
          if (ended) throw new Error('the turn is over: its lock and connection were given back');
          staged.push(statement); // nothing is written until the next `run`, which drops what was read ahead
        };
        const takeReadAhead: TurnTransaction['takeReadAhead'] = (keys) => {
          if (ended || !readAhead || !keys.every((stateKey) => readAhead!.has(stateKey))) return undefined;
          const taken = new Map<string, StateRow>();
          for (const stateKey of keys) {
            const row = readAhead.get(stateKey);
            readAhead.delete(stateKey);
            if (row) taken.set(stateKey, row);
          }
          return taken;
        };
        const afterTurn: TurnTransaction['afterTurn'] = (statement, onFailed) => {
          if (ended || broken || lost) return false;
          after.push({ statement, onFailed });
          return true;
        };
        return await turn(() => lost === undefined, { database: db, run, commitWith, stage, takeReadAhead, afterTurn });
      } finally {
        // Nothing of the turn is left uncommitted here (its writes commit in `run` or `commitWith`); the lock is owed,
        // given back with the next turn's first message or within GIVE_BACK_MS. A connection in doubt is destroyed
        // instead, which gives it back too.
        await queue;
        ended = true;
        client.off('error', onLost);
        if (lost ?? broken) {
          client.release(lost ?? broken);
          // Taken while the connection was still sound: sent now on another, unawaited — nothing of the turn waits for it.
          sendAfterTurnElsewhere(db, after);
        } else connections.giveBack(client, key, open, after);
      }
    },
  };
}
