/**
 * Rule IDs of the cancellation policy (docs/policy.md, kept in step with shared/POLICY.md). Every decision names the
 * rules it applied, so a support lead can trace any answer back to its source sentence. The list is the single
 * source of truth for which IDs exist; the tests check that every one of them is exercised and that the list
 * matches the policy document.
 */
export const RULE_IDS = [
  'ID-1', 'ID-2', 'ID-3',
  'TR-1', 'TR-2',
  'END-1', 'END-2', 'END-3',
  'EARLY-1', 'EARLY-2', 'EARLY-3', 'EARLY-4', 'EARLY-5', 'EARLY-6',
  'PK-1',
  'RE-1', 'RE-2', 'RE-3',
  'FR-1', 'FR-2', 'FR-3',
  'DD-1', 'DD-2',
  'FB-1',
  'AS-1', 'AS-2', 'AS-3',
] as const;

export type RuleId = (typeof RULE_IDS)[number];
