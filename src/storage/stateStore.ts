import type { Storage, StoreItems } from 'botbuilder';
import type { TurnTransaction } from './conversationLock';

/**
 * Conversation and user state, behind the SDK's Storage contract, plus what the server needs around it: a health
 * probe and an orderly close. Writes honour eTags (optimistic concurrency), so two instances on one database never
 * silently overwrite each other's turn.
 */
export interface StateStore extends Storage {
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  /** Reads as Storage does; `within`, a turn lock's own transaction, may have read them already (PostgreSQL). */
  read(keys: string[], within?: TurnTransaction): Promise<StoreItems>;
  /**
   * Writes as Storage does; `within`, a turn lock's own transaction (PostgreSQL), carries the write when the store's
   * database is the lock's: fewer round trips than a transaction of its own. Other stores ignore it.
   */
  write(changes: StoreItems, within?: TurnTransaction): Promise<void>;
  ping(): Promise<void>;
  /**
   * Deletes the items whose key contains `keyContains` and that were last written before `idleBefore`; returns how
   * many. The sweep of abandoned conversations: what a caller said is not kept longer than needed.
   */
  deleteIdle(keyContains: string, idleBefore: Date): Promise<number>;
  close(): Promise<void>;
}

export class ETagConflictError extends Error {
  constructor(key: string) {
    super(`Storage: error writing "${key}" due to eTag conflict.`);
    this.name = 'ETagConflictError';
  }
}

/**
 * The eTag of an item that may only be created, never overwritten: a counter's first write must fail if a parallel
 * turn wrote it first (the SDK's `*` would overwrite).
 */
export const ONLY_IF_ABSENT = 'only-if-absent';

/** An item's eTag that must match the stored one (or ONLY_IF_ABSENT), or undefined when the write is unconditional. */
export function expectedETag(item: StoreItems[string]): string | undefined {
  const eTag = item?.eTag;
  return typeof eTag === 'string' && eTag !== '*' && eTag !== '' ? eTag : undefined;
}

/** Whether a write expecting `expected` may replace what is stored (its eTag, or undefined when nothing is). */
export function writeAllowed(expected: string | undefined, stored: string | undefined): boolean {
  if (expected === undefined) return true;
  if (expected === ONLY_IF_ABSENT) return stored === undefined;
  return stored === undefined || stored === expected;
}

export function withoutETag(item: StoreItems[string]): string {
  const { eTag: _ignored, ...rest } = item ?? {};
  return JSON.stringify(rest);
}
