// What a round trip over loopback costs on this machine (issue 14): `node bench/roundTrips.mjs` (with `DATABASE_URL` for
// PostgreSQL). The product on PostgreSQL pays one for every message it sends the database and waits on; this measures
// the price apart from the product: the CPU of the sending process (process.cpuUsage) and, for PostgreSQL, of the
// backend that answers (/proc), per round trip, one at a time, `BENCH_ROUND_TRIPS` (5,000) times after a warm-up:
//   - a Node process sending 100 bytes to an echo server in another Node process and waiting for them back;
//   - pg sending `SELECT 1` and waiting for the answer, then four `SELECT 1` in one message;
//   - a prepared statement eight at a time, pipelined, per statement: given to pg as a configuration object, and as pg's
//     own Query (how the product sends them).
// On a machine where waking a process that waits on a socket is dear (a virtual machine whose interrupts and
// inter-processor wake-ups go through the hypervisor), the first two cost tens of microseconds each.
import { fork } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runTimeMs } from './lib/processes.mjs';

const COUNT = Number(process.env.BENCH_ROUND_TRIPS ?? 5_000);
const WARM_UP = 500;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `once` COUNT times one after the other (after a warm-up): µs of this process's CPU, and of wall time, per call. */
async function timed(once, backendPid) {
  for (let i = 0; i < WARM_UP; i++) await once();
  const cpu = cpuMs();
  const backend = backendPid ? runTimeMs(backendPid) : 0;
  const wall = performance.now();
  for (let i = 0; i < COUNT; i++) await once();
  const per = (ms) => (ms * 1000) / COUNT;
  return { cpu: per(cpuMs() - cpu), wall: per(performance.now() - wall), backend: backendPid ? per(runTimeMs(backendPid) - backend) : undefined };
}

async function echoPeer() {
  const peer = fork(fileURLToPath(import.meta.url), ['echo-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let socket;
  try {
    const port = await new Promise((resolve, reject) => {
      peer.once('message', resolve);
      peer.once('exit', () => reject(new Error('the echo server did not start')));
    });
    socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return await timed(echoOnce(socket));
  } finally {
    socket?.destroy();
    peer.kill();
  }
}

/** One 100-byte message to the echo server and back. */
function echoOnce(socket) {
  const message = Buffer.alloc(100, 1);
  return () =>
    new Promise((resolve) => {
      let received = 0;
      const onData = (chunk) => {
        received += chunk.length;
        if (received < message.length) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(message);
    });
}

async function postgres(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const one = await timed(() => client.query('SELECT 1'), rows[0].pid);
    const four = await timed(() => client.query('SELECT 1; SELECT 1; SELECT 1; SELECT 1'), rows[0].pid);
    return { one, four, ...(await preparedEights(url)) };
  } finally {
    await client.end();
  }
}

/**
 * A prepared statement with parameters, eight at a time on a pipelining connection, as the product sends its turns'
 * statements: handed to pg as a configuration object (`{ name, text, values }`, which pg copies property by property
 * descriptor) and as pg's own Query, made from the text and named after (what src/storage/postgresDatabase.ts does).
 */
async function preparedEights(url) {
  const client = new pg.Client({ connectionString: url, pipeline: true });
  await client.connect();
  const text = 'SELECT $1::text AS key, $2::int AS n';
  const eight = Array.from({ length: 8 }, (_, i) => i);
  const asQuery = (values) =>
    new Promise((resolve, reject) => {
      const query = new pg.Query(text, values, (error, result) => (error ? reject(error) : resolve(result)));
      query.name = 'as-query';
      client.query(query);
    });
  try {
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const configObject = () => timed(() => Promise.all(eight.map((i) => client.query({ name: 'as-config', text, values: ['k', i] }))), rows[0].pid);
    const pgQuery = () => timed(() => Promise.all(eight.map((i) => asQuery(['k', i]))), rows[0].pid);
    // Taking turns, twice each, so neither has the machine's quieter moment to itself.
    const [a1, b1, a2, b2] = [await configObject(), await pgQuery(), await configObject(), await pgQuery()];
    const mean = (x, y) => ({ cpu: (x.cpu + y.cpu) / 2, wall: (x.wall + y.wall) / 2, backend: (x.backend + y.backend) / 2 });
    return { asConfigObject: mean(a1, a2), asPgQuery: mean(b1, b2) };
  } finally {
    await client.end();
  }
}

if (process.argv[2] === 'echo-server') {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (chunk) => socket.write(chunk));
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
  // Whatever becomes of the measuring process, the echo server does not outlive it.
  process.on('disconnect', () => process.exit(0));
} else {
  const line = (what, { cpu, wall, backend }) =>
    console.log(`${what.padEnd(48)} ${cpu.toFixed(1).padStart(6)} µs CPU${backend === undefined ? '' : `, the backend ${backend.toFixed(1)} µs`}, ${wall.toFixed(1)} µs wall`);
  console.log(`round trips over loopback, one at a time, ${COUNT} each (the sender's CPU per round trip)`);
  line('Node → Node echo, 100 bytes', await echoPeer());
  if (process.env.DATABASE_URL) {
    const { one, four, asConfigObject, asPgQuery } = await postgres(process.env.DATABASE_URL);
    line('pg: SELECT 1', one);
    line('pg: four SELECT 1 in one message', four);
    // Per statement: eight go out together, pipelined.
    const perStatement = ({ cpu, wall, backend }) => ({ cpu: cpu / 8, wall: wall / 8, backend: backend / 8 });
    line('pg: prepared, 8 pipelined, as a config object', perStatement(asConfigObject));
    line('pg: prepared, 8 pipelined, as pg.Query', perStatement(asPgQuery));
  } else {
    console.log('(DATABASE_URL not set: PostgreSQL not measured)');
  }
}
