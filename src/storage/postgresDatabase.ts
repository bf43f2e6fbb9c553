import { createHash } from 'node:crypto';
import { Client, Pool, Query, type PoolClient, type QueryConfig, type QueryResult, type QueryResultRow } from 'pg';
import { POSTGRES_MIGRATIONS } from './postgresMigrations';
import { withinTime } from '../timing';

export interface PostgresOptions {
  /** An idle pooled connection the database ended (restart, failover, pg_terminate_backend): reported, not fatal. */
  onConnectionLost?: (error: Error) => void;
  /** Tables go in this schema (created when missing) instead of `public`: one database can serve separate deployments or test runs. */
  schema?: string;
  /** Connections for store queries. */
  poolSize?: number;
  /** Connections that hold a conversation's turn lock (one per conversation with a turn running on this instance). */
  lockPoolSize?: number;
}

/**
 * One PostgreSQL database shared by every store of the process and by every instance: state, directory,
 * subscriptions, cases, audit, ledgers, outbox. Queries that hang fail after a few seconds instead of holding a turn;
 * a connection the database ends is replaced, never fatal.
 */
export interface PostgresDatabase {
  query<Row extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: Row[]; rowCount: number }>;
  /** Runs `work` in one transaction on one connection: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T>;
  /**
   * Statements that need no answer before the next, in one transaction whose BEGIN and COMMIT go with them in one
   * message: one round trip. A statement that fails — an error the database raises, a conflict — fails the transaction
   * and the COMMIT answers ROLLBACK: nothing is kept, and the first failure is thrown as a FailedStatementError.
   */
  commitTogether(statements: ReadonlyArray<readonly [sql: string, params: unknown[]]>): Promise<void>;
  /**
   * The pool for turn locks: kept apart so turns holding a lock can never starve the queries they are waiting for. The
   * wait for a held lock may take LOCK_WAIT_MS (its own `SET LOCAL`), any other statement QUERY_TIMEOUT_MS; a
   * transaction left idle ends after two minutes (its lock with it).
   */
  readonly lockPool: Pool;
  readonly schema: string;
  /**
   * Hears `NOTIFY`s on a channel of this deployment (the schema is part of its name, so deployments and test runs
   * sharing a database do not hear each other), on a connection of its own that is opened again when the database
   * ends it. Resolves once listening (or once the first try failed: it goes on trying); the returned function stops. `notify` sends one (at most 8000 bytes).
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export const QUERY_TIMEOUT_MS = 5_000;
/**
 * How long after it started a write that commits in the same message as it is sent (a turn's, a subscription's change)
 * may run before the database refuses to keep it: the rest of QUERY_TIMEOUT_MS is room for its COMMIT and answer, so
 * this instance never gives up on a write the database went on to keep.
 */
