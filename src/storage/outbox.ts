import type { TurnTransaction } from './conversationLock';

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

/**
 * An entry as held by one claimant: the turn that added it, or the worker that claimed it. Changes need the token,
 * so a worker whose lease ran out (and whose entry another instance now holds) cannot finish or re-plan it.
 */
export interface OutboxClaim {
  id: string;
  token: string;
}

export interface OutboxEntry extends OutboxItem {
  claim: OutboxClaim;
  /** Deliveries tried by the worker so far, this one included once claimed. */
  attempts: number;
  createdAt: Date;
}

export interface Outbox {
  /**
   * Keeps the item, held by the caller of add; the worker first looks at it at `firstAttemptAt` (the turn tries first).
   * With `claim`, the one it was staged under (`stage`) in a write that may or may not have been kept: kept under that
   * claim unless it is there already — one entry, never two.
   */
  add(item: OutboxItem, firstAttemptAt: Date, claim?: OutboxClaim): Promise<OutboxClaim>;
  /**
   * Stages the item with the turn's state write when `within`, the turn lock's transaction, is on this outbox's
   * database: kept exactly when the turn's state is, in its round trip and commit. The claim, or undefined when it
   * cannot (then `add`).
   */
  stage?(item: OutboxItem, firstAttemptAt: Date, within: TurnTransaction): OutboxClaim | undefined;
  /**
   * The oldest entry due at `now`, claimed: no other claim (on any instance) sees it again before `leaseUntil`, so two
   * workers never send the same receipt at once; undefined when none is due.
   */
  claimNext(now: Date, leaseUntil: Date): Promise<OutboxEntry | undefined>;
  /** Delivered (or nothing left to deliver): forgotten. False when the claim was no longer this holder's. */
  done(claim: OutboxClaim): Promise<boolean>;
  /**
   * Delivered in the turn that holds the claim: forgotten after the turn, with no round trip of its own, when `within`
   * is on this outbox's database (TurnTransaction.afterTurn). False when it cannot (then `done`); `onFailed` hears if
   * the delete, once taken, failed or may not have been kept — the entry may still be there then, and `done` is tried
   * again (deleting twice is deleting once).
   */
  doneAfterTurn?(claim: OutboxClaim, within: TurnTransaction, onFailed: (error: Error) => void): boolean;
  /** What is left (and how it is to be sent now) is tried again at `at`. False when the claim was no longer this holder's. */
  retryLater(claim: OutboxClaim, left: Pick<OutboxItem, 'kind' | 'activities'>, at: Date, error: string): Promise<boolean>;
  /** Will not be delivered by the worker (too old, or the connector may have posted it): kept, failed, for a person to see. */
  giveUp(claim: OutboxClaim, error: string): Promise<boolean>;
  /** Deletes failed entries created before `before`: kept long enough for a person, not for ever. Returns how many. */
  purgeFailed(before: Date): Promise<number>;
  /** How many entries wait, and how many were given up: for health and tests. */
  counts(): Promise<{ pending: number; failed: number }>;
}
