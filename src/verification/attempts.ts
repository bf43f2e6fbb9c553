import { hash } from 'node:crypto';
import type { StateStore } from '../storage';
import { ONLY_IF_ABSENT } from '../storage/stateStore';
import { NO_FAILED_ATTEMPTS, type AttemptHistory } from '../policy';
import { normaliseUserId } from './normalise';

/**
 * Failed verification attempts (ID-3), kept in the state store so they survive a restart, a new conversation and a
 * second instance. Keys are hashed: the store never holds a user ID in the clear.
 */
export interface AttemptLedger {
  read(keys: string[]): Promise<AttemptHistory[]>;
  /** Reads histories that an update may follow: handed to `update`, it writes over them without reading them again. */
  readToUpdate(keys: string[]): Promise<AttemptSnapshot>;
  /** `change` applied to each history and written at once; read again and retried if another turn wrote meanwhile. */
  update(keys: string[], change: (history: AttemptHistory) => AttemptHistory, read?: AttemptSnapshot): Promise<AttemptHistory[]>;
  clear(keys: string[]): Promise<void>;
}

/** Histories as read, and what the store needs to write over exactly those (their versions). */
export interface AttemptSnapshot {
  readonly histories: AttemptHistory[];
  readonly keys: readonly string[];
  readonly stored: Readonly<Record<string, StoredHistory>>;
}

const hashed = (text: string) => hash('sha256', text, 'hex');

/** Failures for one user ID (whether or not it exists). */
export function userAttemptKey(userId: string): string {
  return `verification-attempts/user/${hashed(normaliseUserId(userId))}`;
}

/** Failures against one account, whichever of its user IDs was tried (ID-3 locks the account). */
export function accountAttemptKey(accountId: string): string {
  return `verification-attempts/account/${hashed(accountId)}`;
}

export function conversationAttemptKey(channelId: string, conversationId: string): string {
  return `verification-attempts/conversation/${hashed(`${channelId}/${conversationId}`)}`;
}

interface StoredHistory {
  /** ISO times of the failures inside the window (ID-3). */
  failures?: string[];
  /** The earlier shape (a count and the last failure): read as that many failures at that time. */
  failedAttempts?: number;
  lastFailureAt?: string | null;
  eTag?: string;
}

export function createAttemptLedger(store: StateStore): AttemptLedger {
  const toHistory = (item: StoredHistory | undefined): AttemptHistory => {
    if (!item) return NO_FAILED_ATTEMPTS;
    if (item.failures) return { failures: item.failures.map((at) => new Date(at)) };
    const last = item.lastFailureAt ? new Date(item.lastFailureAt) : undefined;
    return { failures: last ? Array.from({ length: item.failedAttempts ?? 0 }, () => last) : [] };
  };

  const readToUpdate = async (keys: string[]): Promise<AttemptSnapshot> => {
    const stored = (await store.read(keys)) as Record<string, StoredHistory>;
    return { histories: keys.map((key) => toHistory(stored[key])), keys: [...keys], stored };
  };
  const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((key, i) => key === b[i]);

  return {
    async read(keys) {
      return (await readToUpdate(keys)).histories;
    },
    readToUpdate,
    async update(keys, change, read) {
      // Optimistic: re-read and retry when another turn (or instance) counted a failure at the same moment.
      for (let attempt = 0; ; attempt++) {
        const items = attempt === 0 && read && sameKeys(read.keys, keys) ? read.stored : ((await store.read(keys)) as Record<string, StoredHistory>);
        const next = keys.map((key) => change(toHistory(items[key])));
        const changes = Object.fromEntries(
          keys.map((key, i) => [key, { failures: next[i].failures.map((at) => at.toISOString()), eTag: items[key]?.eTag ?? ONLY_IF_ABSENT }]),
        );
        try {
          await store.write(changes);
          return next;
        } catch (error) {
          if (attempt >= 20 || !(error instanceof Error) || !/eTag/.test(error.message)) throw error;
        }
      }
    },
    async clear(keys) {
      await store.delete(keys);
    },
  };
}
