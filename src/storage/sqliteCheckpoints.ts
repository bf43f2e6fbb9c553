import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './sqlite';

/** SQLite's own default: a checkpoint once the WAL holds this many pages, run by the connection that commits. */
const AUTOCHECKPOINT_PAGES = 1000;
/**
 * When the thread starts: after the server's start-up (whose cold start it would only slow down), and never for a
 * short-lived use of the file (a tool, most tests). Until then the commits checkpoint as SQLite does by default.
 */
const START_AFTER_MS = 5_000;
/** How often the thread copies the WAL into the file; between two, the WAL holds a few hundred turns' pages at most. */
const EVERY_MS = 200;
/**
 * Should the thread stall (a failing disk), the commits still checkpoint once the WAL holds this many (80 MB). It is
 * also what bounds the WAL under commits without a pause, which rewinds only when a PASSIVE pass catches up between two
 * of them: the thread never RESTARTs, for a RESTART holds commits back while it copies and syncs, and on a disk busy
 * with other work (a PostgreSQL server beside it, in the bench's PostgreSQL run) that took past the commits' 5-second
 * busy timeout — turns failed with "database is locked" — even with only a few hundred pages left to copy.
 */
const BACKSTOP_PAGES = 20_000;

/**
 * The checkpointing thread: its own connection to the same file, copying committed pages from the WAL into the file
 * (PASSIVE: never waiting for, nor holding up, a commit), until told to stop. Plain CommonJS, run by `eval`, so the
 * same code runs from the built files and from the TypeScript sources under test; the driver's path comes with it.
 */
const CHECKPOINT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  db.pragma('wal_checkpoint(PASSIVE)');
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
parentPort.postMessage('ready');
`;

export interface BackgroundCheckpoints {
  /** Ends the thread (its connection closed); the commits checkpoint for themselves again. */
  stop(): Promise<void>;
}

/**
 * WAL checkpoints off the event loop. SQLite checkpoints in the connection whose commit filled the WAL: that commit
 * then copies a thousand pages into the file and syncs it twice — some 6 ms, about one commit in 75 under load, in the
 * middle of somebody's turn (the p99 of issue 14). Here a thread of the process does it instead: the commits only
 * append to the WAL, as in between. Should the thread fail, the commits checkpoint for themselves again.
 */
export function startBackgroundCheckpoints(
  db: SqliteDatabase,
  path: string,
  onFailure: (error: Error) => void,
  timing: { startAfterMs: number; everyMs: number } = { startAfterMs: START_AFTER_MS, everyMs: EVERY_MS },
): BackgroundCheckpoints {
  let worker: Worker | undefined;
  let stopping = false;
  const checkpointInCommits = () => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  const start = () => {
    try {
      worker = new Worker(CHECKPOINT_THREAD, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), path, everyMs: timing.everyMs } });
    } catch (error) {
      onFailure(error as Error);
      return;
    }
    worker.unref();
    worker.once('message', () => {
      if (!stopping && db.open) db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    });
    worker.once('error', (error) => onFailure(error));
    worker.once('exit', () => {
      worker = undefined;
      checkpointInCommits();
    });
  };
  const due = setTimeout(start, timing.startAfterMs);
  due.unref();
  return {
    async stop() {
      stopping = true;
      clearTimeout(due);
      const running = worker;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.postMessage('stop');
      // A thread stuck in a checkpoint of a failing disk is not waited for long: the file is consistent either way.
      const stuck = setTimeout(() => void running.terminate(), 2_000);
      await exited;
      clearTimeout(stuck);
    },
  };
}
