import { randomUUID } from 'node:crypto';
import type { StoreItems } from 'botbuilder';
import { ETagConflictError, expectedETag, writeAllowed, type StateStore } from './stateStore';
import { jsonToWrite } from './stateJson';

export type { StateStore } from './stateStore';

/** Process memory: for tests and throw-away demos only; a second instance would not see it. Same eTag rules as the others. */
export function memoryStateStore(): StateStore {
  const memory = new Map<string, { doc: string; eTag: string; at: number }>();
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
      for (const [key, item] of entries) memory.set(key, { doc: jsonToWrite(item), eTag: randomUUID(), at: Date.now() });
    },
    async delete(keys) {
      for (const key of keys) memory.delete(key);
    },
    async deleteIdle(keyContains, idleBefore) {
      let deleted = 0;
      for (const [key, stored] of memory) if (key.includes(keyContains) && stored.at < idleBefore.getTime() && memory.delete(key)) deleted++;
      return deleted;
    },
    ping: async () => undefined,
    close: async () => undefined,
  };
}
