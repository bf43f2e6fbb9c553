import type { Account } from '../accounts/account';
import type { AccountDirectory } from '../accounts/directory';
import type { Policy } from '../policy';
import type { VerificationAnswers } from './answers';
import { accountAttemptKey, conversationAttemptKey, type AttemptLedger } from './attempts';

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
    ...(userId ? [accountAttemptKey(userId)] : []),
  ];

  async function lockout(conversation: ConversationKey, userId?: string) {
    const now = deps.now();
    const decisions = (await deps.attempts.read(keysFor(conversation, userId))).map((history) => deps.policy.lockout(history, now));
    const locks = decisions.flatMap((d) => (d.locked ? [d.until] : []));
    return locks.length > 0 ? { locked: true as const, until: new Date(Math.max(...locks.map((d) => d.getTime()))) } : { locked: false as const };
  }

  async function decide(conversation: ConversationKey, answers: VerificationAnswers): Promise<VerificationResult> {
    const current = await lockout(conversation, answers.userId);
    if (current.locked) return { status: 'locked', until: current.until };

    const keys = keysFor(conversation, answers.userId);
    const verdict = await deps.directory.verify(answers);
    if (verdict.status === 'verified') {
      await deps.attempts.clear(keys);
      return verdict;
    }
    const now = deps.now();
    const histories = await deps.attempts.update(keys, (history) => deps.policy.recordFailedAttempt(history, now));
    const decisions = histories.map((history) => deps.policy.lockout(history, now));
    const locked = decisions.find((d) => d.locked);
    if (locked?.locked) return { status: 'locked', until: locked.until };
    return { status: 'rejected', attemptsLeft: Math.min(...decisions.map((d) => (d.locked ? 0 : d.attemptsLeft))) };
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
