import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { openSqliteDatabase, type SqliteDatabase } from '../../src/storage/sqlite';
import { openPostgresDatabase, type PostgresDatabase } from '../../src/storage/postgresDatabase';
import { freshPostgresSchema, PG_URL } from './postgres';

/** One store on a fresh database, and "another instance" of it: a second handle on the same database. */
export interface StoreBackend<Store> {
  store: Store;
  another(): Promise<Store>;
  close(): Promise<void>;
}

/**
 * A store's contract runs against the embedded SQLite file and PostgreSQL alike: `describe.each` over these, each test
 * opening a fresh database (a file, a schema) that is removed when it closes, and any left over when the file ends.
 */
export function storeBackends<Store>(name: string, make: { sqlite: (db: SqliteDatabase) => Store; postgres: (db: PostgresDatabase) => Store }): Array<[string, () => Promise<StoreBackend<Store>>]> {
  const sqliteDir = mkdtempSync(join(tmpdir(), `bot-${name}-`));
  const schemas = new Map<string, () => Promise<void>>();
  afterAll(async () => {
    rmSync(sqliteDir, { recursive: true, force: true });
    await Promise.all([...schemas.values()].map((drop) => drop()));
  });

  async function sqlite(): Promise<StoreBackend<Store>> {
    const db = openSqliteDatabase(join(sqliteDir, `${randomUUID()}.sqlite`));
    const others: SqliteDatabase[] = [];
    return {
      store: make.sqlite(db),
      another: async () => {
        const other = openSqliteDatabase(db.name);
        others.push(other);
        return make.sqlite(other);
      },
      close: async () => {
        for (const other of others) if (other.open) other.close();
        if (db.open) db.close();
      },
    };
  }

  async function postgres(): Promise<StoreBackend<Store>> {
    const fresh = freshPostgresSchema();
    const drop = async () => {
      schemas.delete(fresh.schema);
      await fresh.drop();
    };
    schemas.set(fresh.schema, drop);
    const db = await openPostgresDatabase(PG_URL, { schema: fresh.schema });
    const others: PostgresDatabase[] = [];
    return {
      store: make.postgres(db),
      another: async () => {
        const other = await openPostgresDatabase(PG_URL, { schema: fresh.schema });
        others.push(other);
        return make.postgres(other);
      },
      close: async () => {
        try {
          await Promise.all([...others.map((other) => other.close()), db.close()]);
        } finally {
          await drop();
        }
      },
    };
  }

  return [
    ['sqlite', sqlite],
    ['postgres', postgres],
  ];
}
