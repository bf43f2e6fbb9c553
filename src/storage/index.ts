import { MemoryStorage } from 'botbuilder';
import type { AppConfig } from '../config';
import { createPostgresStateStore } from './postgres';
import { createSqliteStateStore, openSqliteDatabase } from './sqlite';
import type { StateStore } from './stateStore';

export type { StateStore } from './stateStore';

/** The state store chosen by STORAGE. */
export async function openStateStore(storage: AppConfig['storage']): Promise<StateStore> {
  switch (storage.kind) {
    case 'sqlite':
      return createSqliteStateStore(openSqliteDatabase(storage.path));
    case 'postgres':
      return createPostgresStateStore(storage.url);
    case 'memory':
      return memoryStateStore();
  }
}

/** Process memory: for tests and throw-away demos only; a second instance would not see it. */
export function memoryStateStore(): StateStore {
  const memory = new MemoryStorage();
  return {
    kind: 'memory',
    read: (keys) => memory.read(keys),
    write: (changes) => memory.write(changes),
    delete: (keys) => memory.delete(keys),
    ping: async () => undefined,
    close: async () => undefined,
  };
}
