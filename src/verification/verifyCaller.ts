import type { Account } from '../accounts/account';
import type { AccountDirectory } from '../accounts/directory';
import type { Policy } from '../policy';
import type { VerificationAnswers } from './answers';
import { accountAttemptKey, conversationAttemptKey, userAttemptKey, type AttemptLedger } from './attempts';
import type { AttemptHistory } from '../policy';

export type VerificationResult =
  | { status: 'verified'; account: Account; isAdmin: boolean }
  | { status: 'rejected'; attemptsLeft: number }
  | { status: 'locked'; until: Date };

export interface ConversationKey {
  channelId: string;
  conversationId: string;
}

export interface CallerVerification {
  /** ID-3: is this conversation (and, once known, this user ID) locked right now? */
  lockout(conversation: ConversationKey, userId?: string): Promise<{ locked: false } | { locked: true; until: Date }>;
  /** ID-1..ID-3: checks all answers at once; throws DirectoryUnavailableError when the directory cannot answer. */
  verify(conversation: ConversationKey, answers: VerificationAnswers): Promise<VerificationResult>;
}

export interface CallerVerificationDeps {
  directory: AccountDirectory;
  attempts: AttemptLedger;
  policy: Policy;
  now: () => Date;
  /** Every verdict takes at least this long, so a fast "unknown user" cannot be told from a slow "wrong address". */
  minimumDurationMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** A monotonic clock for the padding (milliseconds). */
  elapsed?: () => number;
}

export function createCallerVerification(deps: CallerVerificationDeps): CallerVerification {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const clock = deps.elapsed ?? (() => performance.now());

  const keysFor = (conversation: ConversationKey, userId?: string) => [
    conversationAttemptKey(conversation.channelId, conversation.conversationId),
    ...(userId ? [userAttemptKey(userId)] : []),
  ];

  const worstLock = (histories: AttemptHistory[], now: Date) => {
    const locks = histories.map((history) => deps.policy.lockout(history, now)).flatMap((d) => (d.locked ? [d.until] : []));
    return locks.length > 0 ? { locked: true as const, until: new Date(Math.max(...locks.map((d) => d.getTime()))) } : { locked: false as const };
  };

  async function lockout(conversation: ConversationKey, userId?: string) {
    return worstLock(await deps.attempts.read(keysFor(conversation, userId)), deps.now());
  }

  async function decide(conversation: ConversationKey, answers: VerificationAnswers): Promise<VerificationResult> {
    const now = deps.now();
    const keys = keysFor(conversation, answers.userId);
    const seen = await deps.attempts.readToUpdate(keys);
    const current = worstLock(seen.histories, now);
    if (current.locked) return { status: 'locked', until: current.until };

    // The attempt is counted *before* the directory answers, atomically (written over exactly what was read, else read
    // again): guesses sent in parallel cannot all pass the check above, because each one sees the others' counts.
    const counted = await deps.attempts.update(keys, (history) => deps.policy.recordFailedAttempt(history, now), seen);
    if (!counted.every((history) => deps.policy.attemptWithinAllowance(history, now))) {
      // Refused unheard: it was no guess, so it must not feed the doubling locks (ID-3) — else a burst of parallel
      // requests could lock anyone's user ID for a day.
      const withdrawn = await deps.attempts.update(keys, (history) => deps.policy.withdrawAttempt(history, now));
      const lock = worstLock(withdrawn, now);
      return { status: 'locked', until: lock.locked ? lock.until : now };
    }

    let verdict;
    try {
      verdict = await deps.directory.verify(answers);
    } catch (error) {
      // The directory could not answer: that was no attempt of the caller's, so it is not held against them.
      await deps.attempts.update(keys, (history) => deps.policy.withdrawAttempt(history, now));
      throw error;
    }
    const accountKey = verdict.status === 'verified' ? accountAttemptKey(verdict.account.id) : verdict.accountId ? accountAttemptKey(verdict.accountId) : undefined;
    if (accountKey) {
      // Another user ID of the same account may have used up the account's attempts (ID-3 locks the account).
      const accountLock = worstLock(await deps.attempts.read([accountKey]), now);
      if (accountLock.locked) return { status: 'locked', until: accountLock.until };
    }
    if (verdict.status === 'verified') {
      await deps.attempts.clear([...keys, ...(accountKey ? [accountKey] : [])]);
      return verdict;
    }
    const histories = accountKey ? [...counted, ...(await deps.attempts.update([accountKey], (history) => deps.policy.recordFailedAttempt(history, now)))] : counted;
    const lock = worstLock(histories, now);
    if (lock.locked) return { status: 'locked', until: lock.until };
    const attemptsLeft = Math.min(...histories.map((history) => {
      const decision = deps.policy.lockout(history, now);
      return decision.locked ? 0 : decision.attemptsLeft;
    }));
    return { status: 'rejected', attemptsLeft };
  }

  return {
    lockout,
    async verify(conversation, answers) {
      const started = clock();
      try {
        return await decide(conversation, answers);
      } finally {
        const remaining = deps.minimumDurationMs - (clock() - started);
        if (remaining > 0) await sleep(remaining);
      }
    },
  };
}
