import type { RuleId } from './rules';

export type HandoffReason = 'too-many-licences' | 'locked-out' | 'backend-failure' | 'caller-asked';

export interface HandoffDecision {
  to: 'human-agent';
  reason: HandoffReason;
  /** AS-2: the agent receives what the caller already proved, so nobody asks twice. */
  withVerifiedContext: true;
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
  return { to: 'human-agent', reason, withVerifiedContext: true, rules: RULES_BY_REASON[reason] };
}
