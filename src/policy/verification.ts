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

/**
 * ID-2: the caller is an administrator only when they say so *and* the account record says so: a claim alone is
 * not enough, and a record alone does not make a caller who says "no" act as one.
 */
export function isAdministrator(claimsAdmin: boolean, recordSaysAdmin: boolean): boolean {
  return claimsAdmin && recordSaysAdmin;
}

/** Failed verifications of one user ID, account or conversation (ID-3): the times of the failures, oldest first. */
export interface AttemptHistory {
  failures: Date[];
}

export const NO_FAILED_ATTEMPTS: AttemptHistory = { failures: [] };

export type LockoutDecision =
  | { locked: true; until: Date; rules: RuleId[] }
  | { locked: false; attemptsLeft: number; rules: RuleId[] };

/**
 * ID-3: failures count over a rolling window (24 hours); waiting out a lock does not reset them. The failure that
 * reaches the limit locks for `lockoutMinutes`; each further failure inside the window locks again, twice as long
 * as the lock before (15, 30, 60 … minutes, at most `maxLockoutMinutes`). Once a lock has run out, one more attempt
 * is allowed.
 */
export function decideLockout(history: AttemptHistory, now: Date, config: PolicyConfig): LockoutDecision {
  const count = failuresInWindow(history, now, config).length;
  const until = lockedUntil(history, config);
  // AS-2: a locked-out caller is offered a human agent.
  if (until && until.getTime() > now.getTime()) return { locked: true, until, rules: ['ID-3', 'AS-2'] };
  return { locked: false, attemptsLeft: Math.max(1, config.maxVerificationAttempts - count), rules: ['ID-3'] };
}

/**
 * The latest end of the locks the failures set, each as long as the lock its failure earned *when it happened*
 * (the failures inside the window then): a lock never shrinks later as old failures leave the window.
 */
function lockedUntil(history: AttemptHistory, config: PolicyConfig): Date | undefined {
  const failures = history.failures.map((failure) => failure.getTime()).sort((a, b) => a - b);
  let latest: number | undefined;
  // A sliding window over the sorted failures: `first` is the oldest failure inside the window ending at failure i.
  for (let i = 0, first = 0; i < failures.length; i++) {
    while (failures[first] <= failures[i] - windowMs(config)) first++;
    const countThen = i - first + 1;
    if (countThen < config.maxVerificationAttempts) continue;
    const end = failures[i] + minutes(lockLengthMinutes(countThen, config));
    latest = Math.max(latest ?? end, end);
  }
  return latest === undefined ? undefined : new Date(latest);
}

/** The lock that the `count`-th failure inside the window sets: the first at the limit, then doubling, capped. */
function lockLengthMinutes(count: number, config: PolicyConfig): number {
  const doublings = Math.max(0, count - config.maxVerificationAttempts);
  return Math.min(config.lockoutMinutes * 2 ** Math.min(doublings, 30), config.maxLockoutMinutes);
}

/**
 * Whether an attempt already counted into `history` (counted before it is judged, so parallel attempts see each
 * other) was allowed: the history without it must not have been locked. The third of three is; a fourth sent
 * alongside it is not (ID-3).
 */
export function attemptWithinAllowance(history: AttemptHistory, now: Date, config: PolicyConfig): boolean {
  return !decideLockout({ failures: history.failures.slice(0, -1) }, now, config).locked;
}

/** The history after one more failed attempt at `now`; failures older than the window are dropped. */
export function recordFailedAttempt(history: AttemptHistory, now: Date, config: PolicyConfig): AttemptHistory {
  return { failures: [...failuresInWindow(history, now, config), now] };
}

/**
 * FR-2, like ID-3: one-time codes sent, or wrong codes typed, for one account over the rolling window. The event is
 * counted into `history` before it is judged (so parallel requests see each other); it is allowed while the count
 * stays within the limit.
 */
export function withinCodeLimit(history: AttemptHistory, now: Date, kind: 'sent' | 'wrong', config: PolicyConfig): boolean {
  const limit = kind === 'sent' ? config.maxOneTimeCodesPerWindow : config.maxWrongCodesPerWindow;
  return failuresInWindow(history, now, config).length <= limit;
}

/** The attempt counted at `at` did not happen after all (the directory could not answer: no fault of the caller's). */
export function withdrawAttempt(history: AttemptHistory, at: Date): AttemptHistory {
  const index = history.failures.findLastIndex((failure) => failure.getTime() === at.getTime());
  return index < 0 ? history : { failures: history.failures.filter((_, i) => i !== index) };
}

function windowMs(config: PolicyConfig): number {
  return config.failureWindowHours * 60 * minutes(1);
}

function failuresInWindow(history: AttemptHistory, now: Date, config: PolicyConfig): Date[] {
  const since = now.getTime() - windowMs(config);
  return history.failures.filter((failure) => failure.getTime() > since).sort((a, b) => a.getTime() - b.getTime());
}

function minutes(count: number): number {
  return count * 60_000;
}