export const WRITE_DEADLINE_MARGIN_MS = 1_000;
export const WRITE_WITHIN_MS = QUERY_TIMEOUT_MS - WRITE_DEADLINE_MARGIN_MS;
const MIGRATION_TIMEOUT_MS = 300_000;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A 64-bit advisory lock key for a text, the same on every instance. */
export function advisoryKey(text: string): string {
  return BigInt.asIntN(64, BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 16)}`)).toString();
}

/** How long a turn waits for the one before it in the same conversation on another instance (its lock). */
export const LOCK_WAIT_MS = 30_000;
/** Longer than any turn: the turn-level timeouts (replies 12 s, backends, queries) all end well before it. */
const LOCK_IDLE_LIMIT_MS = 120_000;

/**
 * A lock's connection, which stays inside a transaction while it holds a lock (conversationLock): a holder gone quiet
 * is ended after LOCK_IDLE_LIMIT_MS, and the database's own keepalive probes find a vanished host within about a minute
 * instead of the operating system's two hours. (The probes are ignored on a Unix socket, where no host can vanish.)
 */
const LOCK_SESSION_SETTINGS = ` -c idle_in_transaction_session_timeout=${LOCK_IDLE_LIMIT_MS} -c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3`;

/** At most this many texts are prepared at a time (each on every connection that runs it): the hot path has a few dozen. */
const MAX_PREPARED_STATEMENTS = 200;
/** Names given out in all, renamings included (each leaves its old statement on the connections that prepared it). */
const MAX_NAMES_GIVEN = 1_000;
/** A bulk statement (hundreds of rows, its text different for every count) is rare: preparing it only fills memory. */
const MAX_PREPARED_PARAMETERS = 64;
const statementNames = new Map<string, string>();
let namesGiven = 0;

/**
 * Errors a prepared statement can get once the tables under it changed (a migration of another instance, in a rolling
 * upgrade): its result's columns (0A000 "cached plan must not change result type", after ADD COLUMN under `*`), its
 * parameters' types fixed when it was first parsed (42804, 42883, 42P18), or the statement gone (26000). All are
 * raised before the statement runs.
 */
const OUTDATED_STATEMENT = new Set(['0A000', '42804', '42883', '42P18', '26000']);

/** Set on an error of a statement that has been given a new name since: sent again, it is prepared afresh. */
const PREPARED_AFRESH = Symbol('preparedAfresh');

/** The name a parameterised statement is prepared under — the same text, the same name, on every connection. */
function preparedName(text: string, parameters: number): string | undefined {
  if (parameters === 0 || parameters > MAX_PREPARED_PARAMETERS) return undefined;
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED_STATEMENTS && namesGiven < MAX_NAMES_GIVEN) {
    name = `prepared_${++namesGiven}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A connection that prepares each parameterised statement the first time it runs it and afterwards only binds and
 * executes it: PostgreSQL then skips parsing and planning, which cost it about as much as running these small
 * statements (measured: an upsert 110 → 60 µs of the database's CPU, a keyed read 82 → 62). Statements without
 * parameters (`COMMIT; BEGIN`, a lock on a literal key, DDL) go as they are. Texts never embed values (they are
 * parameters), so the set of names stays small.
 */
class PreparingClient extends Client {
  query(...args: unknown[]): never {
    const [text, values, callback] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? preparedName(text, values.length) : undefined;
    const send = super.query as (...a: unknown[]) => never;
    if (!name) return send.apply(this, args);
    // pg's own Query made from the text, named after: pg copies a configuration object given to `query` property by
    // property descriptor, every statement (1.7 % of the bot's CPU a turn on PostgreSQL, profiled), and a text it need not copy.
    const answered = new Promise((resolve, reject) => {
      const statement = new Query(text as string, values as unknown[], (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
      (statement as unknown as { name: string }).name = name;
      send.call(this, statement);
    }).catch((error: unknown) => {
      // Where the statement was sent from, not pg's parser (as pg's own promise does): the log shows the caller.
      if (error instanceof Error) Error.captureStackTrace(error);
      // The statement as prepared no longer fits the tables: the text gets a new name, prepared afresh wherever it
      // runs next (database.query sends an autocommit statement once more at once; in a transaction the turn fails).
      if (OUTDATED_STATEMENT.has((error as { code?: string }).code ?? '')) {
        if (statementNames.get(text as string) === name) statementNames.delete(text as string);
        if (error && typeof error === 'object') Object.assign(error, { [PREPARED_AFRESH]: true });
      }
      throw error;
    });
    if (typeof callback !== 'function') return answered as never;
    answered.then((result) => callback(undefined, result), (error: unknown) => callback(error));
    return undefined as never;
  }
}

/**
 * A pool's connections. Store queries are small: a stalled database fails a turn within about six seconds, its apology
 * still inside a channel's 15-second budget. A turn lock waits longer — the turn before it, on another instance, may
 * take longer than a query may (backends, reply retries): that wait, rare, sets its own limit (conversationLock) —
 * and a holder gone quiet (its host lost without closing the connection) loses the lock after LOCK_IDLE_LIMIT_MS, set
 * for the connection once, not in every turn's transaction.
 */
function newPool(url: string, schema: string, max: number, forLocks: boolean, onConnectionLost?: (error: Error) => void): Pool {
  const pool = new Pool({
    Client: PreparingClient,
    connectionString: url,
    max,
    // A checked-out connection serves one piece of work at a time; what it sends together goes out together (inOneWrite).
    pipeline: true,
    connectionTimeoutMillis: 5_000,
    // A host that vanished (a lost VM, a network split) is noticed in minutes, not the operating system's two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    // The client gives up on a silent connection (a hung network) after QUERY_TIMEOUT_MS whatever the pool: only the
    // lock query itself is given longer (conversationLock).
    query_timeout: QUERY_TIMEOUT_MS,
    // The database gives up when the client does: a statement the client has given up on (and closed the connection
    // over) must not keep a turn lock's session, and the lock, alive for longer. Only the wait for a lock is longer.
    statement_timeout: QUERY_TIMEOUT_MS,
    // Every connection looks in the deployment's schema first; quoted, the name is taken literally.
    options: `-c search_path="${schema}"${forLocks ? LOCK_SESSION_SETTINGS : ''}`,
  });
  // Without a listener, pg's 'error' on an idle client is an uncaught exception that ends the process — every
  // instance at once when the database restarts. The pool drops that client; the next query gets a fresh one.
  pool.on('error', (error) => onConnectionLost?.(error));
  return pool;
}

/**
 * Sends a statement that ends a transaction (or gives a lock back) and waits for it, or reports why it could not: a
 * connection whose query timed out is still busy with it (pg queues the next query behind), so a statement there would
 * wait out its own timeout. A second is plenty for a healthy connection; past it, the connection is to be destroyed,
 * which ends the transaction (and its locks) anyway.
 */
export async function finishOn(client: { query(sql: string): Promise<unknown> }, sql: string): Promise<{ result: unknown } | { error: Error }> {
  const sent = client.query(sql);
  try {
    return { result: await withinTime(sent, 1_000) };
  } catch (error) {
    sent.catch(() => undefined); // it fails for good once the connection is destroyed
    return { error: error as Error };
  }
}

/** Ends a transaction, or reports why it could not (finishOn). */
export async function endTransaction(client: PoolClient, sql: 'COMMIT' | 'ROLLBACK'): Promise<Error | undefined> {
  const finished = await finishOn(client, sql);
  return 'error' in finished ? finished.error : undefined;
}

/**
 * Whatever `send` asks of `client` before it first waits leaves in one write to the socket (one system call: on a
 * connection to the database the costliest part of a statement for this process). The pools' connections pipeline
 * (`pipeline: true`): each query is sent when asked, without waiting for the answer to the one before; the database
 * runs them in order and answers each.
 */
export function inOneWrite<T>(client: PoolClient, send: () => T): T {
  const socket = (client as unknown as { connection?: { stream?: { cork?(): void; uncork?(): void } } }).connection?.stream;
  socket?.cork?.();
  try {
    return send();
  } finally {
    socket?.uncork?.();
  }
}

/**
 * Runs `work` in a transaction on `client` — opened here unless it already is (`begun`) — committed when it returns,
 * rolled back when it throws. A connection that could not even roll back is reported to `onBroken`: not to be reused.
 */
export async function transactionOn<T>(
  client: PoolClient,
  work: (client: PoolClient) => Promise<T>,
  options: { begun?: boolean; reopen?: boolean; onBroken: (error: Error) => void },
): Promise<T> {
  try {
    let working: Promise<T>;
    if (options.begun) {
      working = work(client);
    } else {
      // The BEGIN leaves with the statements `work` sends before it first waits, in one write (the connections
      // pipeline). Had the BEGIN failed, so would they: they are on the same connection, behind it.
      let began: Promise<unknown> | undefined;
      working = inOneWrite(client, () => {
        began = client.query('BEGIN');
        return work(client);
      });
      working.catch(() => undefined); // awaited below, once the BEGIN has answered
      await began;
    }
    const result = await working;
    // Sent only once `work` has had every answer: a COMMIT sent ahead of them would still commit them after this
    // instance had given up on a stalled database and apologised. (A turn lock's `commitWith` sends its COMMIT with
    // its writes instead, behind a check of the time in the database: conversationLock.)
    await commit(client, options.reopen);
    return result;
  } catch (error) {
    const broken = await endTransaction(client, 'ROLLBACK');
    if (broken) options.onBroken(broken);
    throw error;
  }
}

/**
 * COMMIT, checked: PostgreSQL answers the COMMIT of a transaction that a failed statement aborted with ROLLBACK, not an
 * error. With `reopen` the next transaction begins in the same message (a turn lock's connection stays inside one).
 */
async function commit(client: PoolClient, reopen = false): Promise<void> {
  const answered = (await client.query(reopen ? 'COMMIT; BEGIN' : 'COMMIT')) as unknown as QueryResult | QueryResult[];
  if ((Array.isArray(answered) ? answered[0] : answered)?.command !== 'COMMIT') throw new Error('the transaction was rolled back, not committed');
}

/** PostgreSQL's error for a key already taken. */
export const UNIQUE_VIOLATION = '23505';

/** The statement of a `commitTogether` that failed first (`index` in the list given), with the database's error. */
export class FailedStatementError extends Error {
  constructor(
    readonly index: number,
    readonly cause: Error & { code?: string },
  ) {
    super(cause.message, { cause });
    this.name = 'FailedStatementError';
  }
}

/** Opens the pools and brings the schema up to date (once, whichever instance gets there first). */
export async function openPostgresDatabase(url: string, options: PostgresOptions = {}): Promise<PostgresDatabase> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  const pool = newPool(url, schema, options.poolSize ?? 10, false, options.onConnectionLost);
  const lockPool = newPool(url, schema, options.lockPoolSize ?? 20, true, options.onConnectionLost);

  /**
   * `work` on a connection of the pool, listened to while it is out: the database ending it mid-transaction would
   * otherwise be an uncaught 'error' that ends the process (the failed query rejects as well). A connection whose
   * transaction may still be open (a ROLLBACK that failed, a COMMIT unanswered: `work` calls `broken`) or that was
   * ended is destroyed, not reused: the next turn must never commit this one's half.
   */
  const onPoolConnection = async <T>(work: (client: PoolClient, broken: (error: Error) => void) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let lost: Error | undefined;
    const onLost = (error: Error) => {
      lost = error;
      options.onConnectionLost?.(error);
    };
    client.on('error', onLost);
    let broken: Error | undefined;
    try {
      return await work(client, (error) => (broken = error));
    } finally {
      client.off('error', onLost);
      client.release(lost ?? broken);
    }
  };

  const transaction = <T>(work: (client: PoolClient) => Promise<T>): Promise<T> =>
    onPoolConnection((client, broken) => transactionOn(client, work, { onBroken: broken }));

  // Like a turn's `commitWith` (conversationLock), but on a connection of the pool, whose database clock is not
  // measured: the deadline counts from the transaction's start on the database's own clock, which is later than
  // this instance's wait for the answer began — by the time the message took to arrive, well inside the margin.
  // (A message held up on its way — a lost packet sent again, after 200 ms and more — uses up some of the margin.)
  const commitTogether = (statements: ReadonlyArray<readonly [string, unknown[]]>): Promise<void> =>
    onPoolConnection(async (client, broken) => {
      let sent: { writes: Array<Promise<unknown>>; commit: Promise<unknown> };
      try {
        sent = inOneWrite(client, () => ({
          writes: [
            client.query('BEGIN'),
            ...statements.map(([sql, params]) => client.query(sql, params)),
            client.query(`SELECT turn_write_in_time(transaction_timestamp() + ${WRITE_WITHIN_MS} * INTERVAL '1 millisecond')`),
          ],
          commit: client.query('COMMIT'),
        }));
      } catch (error) {
        // Some of it may have gone (the BEGIN without its COMMIT): the connection is not to be used again.
        broken(error as Error);
        throw error;
      }
      const [answered, ...results] = await Promise.allSettled([sent.commit, ...sent.writes]);
      if (answered.status === 'rejected') {
        // Whether it committed is not known, and the connection is not to be used again: destroyed, its transaction ends.
        broken(answered.reason as Error);
        throw answered.reason;
      }
      const committed = (answered.value as QueryResult).command === 'COMMIT';
      const failedAt = results.findIndex((result) => result.status === 'rejected');
      if (failedAt >= 0) {
        const error = (results[failedAt] as PromiseRejectedResult).reason as Error;
        // Refused before it was sent (pg checks a statement's parameters first), the rest went on and committed
        // without it: not all or nothing, and no way to take it back here. Said as a broken connection, loudly.
        if (committed) broken(new Error(`a statement of a write failed and the rest was committed: ${error.message}`));
        // 0 is the BEGIN; the statements follow; the last is the deadline's check.
        throw failedAt >= 1 && failedAt <= statements.length ? new FailedStatementError(failedAt - 1, error) : error;
      }
      if (!committed) throw new Error('the transaction was rolled back, not committed');
    });

  const listeners = new Set<() => Promise<void>>();
  /**
   * Channel names are identifiers of at most 63 bytes: a fixed word and a digest of the schema (whose name alone may
   * take 63), checked, quoted when listened to.
   */
  const channelName = (channel: string) => {
    if (!/^[a-z_]{1,40}$/.test(channel)) throw new Error(`invalid notification channel: ${channel}`);
    return `${channel}.${createHash('sha256').update(schema).digest('hex').slice(0, 20)}`;
  };

  async function listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const name = channelName(channel);
    let client: Client | undefined;
    let stopped = false;
    let retry: NodeJS.Timeout | undefined;
    const connect = async (): Promise<void> => {
      const next = new Client({ connectionString: url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 5_000 });
      // Ended by the database (restart, failover): reported, closed, and listened to again shortly, never a crash.
      const lost = (error?: Error) => {
        if (client !== next) return;
        client = undefined;
        if (error) options.onConnectionLost?.(error);
        next.end().catch(() => undefined);
        if (!stopped) retry = setTimeout(() => void connect().catch(() => undefined), 1_000);
      };
      next.on('error', lost);
      next.on('end', () => lost());
      next.on('notification', (message) => {
        // Only the connection in use: one being replaced must not deliver twice.
        if (client === next && message.channel === name && message.payload !== undefined) onMessage(message.payload);
      });
      client = next;
      try {
        await next.connect();
        await next.query(`LISTEN "${name}"`);
      } catch (error) {
        lost(error as Error);
        await next.end().catch(() => undefined);
        throw error;
      }
    };
    const stop = async () => {
      stopped = true;
      clearTimeout(retry);
      listeners.delete(stop);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    };
    listeners.add(stop);
    // A database that is away now was reported (onConnectionLost) and is tried again every second until it is back.
    await connect().catch(() => undefined);
    return stop;
  }

  const database: PostgresDatabase = {
    async query<Row extends QueryResultRow>(sql: string, params?: unknown[]) {
      let result: QueryResult<Row>;
      try {
        result = await pool.query<Row>(sql, params);
      } catch (error) {
        // A statement prepared before a migration: it never ran, and on its own it commits nothing, so it is sent once
        // more, prepared afresh (PreparingClient).
        if (!(error as Record<symbol, unknown>)[PREPARED_AFRESH]) throw error;
        result = await pool.query<Row>(sql, params);
      }
      return { rows: result.rows, rowCount: result.rowCount ?? 0 };
    },
    transaction,
    commitTogether,
    lockPool,
    schema,
    listen,
    async notify(channel, payload) {
      await pool.query('SELECT pg_notify($1, $2)', [channelName(channel), payload]);
    },
    async close() {
      await Promise.all([...listeners].map((stop) => stop()));
      // The lock pool first: what parked turn locks still send with their give-back (TurnTransaction.afterTurn) may
      // fall back on the main pool.
      await lockPool.end();
      await pool.end();
    },
  };
  try {
    await migrate(database, schema);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * Plain ordered SQL, each step applied once and remembered in `schema_migrations`. Two instances starting together
 * take turns through a transaction-scoped advisory lock, so no step runs twice.
 */
async function migrate(database: PostgresDatabase, schema: string): Promise<void> {
  // A step may take long on a big table, and an instance starting beside another waits for its migration.
  const slow = (text: string, values?: unknown[]): QueryConfig => ({ text, values, query_timeout: MIGRATION_TIMEOUT_MS } as QueryConfig);
  await database.transaction(async (client) => {
    await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
    await client.query(slow('SELECT pg_advisory_xact_lock($1)', [advisoryKey(`migrations/${schema}`)]));
    // Inside the lock: two instances creating the schema at once would otherwise collide even with IF NOT EXISTS.
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
    const { rows } = await client.query<{ version: number }>('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations');
    for (let version = rows[0].version; version < POSTGRES_MIGRATIONS.length; version++) {
      await client.query(slow(POSTGRES_MIGRATIONS[version]));
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version + 1]);
    }
  });
}
