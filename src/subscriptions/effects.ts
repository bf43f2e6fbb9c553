import {
  toCalendarDate,
  type AccountAction,
  type CalendarDate,
  type Policy,
  type RuleId,
  type SubscriptionFacts,
} from '../policy';

/** What an action will do, decided by the policy on the subscription as it is now. */
export type ActionPlan =
  | { allowed: true; action: AccountAction; rules: RuleId[]; next: SubscriptionFacts; dates: ActionDates }
  | { allowed: false; action: AccountAction; rules: RuleId[]; reason: string };

export interface ActionDates {
  /** When service and billing stop (end of term) or stopped (now). */
  endsOn?: CalendarDate;
  /** When the data left behind is deleted for good. */
  dataDeletedOn?: CalendarDate;
  /** Until when the subscription can be reactivated. */
  reactivationPossibleUntil?: CalendarDate;
  /** A reactivated subscription's new end of term. */
  renewsOn?: CalendarDate;
}

/**
 * Asks the policy whether an action is allowed on these facts and, if so, what the subscription looks like after it.
 * Called when offering an action and again when carrying it out, on fresh facts: the answer may have changed since.
 */
export function planAction(action: AccountAction, facts: SubscriptionFacts, now: Date, policy: Policy): ActionPlan {
  const today = toCalendarDate(now);
  switch (action) {
    case 'turn-off-auto-renew':
    case 'cancel-now': {
      const decision = policy.cancellation(facts, now);
      if (decision.outcome !== 'cancellable') return { allowed: false, action, rules: decision.rules, reason: decision.outcome };
      if (action === 'turn-off-auto-renew') {
        const { endOfTerm } = decision;
        if (endOfTerm.alreadyScheduled) return { allowed: false, action, rules: endOfTerm.rules, reason: 'already-scheduled' };
        return { allowed: true, action, rules: endOfTerm.rules, next: { ...facts, autoRenew: false }, dates: { endsOn: endOfTerm.endsOn } };
      }
      const { early } = decision;
      if (early.performedBy !== 'assistant') return { allowed: false, action, rules: early.rules, reason: 'needs-human-agent' };
      return {
        allowed: true,
        action,
        rules: early.rules,
        next: { ...facts, status: 'CANCELLED', autoRenew: false, cancelledAt: today, dataDeletionAt: early.dataDeletedOn },
        dates: { endsOn: early.accessEndsOn, dataDeletedOn: early.dataDeletedOn, reactivationPossibleUntil: early.reactivationPossibleUntil },
      };
    }
    case 'fast-revoke': {
      const decision = policy.fastRevoke(facts, now);
      if (decision.outcome !== 'allowed') return { allowed: false, action, rules: decision.rules, reason: decision.reason };
      return {
        allowed: true,
        action,
        rules: decision.rules,
        next: { ...facts, status: 'FAST_REVOKED', autoRenew: false, cancelledAt: facts.cancelledAt ?? today, dataDeletionAt: decision.dataDeletedBy },
        dates: { endsOn: today, dataDeletedOn: decision.dataDeletedBy },
      };
    }
    case 'reactivate': {
      const decision = policy.reactivation(facts, now);
      if (decision.outcome !== 'allowed') return { allowed: false, action, rules: decision.rules, reason: decision.outcome === 'refused' ? decision.reason : decision.outcome };
      const { renewsOn } = decision;
      return {
        allowed: true,
        action,
        rules: decision.rules,
        next: { ...facts, status: 'ACTIVE', autoRenew: true, cancelledAt: null, dataDeletionAt: null, termEnd: renewsOn },
        dates: { renewsOn },
      };
    }
  }
}
