/**
 * Messages owed to a caller that the connector has not taken yet, kept in the store so "done but never told" cannot
 * happen: a receipt whose delivery failed in its turn, or the receipt of an action that waits for a backend to come
 * back. A worker on any instance delivers them (see src/bot/outboxWorker.ts). Delivered entries are deleted.
 */
export type OutboxKind =
  /** `activities` are to be sent as they are. */
  | 'replies'
  /** The case `caseReference` is pending: settle it first, then send `activities` if it got done, `otherwise` if not. */
  | 'after-pending-case';

/** JSON as the channel takes it: activities and a conversation reference, without names (see referenceFor). */
export type JsonObject = Record<string, unknown>;

export interface OutboxItem {
  kind: OutboxKind;
  conversation: JsonObject;
  activities: JsonObject[];
  otherwise: JsonObject[];
  caseReference: string | null;
}

export interface OutboxEntry extends OutboxItem {
  id: string;
  /** Deliveries tried by the worker so far, this one included once claimed. */
  attempts: number;
  createdAt: Date;
}

export interface Outbox {
  /** Keeps the item; the worker first looks at it at `firstAttemptAt` (the turn itself tries before that). */
  add(item: OutboxItem, firstAttemptAt: Date): Promise<string>;
  /**
   * Up to `limit` entries due at `now`, claimed: no other claim (on any instance) sees them again before `leaseUntil`,
   * so two workers never send the same receipt at once.
   */
  claimDue(now: Date, leaseUntil: Date, limit: number): Promise<OutboxEntry[]>;
  /** Delivered (or nothing left to deliver): forgotten. */
  done(id: string): Promise<void>;
  /** Not delivered yet: what is left (and how it is to be sent now) is tried again at `at`. */
  retryLater(id: string, left: Pick<OutboxItem, 'kind' | 'activities'>, at: Date, error: string): Promise<void>;
  /** Will not be delivered by the worker (too old, or the connector may have posted it): kept, failed, for a person to see. */
  giveUp(id: string, error: string): Promise<void>;
  /** How many entries wait, and how many were given up: for health and tests. */
  counts(): Promise<{ pending: number; failed: number }>;
}
