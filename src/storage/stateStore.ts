import type { Storage, StoreItems } from 'botbuilder';

/**
 * Conversation and user state, behind the SDK's Storage contract, plus what the server needs around it: a health
 * probe and an orderly close. Writes honour eTags (optimistic concurrency), so two instances on one database never
 * silently overwrite each other's turn.
 */
export interface StateStore extends Storage {
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class ETagConflictError extends Error {
  constructor(key: string) {
    super(`Storage: error writing "${key}" due to eTag conflict.`);
    this.name = 'ETagConflictError';
  }
}

/** An item's eTag that must match the stored one, or undefined when the write is unconditional (`*` or none). */
export function expectedETag(item: StoreItems[string]): string | undefined {
  const eTag = item?.eTag;
  return typeof eTag === 'string' && eTag !== '*' && eTag !== '' ? eTag : undefined;
}

export function withoutETag(item: StoreItems[string]): string {
  const { eTag: _ignored, ...rest } = item ?? {};
  return JSON.stringify(rest);
}
