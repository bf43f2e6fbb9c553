// The bots under test, each its own process, and what the benchmark reads from outside them: when /healthz first
// answers 200 (cold start), and how much CPU the process has used (/proc/<pid>/stat: user + system ticks).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/**
 * CPU ms a process has used (user + system) and what its ended children used once it reaped them (`reaped`), from
 * `/proc/<pid>/stat`. Throws if the process is gone.
 */
export function cpuTimes(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ms = (...indexes) => (indexes.reduce((sum, i) => sum + Number(fields[i]), 0) * 1000) / TICKS_PER_SECOND;
  return { used: ms(11, 12), reaped: ms(13, 14) };
}

/**
 * CPU ms the threads of a running process have used, exactly (the scheduler's own count, `/proc/<pid>/task/<tid>/schedstat`,
 * in nanoseconds), where `/proc/<pid>/stat` is in hundredths of a second: for short measurements. Threads that have
 * ended are not counted (Node's and SQLite's threads live as long as the process).
 */
export function runTimeMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

/**
 * The whole machine's CPU time so far, from `/proc/stat`'s first line (every vCPU, in hundredths of a second): `busyMs`
 * what any process or the kernel used (user, nice, system, interrupts), `allMs` that and the idle, I/O-wait and stolen
 * time besides. Between two readings: how much of the machine a loop kept busy, and its CPU per turn whoever used it.
 */
export function machineTimes() {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user + nice + system + irq + softirq;
  return { busyMs: (busy * 1000) / TICKS_PER_SECOND, allMs: ((busy + idle + iowait + steal) * 1000) / TICKS_PER_SECOND };
}

/**
 * A port nobody listens on now, from the system: a fixed range would meet the ephemeral ports of the run's own many
 * connections (the driver's, PostgreSQL's) now and then, and the bot would not start.
 */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

let pauseRequests = 0;

/**
 * Signals the heap probe in `child` and waits until `file` holds its answer (`isAnswer(text)`, text that does not parse
 * is not one yet): the answer, parsed.
 */
async function askProbe(child, signal, file, isAnswer, limitMs, failure) {
  child.kill(signal);
  for (let waited = 0; waited < limitMs; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    try {
      const text = readFileSync(file, 'utf8');
      if (text && isAnswer(text)) return JSON.parse(text);
    } catch {
      // not written yet, or being written
    }
  }
  throw new Error(`${failure} within ${limitMs / 1000} s`);
}

export async function startProcess(name, script, env, nodeOptions = []) {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeOptions, script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  // What it says (its log lines and errors), the last of it, for when it does not start.
  let stderr = '';
  const keep = (chunk) => (stderr = (stderr + chunk).slice(-4000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  // A start that fails leaves no process behind: one still starting would hold its database (a schema the run drops).
  const failed = (message) => {
    child.kill('SIGKILL');
    return new Error(message);
  };
  for (;;) {
    if (child.exitCode !== null) throw failed(`${name} exited during start-up: ${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 30_000) throw failed(`${name}: no /healthz 200 within 30 s: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const coldStartMs = performance.now() - started;
  return {
    name,
    url,
    coldStartMs,
    pid: child.pid,
    /** The heap in use after a full collection, when started with the heap probe (see heapProbe.cjs). */
    heapUsed: async (file) => {
      const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const answer = await askProbe(child, 'SIGUSR2', file, (text) => text !== before, 10_000, `${name}: no heap reading`);
      return answer.heapUsed;
    },
    /**
     * With the heap probe (heapProbe.cjs): the first call starts counting the garbage collector's pauses and the event
     * loop's delay, the next returns what was counted since and stops. Each request carries an id of its own, so a stray
     * SIGWINCH (a terminal resized) is not taken for one, nor an earlier answer for this one.
     */
    pauses: async (file) => {
      const id = `${child.pid}-${++pauseRequests}`;
      writeFileSync(`${file}.request`, id);
      return askProbe(child, 'SIGWINCH', file, (text) => JSON.parse(text).id === id, 5_000, `${name}: no pause reading`);
    },
    /** The last of what it said (its warnings and errors at LOG_LEVEL=warn): for when a run finds it did not do its job. */
    recentOutput: () => stderr,
    cpuMs: () => cpuTimes(child.pid).used,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
