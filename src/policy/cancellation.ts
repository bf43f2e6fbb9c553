import type { PolicyConfig } from './config';
import { addDays, toCalendarDate, type CalendarDate } from './dates';
import type { SubscriptionFacts } from './facts';
import { decideReactivation, hasEnded, type ReactivationDecision } from './reactivation';
import type { Reason } from './explanations';
import type { RuleId } from './rules';
import { termLength, type TermLength } from './term';

/** Who carries out an action: the assistant itself (AS-1) or a human agent (AS-2). */
export type Performer = 'assistant' | 'human-agent';


export interface EndOfTermOption {
  rules: RuleId[];
  termLength: TermLength;
  /** Service and billing both stop on this day (END-1). */
  endsOn: CalendarDate;
  /** Auto-renew is already off: the subscription ends on `endsOn` without anything more to do. */
  alreadyScheduled: boolean;
  performedBy: Performer;
}

export type Refund =
  | { kind: 'prorated-credit'; rules: RuleId[] }
  /** PK-1: not refundable by us; the partner it was bought from may refund it. */
  | { kind: 'not-refundable'; rules: RuleId[] };

export type OnlineCancellation =
  | { available: true; rules: RuleId[] }
  /** EARLY-5: remove `usersToRemove` users so that fewer than `licenceThreshold` remain, then cancel online. */
  | { available: false; reason: 'too-many-licences'; usersToRemove: number; licenceThreshold: number; rules: RuleId[] }
  /** PK-1: a product-key subscription is cancelled through support, never in the portal. */
  | { available: false; reason: 'product-key'; rules: RuleId[] };

export interface EarlyCancellationOption {
  rules: RuleId[];
  /** EARLY-2: custom domains to remove, and the DNS records (e.g. NS at the registrar) to repoint. */
  domainsToRemove: string[];
  /** EARLY-3: access ends when the cancellation takes effect (today); data left behind is deleted on `dataDeletedOn`. */
  accessEndsOn: CalendarDate;
  dataDeletedOn: CalendarDate;
  reactivationPossibleUntil: CalendarDate;
  refund: Refund;
  online: OnlineCancellation;
  performedBy: Performer;
}

export type CancellationDecision =
  | {
      outcome: 'nothing-to-cancel';
      rules: RuleId[];
      /** AS-3: what "why?" explains. */
      why: Extract<Reason, 'trial' | 'trial-continues'>;
      /** The trial's last day. */
      trialEndsOn: CalendarDate;
      /** TR-2: without a payment method it expires and its data is deleted; with one it carries on as paid. */
      afterTrial: 'expires-and-data-deleted' | 'continues-as-paid';
    }
  | { outcome: 'ends-by-itself'; rules: RuleId[]; why: 'ends-by-itself'; endsOn: CalendarDate }
  /** Nothing to cancel; "why?" is about whether it can come back (RE-1..RE-3). */
  | { outcome: 'already-ended'; rules: RuleId[]; why: Reason; status: SubscriptionFacts['status']; reactivation: ReactivationDecision }
  | { outcome: 'cancellable'; rules: RuleId[]; endOfTerm: EndOfTermOption; early: EarlyCancellationOption };

/** Can this subscription be cancelled, and how (TR-*, END-*, EARLY-*, PK-1, AS-1/AS-2)? */
export function decideCancellation(facts: SubscriptionFacts, now: Date, config: PolicyConfig): CancellationDecision {
  if (hasEnded(facts)) {
    const reactivation = decideReactivation(facts, now, config);
    const why: Reason = reactivation.outcome === 'allowed' ? 'already-ended' : reactivation.outcome === 'refused' && reactivation.reason === 'fast-revoked' ? 'already-fast-revoked' : reactivation.why;
    return { outcome: 'already-ended', rules: reactivation.rules, why, status: facts.status, reactivation };
  }
  if (facts.kind === 'TRIAL') {
    return {
      outcome: 'nothing-to-cancel',
      rules: ['TR-1', 'TR-2'],
      why: facts.hasPaymentMethod ? 'trial-continues' : 'trial',
      trialEndsOn: facts.termEnd,
      afterTrial: facts.hasPaymentMethod ? 'continues-as-paid' : 'expires-and-data-deleted',
    };
  }
  if (facts.channel === 'OPEN' || facts.channel === 'FPP') {
    return { outcome: 'ends-by-itself', rules: ['END-3'], why: 'ends-by-itself', endsOn: facts.termEnd };
  }
  const endOfTerm = endOfTermOption(facts);
  const early = earlyCancellationOption(facts, now, config);
  return { outcome: 'cancellable', rules: unique([...endOfTerm.rules, ...early.rules]), endOfTerm, early };
}

function endOfTermOption(facts: SubscriptionFacts): EndOfTermOption {
  return {
    rules: ['END-1', 'END-2', 'AS-1'],
    termLength: termLength(facts),
    endsOn: facts.termEnd,
    alreadyScheduled: !facts.autoRenew,
    performedBy: 'assistant',
  };
}

function earlyCancellationOption(facts: SubscriptionFacts, now: Date, config: PolicyConfig): EarlyCancellationOption {
  const today = toCalendarDate(now);
  const online = onlineCancellation(facts, config);
  const refund = refundFor(facts);
  const performedBy = performerFor(online);
  return {
    rules: unique([
      'EARLY-1', 'EARLY-2', 'EARLY-3', ...online.rules, ...refund.rules,
      performedBy === 'assistant' ? 'AS-1' : 'AS-2',
    ]),
    domainsToRemove: [...facts.customDomains],
    accessEndsOn: today,
    dataDeletedOn: addDays(today, config.retentionDays),
    reactivationPossibleUntil: addDays(today, config.retentionDays),
    refund,
    online,
    performedBy,
  };
}

/** EARLY-6 or PK-1: what comes back when a paid subscription ends early. */
export function refundFor(facts: SubscriptionFacts): Refund {
  return facts.kind === 'PRODUCT_KEY' ? { kind: 'not-refundable', rules: ['PK-1'] } : { kind: 'prorated-credit', rules: ['EARLY-6'] };
}

/** AS-1 / AS-2: with too many licences a person does it (EARLY-5); everything else the assistant performs. */
function performerFor(online: OnlineCancellation): Performer {
  return online.available === false && online.reason === 'too-many-licences' ? 'human-agent' : 'assistant';
}

/** EARLY-4 / EARLY-5 (S1 wins over S2): online cancellation needs fewer than the threshold; exactly the threshold is not fewer. */
export function onlineCancellation(facts: SubscriptionFacts, config: PolicyConfig): OnlineCancellation {
  if (facts.assignedLicenses >= config.licenceThreshold) {
    return {
      available: false,
      reason: 'too-many-licences',
      usersToRemove: facts.assignedLicenses - (config.licenceThreshold - 1),
      licenceThreshold: config.licenceThreshold,
      rules: ['EARLY-5'],
    };
  }
  if (facts.kind === 'PRODUCT_KEY') return { available: false, reason: 'product-key', rules: ['PK-1'] };
  return { available: true, rules: ['EARLY-4'] };
}

export function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
