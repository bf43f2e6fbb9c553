import { createHash } from 'node:crypto';
import type { Policy } from '../policy';
import type { AttemptLedger } from './attempts';

/**
 * FR-2 over time, like ID-3: how many one-time codes an account may be sent, and how many wrong codes may be typed
 * for it, over the rolling window — counted in the state store, so restarting the fast revoke, a new conversation
 * or another instance does not reset them.
 */
export interface CodeLimits {
  /** Counts a code about to be sent; false (and nothing counted) when the account has had its share. */
  allowSend(accountId: string): Promise<boolean>;
  /** Counts a wrong code; false when that was one too many: no more guesses for now. */
  allowWrongCode(accountId: string): Promise<boolean>;
  /** The code just counted by allowSend never reached the phone (the gateway failed): it does not count. */
  withdrawSend(accountId: string): Promise<void>;
}

const key = (kind: 'sent' | 'wrong', accountId: string) => `one-time-codes/${kind}/${createHash('sha256').update(accountId).digest('hex')}`;

export function createCodeLimits(ledger: AttemptLedger, policy: Policy, now: () => Date): CodeLimits {
  async function count(kind: 'sent' | 'wrong', accountId: string): Promise<boolean> {
    const at = now();
    const [counted] = await ledger.update([key(kind, accountId)], (history) => policy.recordFailedAttempt(history, at));
    if (policy.withinCodeLimit(counted, at, kind)) return true;
    // Refused: it did not happen, so it does not count either (a burst of refused requests extends nothing).
    await ledger.update([key(kind, accountId)], (history) => policy.withdrawAttempt(history, at));
    return false;
  }
  return {
    allowSend: (accountId) => count('sent', accountId),
    allowWrongCode: (accountId) => count('wrong', accountId),
    async withdrawSend(accountId) {
      const latest = (history: { failures: Date[] }) => history.failures.reduce<Date | undefined>((last, at) => (!last || at > last ? at : last), undefined);
      await ledger.update([key('sent', accountId)], (history) => {
        const at = latest(history);
        return at ? policy.withdrawAttempt(history, at) : history;
      });
    },
  };
}
