/**
 * The cancellation policy: pure functions over subscription facts, a caller's standing and an injected `now`.
 * No I/O and no clock of its own; every number comes from a validated PolicyConfig. Dialogs ask it; they never
 * re-implement a rule. `createPolicy` binds the config once, at start-up.
 */
import { decideCancellation } from './cancellation';
import type { PolicyConfig } from './config';
import { decideFastRevoke } from './fastRevoke';
import { decideFeedback } from './feedback';
import { decideHandoff } from './handoff';
import { explain } from './explanations';
import type { SubscriptionFacts } from './facts';
import { decideReactivation, hasEnded } from './reactivation';
import { attemptWithinAllowance, decideAccess, decideLockout, isAdministrator, recordFailedAttempt, withdrawAttempt, withinCodeLimit, type AttemptHistory, type CallerStanding } from './verification';

export function createPolicy(config: PolicyConfig) {
  return {
    config,
    cancellation: (facts: SubscriptionFacts, now: Date) => decideCancellation(facts, now, config),
    reactivation: (facts: SubscriptionFacts, now: Date) => decideReactivation(facts, now, config),
    fastRevoke: (facts: SubscriptionFacts, now: Date) => decideFastRevoke(facts, now, config),
    access: (caller: CallerStanding, now: Date) => decideAccess(caller, now, config),
    lockout: (history: AttemptHistory, now: Date) => decideLockout(history, now, config),
    recordFailedAttempt: (history: AttemptHistory, now: Date) => recordFailedAttempt(history, now, config),
    attemptWithinAllowance: (history: AttemptHistory, now: Date) => attemptWithinAllowance(history, now, config),
    withdrawAttempt,
    isAdministrator,
    handoff: decideHandoff,
    explain,
    hasEnded,
    /** FR-2: with this event already counted, is the account still within its one-time code limits? */
    withinCodeLimit: (history: AttemptHistory, now: Date, kind: 'sent' | 'wrong') => withinCodeLimit(history, now, kind, config),
    /** FR-2: may another one-time code be sent, `sent` having gone already? */
    mayResendCode: (sent: number) => sent < config.maxOneTimeCodes,
    feedback: decideFeedback,
  };
}

export type Policy = ReturnType<typeof createPolicy>;

export * from './cancellation';
export * from './config';
export * from './dataDates';
export * from './dates';
export * from './explanations';
export * from './facts';
export * from './fastRevoke';
export * from './feedback';
export * from './handoff';
export * from './reactivation';
export * from './rules';
export * from './term';
export * from './verification';
