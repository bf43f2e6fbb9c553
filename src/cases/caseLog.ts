import type { AccountAction, HandoffReason, RuleId } from '../policy';

export type CaseKind = 'action' | 'handoff';
/** An action case is `pending` until the change is confirmed, then `done` (or `not-done`); a hand-off is `open`. */
export type CaseStatus = 'pending' | 'done' | 'not-done' | 'open';

/** A support case: an action the assistant carried out, or a hand-off to a person with the verified context. */
export interface SupportCase {
  reference: string;
  idempotencyKey: string;
  kind: CaseKind;
  status: CaseStatus;
  /** Null for a hand-off of a caller who is not verified (AS-2): the agent verifies them by phone. */
  accountId: string | null;
  subscriptionId: string | null;
  /** The action done, or for a hand-off the action the caller wanted. */
  action: AccountAction | 'none';
  rules: RuleId[];
  channel: string;
  /** What the case needs to be understood later: dates, the hand-off reason, the verified context. No raw personal data. */
  details: Record<string, unknown>;
  createdAt: string;
}

export interface AuditRecord {
  at: string;
  caseReference: string | null;
  accountId: string | null;
  action: string;
  rules: RuleId[];
  channel: string;
  /** Who asked, masked (`a***@fjordfika.se`). */
  caller: string;
  details: Record<string, unknown>;
}

export interface FeedbackRecord {
  caseReference: string;
  accountId: string;
  reason: string;
  comment: string | null;
  language: string;
  createdAt: string;
}

/** Cases, the append-only audit log and feedback (FB-1). A case and its audit record are written together. */
export interface CaseLog {
  /** Opens the case unless one with the same idempotency key exists; either way returns the case that stands. */
  openCase(supportCase: SupportCase, audit: Omit<AuditRecord, 'caseReference'>): Promise<{ supportCase: SupportCase; created: boolean }>;
  /**
   * Moves a case on (pending → done / not-done) and appends the audit record for it, together; `settled` is false
   * when someone else settled it first (then nothing is written).
   */
  settleCase(reference: string, status: Exclude<CaseStatus, 'pending' | 'open'>, details: Record<string, unknown>, audit: Omit<AuditRecord, 'caseReference'>): Promise<{ supportCase: SupportCase; settled: boolean }>;
  findByIdempotencyKey(key: string): Promise<SupportCase | undefined>;
  findCase(reference: string): Promise<SupportCase | undefined>;
  audit(record: AuditRecord): Promise<void>;
  auditFor(caseReference: string): Promise<AuditRecord[]>;
  recordFeedback(feedback: FeedbackRecord): Promise<void>;
  feedbackFor(caseReference: string): Promise<FeedbackRecord[]>;
}

export type { HandoffReason };
