import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import type { AppConfig } from '../config';
import { createPostgresStateStore, type PostgresOptions } from './postgres';
import { createSqliteStateStore, openSqliteDatabase } from './sqlite';
import { ETagConflictError, expectedETag, withoutETag, writeAllowed, type StateStore } from './stateStore';

export type { StateStore } from './stateStore';

/** The state store chosen by STORAGE. */
export async function openStateStore(storage: AppConfig['storage'], postgres: PostgresOptions = {}): Promise<StateStore> {
  switch (storage.kind) {
    case 'sqlite':
      return createSqliteStateStore(openSqliteDatabase(storage.path));
    case 'postgres':
      return createPostgresStateStore(storage.url, postgres);
    case 'memory':
      return memoryStateStore();
  }
}

/** Process memory: for tests and throw-away demos only; a second instance would not see it. Same eTag rules as the others. */
export function memoryStateStore(): StateStore {
  const memory = new Map<string, { doc: string; eTag: string }>();
  return {
    kind: 'memory',
    async read(keys) {
      const items: StoreItems = {};
      for (const key of keys) {
        const stored = memory.get(key);
        if (stored) items[key] = { ...JSON.parse(stored.doc), eTag: stored.eTag };
      }
      return items;
    },
    async write(changes) {
      const entries = Object.entries(changes);
      for (const [key, item] of entries) if (!writeAllowed(expectedETag(item), memory.get(key)?.eTag)) throw new ETagConflictError(key);
      for (const [key, item] of entries) memory.set(key, { doc: withoutETag(item), eTag: randomUUID() });
    },
    async delete(keys) {
      for (const key of keys) memory.delete(key);
    },
    ping: async () => undefined,
    close: async () => undefined,
  };
}
