import type { RuleId } from './rules';

/**
 * AS-3: every refusal or decision the caller hears has a reason they can ask about ("why?", "varför inte?"), and
 * what they can do instead: nobody is left at a dead end. The reason is said in plain words; the rules stay here.
 */
export const REASONS = [
  'trial',
  'trial-continues',
  'ends-by-itself',
  'already-ended',
  'already-scheduled',
  'early-fees',
  'too-many-licences',
  'fast-revoke-too-many-licences',
  'fast-revoke-irreversible',
  'fast-revoke-irreversible-only',
  'code-not-confirmed',
  'name-not-confirmed',
  'already-fast-revoked',
  'fast-revoke-data-gone',
  'reactivation-fast-revoked',
  'reactivation-data-deleted',
  'reactivation-trial-expired',
  'nothing-to-reactivate',
  'renewal-off',
  'not-admin',
  'verification-rejected',
  'locked-out',
  'verification-lapsed',
  'verification-gave-up',
] as const;
export type Reason = (typeof REASONS)[number];

/** What a caller can do instead; a person is always among them. */
export type NextStep =
  | 'person'
  | 'add-payment-method'
  | 'cancel-at-end-of-term'
  /** Cancel right away instead of waiting for the end of the term. */
  | 'cancel-right-away'
  /** An ordinary cancellation instead of a fast revoke: the data is kept, reactivation stays possible. */
  | 'ordinary-cancellation'
  | 'reactivate'
  | 'turn-renewal-on'
  | 'fast-revoke-again'
  | 'remove-users'
  | 'ask-partner'
  | 'new-subscription'
  | 'ask-admin'
  | 'verify-again'
  | 'try-later';

export interface Explanation {
  reason: Reason;
  rules: RuleId[];
  nextSteps: NextStep[];
}

const EXPLANATIONS: Record<Reason, Omit<Explanation, 'reason'>> = {
  trial: { rules: ['TR-1', 'TR-2', 'AS-3'], nextSteps: ['add-payment-method', 'person'] },
  'trial-continues': { rules: ['TR-1', 'TR-2', 'AS-3'], nextSteps: ['person'] },
  'ends-by-itself': { rules: ['END-3', 'AS-3'], nextSteps: ['ask-partner', 'person'] },
  'already-ended': { rules: ['RE-1', 'DD-1', 'AS-3'], nextSteps: ['reactivate', 'person'] },
  'already-scheduled': { rules: ['END-1', 'AS-3'], nextSteps: ['cancel-right-away', 'person'] },
  'early-fees': { rules: ['EARLY-1', 'AS-3'], nextSteps: ['cancel-at-end-of-term', 'person'] },
  'too-many-licences': { rules: ['EARLY-4', 'EARLY-5', 'AS-2', 'AS-3'], nextSteps: ['remove-users', 'cancel-at-end-of-term', 'person'] },
  'fast-revoke-too-many-licences': { rules: ['FR-3', 'EARLY-5', 'AS-2', 'AS-3'], nextSteps: ['remove-users', 'person'] },
  'fast-revoke-irreversible': { rules: ['FR-1', 'FR-2', 'RE-2', 'AS-3'], nextSteps: ['ordinary-cancellation', 'person'] },
  // Bought through Open/FPP, or already cancelled: there is no ordinary cancellation to offer instead.
  'fast-revoke-irreversible-only': { rules: ['FR-1', 'FR-2', 'RE-2', 'END-3', 'AS-3'], nextSteps: ['person'] },
  'code-not-confirmed': { rules: ['FR-2', 'AS-3'], nextSteps: ['fast-revoke-again', 'person'] },
  'name-not-confirmed': { rules: ['FR-2', 'AS-3'], nextSteps: ['fast-revoke-again', 'person'] },
  'already-fast-revoked': { rules: ['FR-1', 'RE-2', 'DD-2', 'AS-3'], nextSteps: ['new-subscription', 'person'] },
  'fast-revoke-data-gone': { rules: ['RE-3', 'AS-3'], nextSteps: ['new-subscription', 'person'] },
  'reactivation-fast-revoked': { rules: ['RE-2', 'FR-1', 'DD-2', 'AS-3'], nextSteps: ['new-subscription', 'person'] },
  'reactivation-data-deleted': { rules: ['RE-3', 'EARLY-3', 'DD-1', 'AS-3'], nextSteps: ['new-subscription', 'person'] },
  'reactivation-trial-expired': { rules: ['TR-2', 'AS-3'], nextSteps: ['new-subscription', 'person'] },
  'nothing-to-reactivate': { rules: ['RE-1', 'AS-3'], nextSteps: ['person'] },
  'renewal-off': { rules: ['RE-1', 'END-1', 'AS-3'], nextSteps: ['turn-renewal-on', 'person'] },
  'not-admin': { rules: ['ID-2', 'AS-3'], nextSteps: ['ask-admin', 'person'] },
  'verification-rejected': { rules: ['ID-1', 'ID-3', 'AS-3'], nextSteps: ['verify-again', 'person'] },
  'locked-out': { rules: ['ID-3', 'AS-2', 'AS-3'], nextSteps: ['try-later', 'person'] },
  'verification-lapsed': { rules: ['ID-1', 'AS-3'], nextSteps: ['verify-again', 'person'] },
  'verification-gave-up': { rules: ['ID-1', 'AS-3'], nextSteps: ['verify-again', 'person'] },
};

/** AS-3: why, by which rules, and what the caller can do next. */
export function explain(reason: Reason): Explanation {
  return { reason, ...EXPLANATIONS[reason] };
}
