/**
 * Serialises the turns of one conversation across instances: a turn runs only while it holds its conversation's
 * lock, so two instances never compute from the same saved state (an answer lost) or act on the same "yes" twice.
 * Inside one instance the turn queue already serialises; this is the cross-instance half.
 */
export interface ConversationLock {
  /**
   * Runs the turn holding the lock; `stillHeld` says whether it is still held (its connection may have been lost).
   * A lock that keeps a database connection of its own hands the turn `transaction` too: the turn's state written on
   * that connection, in the transaction the lock already opened, costs fewer round trips than on another connection.
   * `stateKeys`, the state the turn reads first, such a lock reads as soon as it holds the lock, in the same round trip
   * (`TurnTransaction.takeReadAhead`); other locks ignore them.
   */
  run<T>(conversationKey: string, turn: (stillHeld: () => boolean, transaction?: TurnTransaction) => Promise<T>, stateKeys?: readonly string[]): Promise<T>;
}

/** A state row as the state store reads it from the lock's database. */
export interface StateRow {
  doc: Record<string, unknown> | string;
  etag: string;
}

/** What a store's statements run on inside a transaction (a pg client, structurally). */
export interface SqlClient {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** The turn lock's own connection, for the turn's writes to the lock's database. */
export interface TurnTransaction {
  /** The database the connection is to: a store writes through it only when it is the store's own. */
  readonly database: object;
  /**
   * Work in one transaction on the lock's connection, committed before this resolves and rolled back when it throws —
   * the contract of PostgresDatabase.transaction. The lock stays held after the commit, until the turn ends.
   */
  run<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  /**
   * Statements that need nothing of each other's results, run and committed the same way — sent together with their
   * COMMIT, one round trip for them all. Rejects if any of them fails (everything rolled back), if they ran past the
   * time the client waits for them (rolled back too: nothing the turn apologised for is kept), or if the COMMIT went
   * unanswered (then, as for any COMMIT, whether it was kept is not known).
   */
  commitWith(statements: ReadonlyArray<readonly [sql: string, params: unknown[]]>): Promise<void>;
  /**
   * A statement to go with the turn's next write (`run` or `commitWith`), in its transaction and its round trip: a
   * write that must be kept exactly when the turn's state is (its transcript lines). Nothing is sent now; a failure
   * fails that write. Left over when the turn ends without another write, it is never sent (commitStagedWrites).
   */
  stage(statement: readonly [sql: string, params: unknown[]]): void;
  /**
   * A statement for after the turn, when its answer changes nothing the turn does (an outbox entry whose replies were
   * delivered, deleted): sent with the message that gives the lock back — the next turn's first on this connection,
   * or its own within GIVE_BACK_MS — in the transaction the last commit began, so it costs no round trip of its own.
   * False when it cannot be (the turn is over, or its connection in doubt): then it is the caller's to send. Once taken
   * it is sent, on another connection if this one is found broken by the end of the turn; `onFailed` hears, once, if it
   * fails or may not have been kept (its COMMIT answered ROLLBACK, or went unanswered). It must not throw.
   */
  afterTurn(statement: readonly [sql: string, params: unknown[]], onFailed: (error: Error) => void): boolean;
  /**
   * The rows of `keys` (a key without a row: no state yet) as read right after the lock was taken — or undefined when
   * they were not all read so: not asked for, read while another turn still held the lock (stale), taken already, the
   * turn has written since, or the turn is over. Each key is handed out once; the store reads anything else itself.
   */
  takeReadAhead(keys: readonly string[]): ReadonlyMap<string, StateRow> | undefined;
}

/** One instance, or an embedded database only one instance uses: the in-process queue is all that is needed. */
export const NO_CROSS_INSTANCE_LOCK: ConversationLock = { run: (_key, turn) => turn(() => true) };
