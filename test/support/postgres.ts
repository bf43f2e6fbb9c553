import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { AppConfig } from '../../src/config';

/** The PostgreSQL the tests run against (CI starts it): trust auth, database `test`. */
export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A schema of its own for one test (test files run in parallel on one database), and a way to drop it. `storage` is
 * what a bot instance is configured with to use it; two instances given the same one share everything.
 */
export function freshPostgresSchema(url = PG_URL) {
  const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
  const storage: AppConfig['storage'] = { kind: 'postgres', url, schema, poolSize: 10, lockPoolSize: 20 };
  return {
    schema,
    storage,
    async drop() {
      const admin = new Client({ connectionString: PG_URL });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}
