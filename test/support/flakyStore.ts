import { memoryStateStore, type StateStore } from '../../src/storage';

/** A store that refuses writes while `down` is set, as a locked SQLite file or an unreachable PostgreSQL would. */
export function flakyStore() {
  const memory = memoryStateStore();
  const control = { down: false };
  const store: StateStore = {
    ...memory,
    write: async (changes) => {
      if (control.down) throw new Error('database is locked');
      return memory.write(changes);
    },
  };
  return { store, control };
}
