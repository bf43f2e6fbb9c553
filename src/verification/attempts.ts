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
  update(keys: string[], change: (history: AttemptHistory) => AttemptHistory): Promise<AttemptHistory[]>;
  clear(keys: string[]): Promise<void>;
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

  return {
    async read(keys) {
      const items = (await store.read(keys)) as Record<string, StoredHistory>;
      return keys.map((key) => toHistory(items[key]));
    },
    async update(keys, change) {
      // Optimistic: re-read and retry when another turn (or instance) counted a failure at the same moment.
      for (let attempt = 0; ; attempt++) {
        const items = (await store.read(keys)) as Record<string, StoredHistory>;
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
