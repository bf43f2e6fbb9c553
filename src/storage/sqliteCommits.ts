import type { SqliteDatabase } from './sqlite';

/** Writes waiting at most: past this (the file refusing every commit for a long while), the oldest are given up. */
const MAX_WAITING = 10_000;
/** After a commit of waiting writes failed (the file busy, the disk full), the next try. */
const RETRY_MS = 1_000;

/**
 * Appends that may wait for the next commit of the SQLite file. A commit costs about a tenth of a millisecond however
 * little it writes (its pages into the WAL, the file's locks), and a turn made three: its transcript lines, its state,
 * its insights events. Lines and events now wait in memory and go in with the next commit — normally the turn's own
 * state write, moments later, so a turn's lines are kept exactly when its state is, in one transaction — and at the
 * latest when the event loop comes round. Reads of what waits commit it first, so nobody reads around it.
 */
export class SqliteCommits {
  private waiting: Array<() => void> = [];
  private scheduled = false;
  /** A transaction around `work`; inside another, a savepoint (better-sqlite3 nests them so). */
  private readonly run: <T>(work: () => T) => T;
  /** Told of writes that could not be made (a constraint, a file that refused the commit for too long). */
  onFailure: (error: unknown, writes: number) => void = () => undefined;

  constructor(private readonly db: SqliteDatabase) {
    const transaction = db.transaction((work: () => unknown) => work());
    this.run = <T>(work: () => T) => transaction(work) as T;
  }

  /**
   * Queues `write` for the next commit. The function returned takes it back while it still waits (true), and does
   * nothing once it was committed or given up (false).
   */
  later(write: () => void): () => boolean {
    if (this.waiting.length >= MAX_WAITING) {
      this.waiting.shift();
      this.onFailure(new Error(`more than ${MAX_WAITING} writes waiting for a commit`), 1);
    }
    this.waiting.push(write);
    this.schedule(0);
    return () => {
      const at = this.waiting.indexOf(write);
      if (at < 0) return false;
      this.waiting.splice(at, 1);
      return true;
    };
  }

  /**
   * Runs `write` in a transaction, after everything waiting, and commits them together. A write that fails (an eTag
   * conflict) is taken back alone and thrown: what waited is committed all the same.
   */
  now<T>(write: () => T): T {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
    this.commit(() => {
      try {
        outcome = { ok: true, value: this.run(write) };
      } catch (error) {
        outcome = { ok: false, error };
      }
    });
    if (!outcome!.ok) throw outcome!.error;
    return outcome!.value;
  }

  /** Commits what waits (before reading the tables it writes, and before the file is closed). */
  flush(): void {
    if (this.waiting.length > 0 && this.db.open) this.commit(() => undefined);
  }

  private commit(last: () => void): void {
    const batch = this.waiting;
    this.waiting = [];
    try {
      this.run(() => {
        for (const write of batch) {
          try {
            this.run(write);
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
      // Nothing was committed: the writes wait for the next try, in their order.
      this.waiting = [...batch, ...this.waiting];
      throw error;
    }
  }

  private schedule(delayMs: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const flushNow = () => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (error) {
        this.onFailure(error, this.waiting.length);
        this.schedule(RETRY_MS);
      }
    };
    if (delayMs === 0) setImmediate(flushNow);
    else setTimeout(flushNow, delayMs).unref();
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
