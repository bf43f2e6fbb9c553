import type { SqliteDatabase } from './sqlite';

/**
 * `work` in one transaction of the file — inside another, a savepoint of it — committed when it returns and rolled back
 * when it throws; `work` is synchronous, as every better-sqlite3 call is. Writes so land together; reads so see the
 * file as of one moment under one read lock: outside a transaction each statement takes and gives back the WAL's read
 * lock itself — some 12 µs of system calls on this machine where a keyed read takes one or two — so reads that go
 * together (the verification ledgers' keys, a user with their account and its subscriptions) are made in one.
 */
export function inOneTransaction(db: SqliteDatabase): <T>(work: () => T) => T {
  const transaction = db.transaction((work: () => unknown) => work());
  return <T>(work: () => T) => transaction(work) as T;
}

/** Writes waiting at most: past this (the file refusing every commit for a long while), the oldest are given up. */
const MAX_WAITING = 10_000;
/** After a commit of waiting writes failed (the file busy, the disk full), the next try. */
const RETRY_MS = 1_000;

/** A write waiting for a commit; `settle`, when someone awaits it, hears how it went once the commit is over. */
interface Waiting {
  write: () => unknown;
  settle?: (outcome: Outcome) => void;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Appends that may wait for the next commit of the SQLite file. A commit costs about a tenth of a millisecond however
 * little it writes (its pages into the WAL, the file's locks), and a turn made three: its transcript lines, its state,
 * its insights events. Lines and events now wait in memory and go in with the next commit — normally the turn's own
 * state write, moments later, so a turn's lines are kept exactly when its state is, in one transaction — and at the
 * latest when the event loop comes round. Reads of what waits commit it first, so nobody reads around it.
 */
export class SqliteCommits {
  private waiting: Waiting[] = [];
  /** A flush is due when the event loop comes round / after a failed commit's pause. */
  private immediate = false;
  private retry = false;
  /** A transaction around `work`; inside another, a savepoint (better-sqlite3 nests them so). */
  private readonly run: <T>(work: () => T) => T;
  /** Told of writes that could not be made (a constraint, a file that refused the commit for too long). */
  onFailure: (error: unknown, writes: number) => void = () => undefined;

  constructor(private readonly db: SqliteDatabase) {
    this.run = inOneTransaction(db);
  }

  /**
   * Queues `write` for the next commit. The function returned takes it back while it still waits (true), and does
   * nothing once it was committed or given up (false).
   */
  later(write: () => void): () => boolean {
    const waiting: Waiting = { write };
    this.enqueue(waiting);
    return () => {
      const at = this.waiting.indexOf(waiting);
      if (at < 0) return false;
      this.waiting.splice(at, 1);
      return true;
    };
  }

  /**
   * `write`, committed with whatever else waits when the event loop comes round — the turns that end in the same round
   * of the loop share one commit (under load, several: the commit's own cost and the pages they all touch, the
   * transcript's and the insights' last pages, are paid once). Resolves once committed; a write that fails (an eTag
   * conflict) is taken back alone and rejects: the others are committed all the same. A file that refuses the commit
   * rejects every awaited write in it (nothing of them is written) and keeps the appends waiting.
   */
  soon<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ write, settle: (outcome) => (outcome.ok ? resolve(outcome.value as T) : reject(outcome.error)) });
    });
  }

  /**
   * Runs `write` in a transaction, after everything waiting, and commits them together. A write that fails (an eTag
   * conflict) is taken back alone and thrown: what waited is committed all the same.
   */
  now<T>(write: () => T): T {
    let outcome: Outcome | undefined;
    this.commit(() => {
      outcome = this.attempt(write);
    });
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value as T;
  }

  /** Commits what waits (before reading the tables it writes, and before the file is closed). */
  flush(): void {
    if (this.waiting.length === 0) return;
    if (this.db.open) return this.commit(() => undefined);
    // A closed file takes nothing more: whoever awaits a write hears so at once.
    const error = new Error('the database is closed');
    const awaited = this.waiting.filter((waiting) => waiting.settle);
    this.waiting = this.waiting.filter((waiting) => !waiting.settle);
    for (const waiting of awaited) waiting.settle!({ ok: false, error });
  }

  private enqueue(waiting: Waiting): void {
    if (this.waiting.length >= MAX_WAITING) {
      const oldest = this.waiting.shift()!;
      const error = new Error(`more than ${MAX_WAITING} writes waiting for a commit`);
      if (oldest.settle) oldest.settle({ ok: false, error });
      else this.onFailure(error, 1);
    }
    this.waiting.push(waiting);
    this.schedule(0, waiting.settle !== undefined);
  }

  /**
   * `write` in a savepoint of its own, inside the commit's transaction: what it did is taken back alone when it throws.
   * Some errors (a full disk, an I/O error, no memory) make SQLite roll the whole transaction back itself: then nothing
   * of the batch is left to commit, and going on would commit each later write on its own — thrown, to fail them all.
   */
  private attempt(write: () => unknown): Outcome {
    try {
      return { ok: true, value: this.run(write) };
    } catch (error) {
      if (!this.db.inTransaction) throw error;
      return { ok: false, error };
    }
  }

  private commit(last: () => void): void {
    const batch = this.waiting;
    this.waiting = [];
    const settled: Array<[Waiting, Outcome]> = [];
    try {
      this.run(() => {
        for (const waiting of batch) {
          if (waiting.settle) {
            settled.push([waiting, this.attempt(waiting.write)]);
            continue;
          }
          try {
            this.run(waiting.write);
          } catch (error) {
            // The file refusing (busy, full, unreadable) fails the commit: everything waits for the next try.
            if (!refusedByTheRow(error)) throw error;
            // One line or event that cannot be written (its savepoint taken back) must not hold up the others.
            this.onFailure(error, 1);
          }
        }
        last();
      });
    } catch (error) {
      // Nothing was committed: the appends wait for the next try, in their order; whoever awaits a write hears so.
      this.waiting = [...batch.filter((waiting) => !waiting.settle), ...this.waiting];
      for (const waiting of batch) waiting.settle?.({ ok: false, error });
      throw error;
    }
    for (const [waiting, outcome] of settled) waiting.settle!(outcome);
  }

  /**
   * A flush when the event loop comes round, or after RETRY_MS once a commit failed. Appends wait out the retry; a write
   * someone awaits does not (the turn waiting on it hears at once whether the file takes it).
   */
  private schedule(delayMs: number, urgent = false): void {
    if (this.immediate || (this.retry && !urgent)) return;
    const flushNow = () => {
      this.immediate = false;
      this.retry = false;
      try {
        this.flush();
      } catch (error) {
        this.onFailure(error, this.waiting.length);
        this.schedule(RETRY_MS);
      }
    };
    if (delayMs === 0) {
      this.immediate = true;
      setImmediate(flushNow);
    } else {
      this.retry = true;
      setTimeout(flushNow, delayMs).unref();
    }
  }
}

/** An error of the write itself (a constraint, a value SQLite will not take, a bug in it), not of the file. */
function refusedByTheRow(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return true;
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG' || code === 'SQLITE_RANGE';
}

const ofDatabase = new WeakMap<SqliteDatabase, SqliteCommits>();

/** The one SqliteCommits of a database: every store on the file queues into the same commits. */
export function sqliteCommits(db: SqliteDatabase): SqliteCommits {
  let commits = ofDatabase.get(db);
  if (!commits) {
    commits = new SqliteCommits(db);
    ofDatabase.set(db, commits);
  }
  return commits;
}
