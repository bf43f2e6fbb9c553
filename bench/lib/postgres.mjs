// The product on PostgreSQL (issue 14): a schema of its own for each run, accounts generated into it, dropped after.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { caller } from './accounts.mjs';
import { cpuTimes, runTimeMs } from './processes.mjs';

export async function postgresSchema(url) {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const run = async (sql, params) => (await client.query(sql, params)).rows;
  return {
    schema,
    /** The same generated accounts as the SQLite run's (caller i ↔ account i), once the product has made its tables. */
    async seedAccounts(count) {
      const termEnd = new Date(Date.now() + 120 * 86_400_000).toISOString().slice(0, 10);
      const c = caller(0);
      await run(`SET search_path TO "${schema}"`);
      await run(
        `INSERT INTO accounts (id, organisation_name, contact_name, phone, street, postal_code, town, country)
         SELECT 'acc-bench-' || i, 'Benchbolaget ' || i || ' AB', $2, '+46701234567', 'Storgatan 12', '114 55', 'Stockholm', NULL
         FROM generate_series(0, $1 - 1) AS i ON CONFLICT DO NOTHING`,
        [count, c.contactName],
      );
      await run(`INSERT INTO account_users (user_id, account_id, is_admin) SELECT 'admin' || i || '@bench' || i || '.se', 'acc-bench-' || i, true FROM generate_series(0, $1 - 1) AS i ON CONFLICT DO NOTHING`, [count]);
      await run(
        `INSERT INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew, has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
         SELECT 'sub-bench-' || i, 'acc-bench-' || i, 'SMALL_BUSINESS', 'PAID', 'DIRECT', 'ANNUAL', 10, $2, true, true, '[]'::jsonb, 'ACTIVE', NULL, NULL
         FROM generate_series(0, $1 - 1) AS i ON CONFLICT DO NOTHING`,
        [count, termEnd],
      );
    },
    /** The scripted cancellations that really happened, of callers `from` to `to` (exclusive). */
    async endOfTermCancellations(from, to) {
      const [{ n }] = await run(
        `SELECT COUNT(*)::int AS n FROM "${schema}".subscriptions
         WHERE id LIKE 'sub-bench-%' AND substring(id from 11)::int >= $1 AND substring(id from 11)::int < $2 AND auto_renew = false`,
        [from, to],
      );
      return n;
    },
    /** Bytes of keys and values in the state table (the documents as PostgreSQL stores them), per conversation that has any. */
    async stateBytes(keyPart = '') {
      const [{ bytes, conversations }] = await run(
        `SELECT COALESCE(SUM(octet_length(key) + pg_column_size(doc)), 0)::bigint AS bytes,
                COUNT(*) FILTER (WHERE key LIKE '%/conversations/%')::int AS conversations
         FROM "${schema}".bot_state WHERE strpos(key, $1) > 0`,
        [keyPart],
      );
      return { bytes: Number(bytes), conversations };
    },
    /** Stored conversations from `from` up to `to` (exclusive), each a copy of `doc` under a key of its own. */
    async fillConversations(from, to, doc) {
      const step = 200_000;
      for (let start = from; start < to; start += step) {
        await run(
          `INSERT INTO "${schema}".bot_state (key, doc, etag, updated_at)
           SELECT 'webchat/conversations/stored-' || i || '/', $3::jsonb, md5(i::text), now() FROM generate_series($1, $2 - 1) AS i`,
          [start, Math.min(to, start + step), doc],
        );
      }
      // Measured once the database has settled: the rows written out and counted, as they would be long after they came.
      await run(`VACUUM ANALYZE "${schema}".bot_state`);
      await run('CHECKPOINT').catch(() => undefined); // needs a superuser; without one, the database checkpoints in time
    },
    async drop() {
      try {
        await run(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Has PostgreSQL write out what the runs left dirty, so nothing measured next waits behind it. */
export async function checkpoint(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('CHECKPOINT').catch(() => undefined); // needs a superuser; without one, the database checkpoints in time
  } finally {
    await client.end();
  }
}

/**
 * The CPU ms of every `postgres` process of this machine by pid — exact, the scheduler's run time — and what their ended
 * children used (`reaped`, from `/proc/<pid>/stat`: in hundredths of a second).
 */
export function databaseTimes() {
  const byPid = new Map();
  let reaped = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8') !== 'postgres\n') continue;
      const { reaped: ended } = cpuTimes(pid);
      byPid.set(pid, runTimeMs(pid));
      reaped += ended;
    } catch {
      // gone meanwhile
    }
  }
  return { byPid, reaped };
}

/**
 * PostgreSQL's CPU ms between two readings: what each process still running used since the first (all of it if it
 * started since), and what those that ended since used after the first reading — their whole time reaches the
 * postmaster's children's times when it reaps them, less what the first reading had already counted of them.
 */
export function databaseCpuMsBetween(before, after) {
  let ms = after.reaped - before.reaped;
  for (const [pid, used] of after.byPid) ms += used - (before.byPid.get(pid) ?? 0);
  for (const [pid, used] of before.byPid) if (!after.byPid.has(pid)) ms -= used;
  return ms;
}
