import type { PolicyConfig } from './config';
import type { RuleId } from './rules';

/** ID-1: what a caller must give, in the order support asks for it. ID-2 (admin) is checked on top of these. */
export const VERIFICATION_ITEMS = ['userId', 'phone', 'contactName', 'organisationName', 'postalAddress'] as const;
export type VerificationItem = (typeof VERIFICATION_ITEMS)[number];

export interface CallerStanding {
  /** When the directory last confirmed all ID-1 answers; null when it never did. */
  verifiedAt: Date | null;
  /** The caller's last message since verification; a verification lapses when idle (ID-1, config). */
  lastActiveAt: Date | null;
  /** ID-2: the caller said so *and* the account record confirms it. */
  isAdmin: boolean;
}

export type AccessDecision =
  | { level: 'account-actions'; rules: RuleId[] }
  | { level: 'general-information'; reason: 'not-admin'; rules: RuleId[] }
  | { level: 'none'; reason: 'not-verified' | 'verification-expired'; rules: RuleId[] };

/** What a caller may do: act on the account (ID-1 + ID-2), only hear general information (ID-2), or nothing yet (ID-1). */
export function decideAccess(caller: CallerStanding, now: Date, config: PolicyConfig): AccessDecision {
  if (caller.verifiedAt === null) return { level: 'none', reason: 'not-verified', rules: ['ID-1'] };
  const lastActive = caller.lastActiveAt ?? caller.verifiedAt;
  if (now.getTime() - lastActive.getTime() > minutes(config.verificationIdleMinutes)) {
    return { level: 'none', reason: 'verification-expired', rules: ['ID-1'] };
  }
  if (!caller.isAdmin) return { level: 'general-information', reason: 'not-admin', rules: ['ID-2'] };
  return { level: 'account-actions', rules: ['ID-1', 'ID-2'] };
}

/** Failed verifications of one account or one conversation (ID-3); both are tracked and either can lock. */
export interface AttemptHistory {
  failedAttempts: number;
  lastFailureAt: Date | null;
}

export const NO_FAILED_ATTEMPTS: AttemptHistory = { failedAttempts: 0, lastFailureAt: null };

export type LockoutDecision =
  | { locked: true; until: Date; rules: RuleId[] }
  | { locked: false; attemptsLeft: number; rules: RuleId[] };

export function decideLockout(history: AttemptHistory, now: Date, config: PolicyConfig): LockoutDecision {
  const current = currentAttempts(history, now, config);
  if (current.failedAttempts >= config.maxVerificationAttempts && current.lastFailureAt) {
    // AS-2: a locked-out caller is offered a human agent.
    return { locked: true, until: new Date(current.lastFailureAt.getTime() + minutes(config.lockoutMinutes)), rules: ['ID-3', 'AS-2'] };
  }
  return { locked: false, attemptsLeft: config.maxVerificationAttempts - current.failedAttempts, rules: ['ID-3'] };
}

/**
 * Whether an attempt already counted into `history` (counted before it is judged, so parallel attempts see each
 * other) was within the allowance: the third of three is, a fourth sent alongside it is not (ID-3).
 */
export function attemptWithinAllowance(history: AttemptHistory, config: PolicyConfig): boolean {
  return history.failedAttempts <= config.maxVerificationAttempts;
}

/** The history after one more failed attempt. */
export function recordFailedAttempt(history: AttemptHistory, now: Date, config: PolicyConfig): AttemptHistory {
  return { failedAttempts: currentAttempts(history, now, config).failedAttempts + 1, lastFailureAt: now };
}

/** Failures older than the lockout period no longer count: a served lockout, or a stale mistake, starts afresh. */
function currentAttempts(history: AttemptHistory, now: Date, config: PolicyConfig): AttemptHistory {
  if (!history.lastFailureAt) return NO_FAILED_ATTEMPTS;
  const expired = now.getTime() - history.lastFailureAt.getTime() >= minutes(config.lockoutMinutes);
  return expired ? NO_FAILED_ATTEMPTS : history;
}

function minutes(count: number): number {
  return count * 60_000;
}
