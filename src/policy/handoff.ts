import type { RuleId } from './rules';

/**
 * AS-2: why a person takes over. `too-many-licences` covers an early cancellation and a fast revoke with 25 or more
 * licences (EARLY-5, FR-3); a caller who asks is handed over whether verified or not.
 */
export type HandoffReason = 'too-many-licences' | 'locked-out' | 'backend-failure' | 'caller-asked';

/** A human agent takes over. */
export interface HandoffDecision {
  reason: HandoffReason;
  rules: RuleId[];
}

const RULES_BY_REASON: Record<HandoffReason, RuleId[]> = {
  'too-many-licences': ['AS-2', 'EARLY-5'],
  'locked-out': ['AS-2', 'ID-3'],
  'backend-failure': ['AS-2'],
  'caller-asked': ['AS-2'],
};

/** AS-2: the situations in which a human agent takes over. */
export function decideHandoff(reason: HandoffReason): HandoffDecision {
  return { reason, rules: RULES_BY_REASON[reason] };
}
