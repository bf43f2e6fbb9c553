import type { RuleId } from './rules';

export type AccountAction = 'turn-off-auto-renew' | 'cancel-now' | 'fast-revoke' | 'reactivate';

export type FeedbackDecision = { ask: true; optional: true; rules: RuleId[] } | { ask: false; rules: RuleId[] };

/** FB-1: after a cancellation of any kind, ask (optionally) why the customer is leaving. */
export function decideFeedback(action: AccountAction): FeedbackDecision {
  return action === 'reactivate' ? { ask: false, rules: ['FB-1'] } : { ask: true, optional: true, rules: ['FB-1'] };
}
