import type { AccountDirectory } from '../accounts/directory';
import type { AccountAction, HandoffReason, Policy, RuleId, SubscriptionFacts } from '../policy';
import { planAction, type ActionDates } from '../subscriptions/effects';
import { SubscriptionChangedError, type SubscriptionChangeRequest, type SubscriptionService } from '../subscriptions/subscriptionService';
import type { CaseLog, SupportCase } from './caseLog';
import { newCaseReference } from './caseReference';

/** Who is asking, where, and under which key: enough to act once and to write the case and audit record. */
export interface ActionContext {
  accountId: string;
  subscriptionId: string;
  /** Derived from the conversation and the request: the same request always carries the same key. */
  idempotencyKey: string;
  channel: string;
  /** The caller's user ID, masked (`a***@fjordfika.se`). */
  caller: string;
  /** The subscription as the caller saw it in the summary they confirmed; if it differs now, nothing is done. */
  shown?: SubscriptionFacts;
}

export type ActionOutcome =
  | { status: 'done'; supportCase: SupportCase; dates: ActionDates; alreadyDone: boolean }
  | { status: 'not-allowed'; rules: RuleId[]; reason: string }
  /** The subscription changed since the caller saw the summary: nothing was done. */
  | { status: 'changed' };

export interface HandoffContext {
  accountId: string;
  subscriptionId?: string;
  idempotencyKey: string;
  channel: string;
  caller: string;
  organisationName: string;
  requestedAction?: AccountAction;
  /** What the agent needs so nobody asks twice (AS-2): the decision and its dates, never the raw answers. */
  context: Record<string, unknown>;
  /** The key of an action that could not be finished: its (pending) case is named in the hand-off, for the agent to settle. */
  unfinishedActionKey?: string;
}

export interface AccountActions {
  /** Carries out an action the policy allows, exactly once per idempotency key, and records case and audit. */
  perform(action: AccountAction, context: ActionContext): Promise<ActionOutcome>;
  /** AS-2: opens a hand-off case for a human agent with the verified context; once per idempotency key. */
  handOff(reason: HandoffReason, context: HandoffContext): Promise<SupportCase>;
  recordFeedback(caseReference: string, accountId: string, reason: string, comment: string | null, language: string): Promise<void>;
}

export interface AccountActionsDeps {
  directory: AccountDirectory;
  subscriptions: SubscriptionService;
  cases: CaseLog;
  policy: Policy;
  now: () => Date;
  /** Free text from callers is masked before it is stored. */
  mask: (text: string) => string;
}

const SERVICE_CALL: Record<AccountAction, keyof SubscriptionService> = {
  'turn-off-auto-renew': 'turnOffAutoRenew',
  'cancel-now': 'cancelNow',
  'fast-revoke': 'fastRevoke',
  reactivate: 'reactivate',
};

/**
 * The case is written *before* the subscription is changed (pending) and settled after, so a turn that dies in
 * between is finished by its retry with the same key instead of being done again or forgotten.
 */
export function createAccountActions(deps: AccountActionsDeps): AccountActions {
  async function currentFacts(accountId: string, subscriptionId: string): Promise<SubscriptionFacts | undefined> {
    const account = await deps.directory.findAccount(accountId);
    return account?.subscriptions.find((s) => s.id === subscriptionId)?.facts;
  }

  async function settle(supportCase: SupportCase, action: AccountAction, context: ActionContext): Promise<ActionOutcome> {
    const request = supportCase.details.request as SubscriptionChangeRequest;
    const dates = supportCase.details.dates as ActionDates;
    const audit = { at: deps.now().toISOString(), accountId: context.accountId, rules: supportCase.rules, channel: context.channel, caller: context.caller };
    try {
      const result = await deps.subscriptions[SERVICE_CALL[action]](request);
      const { supportCase: settled, settled: byUs } = await deps.cases.settleCase(supportCase.reference, 'done', { alreadyApplied: result.alreadyApplied }, { ...audit, action: `${action}:done`, details: { subscriptionId: context.subscriptionId, dates, alreadyApplied: result.alreadyApplied } });
      return { status: 'done', supportCase: settled, dates, alreadyDone: !byUs };
    } catch (error) {
      if (!(error instanceof SubscriptionChangedError)) throw error; // unavailable: the case stays pending for the retry
      await deps.cases.settleCase(supportCase.reference, 'not-done', {}, { ...audit, action: `${action}:not-done`, details: { reason: 'subscription-changed' } });
      return { status: 'changed' };
    }
  }

  return {
    async perform(action, context) {
      const existing = await deps.cases.findByIdempotencyKey(context.idempotencyKey);
      if (existing?.status === 'done') return { status: 'done', supportCase: existing, dates: existing.details.dates as ActionDates, alreadyDone: true };
      if (existing?.status === 'pending') return settle(existing, action, context);
      if (existing?.status === 'not-done') return { status: 'changed' };

      const facts = await currentFacts(context.accountId, context.subscriptionId);
      if (!facts) return { status: 'not-allowed', rules: [], reason: 'no-such-subscription' };
      if (context.shown && !sameFacts(context.shown, facts)) return { status: 'changed' };
      const now = deps.now();
      const plan = planAction(action, facts, now, deps.policy);
      if (!plan.allowed) return { status: 'not-allowed', rules: plan.rules, reason: plan.reason };

      const request: SubscriptionChangeRequest = { accountId: context.accountId, subscriptionId: context.subscriptionId, idempotencyKey: context.idempotencyKey, expected: facts, next: plan.next };
      const { supportCase } = await deps.cases.openCase(
        {
          reference: newCaseReference(),
          idempotencyKey: context.idempotencyKey,
          kind: 'action',
          status: 'pending',
          accountId: context.accountId,
          subscriptionId: context.subscriptionId,
          action,
          rules: plan.rules,
          channel: context.channel,
          details: { request, dates: plan.dates },
          createdAt: now.toISOString(),
        },
        { at: now.toISOString(), accountId: context.accountId, action: `${action}:requested`, rules: plan.rules, channel: context.channel, caller: context.caller, details: { subscriptionId: context.subscriptionId, dates: plan.dates } },
      );
      if (supportCase.status === 'done') return { status: 'done', supportCase, dates: supportCase.details.dates as ActionDates, alreadyDone: true };
      return settle(supportCase, action, context);
    },

    async handOff(reason, context) {
      const decision = deps.policy.handoff(reason);
      const now = deps.now().toISOString();
      const unfinished = context.unfinishedActionKey ? await deps.cases.findByIdempotencyKey(context.unfinishedActionKey) : undefined;
      const { supportCase } = await deps.cases.openCase(
        {
          reference: newCaseReference(),
          idempotencyKey: context.idempotencyKey,
          kind: 'handoff',
          status: 'open',
          accountId: context.accountId,
          subscriptionId: context.subscriptionId ?? null,
          action: context.requestedAction ?? 'none',
          rules: decision.rules,
          channel: context.channel,
          details: { reason, organisationName: context.organisationName, caller: context.caller, ...(unfinished ? { unfinishedCase: unfinished.reference, unfinishedCaseStatus: unfinished.status } : {}), ...context.context },
          createdAt: now,
        },
        { at: now, accountId: context.accountId, action: `handoff:${reason}`, rules: decision.rules, channel: context.channel, caller: context.caller, details: { requestedAction: context.requestedAction ?? null } },
      );
      return supportCase;
    },

    async recordFeedback(caseReference, accountId, reason, comment, language) {
      await deps.cases.recordFeedback({
        caseReference,
        accountId,
        reason,
        comment: comment ? deps.mask(comment) : null,
        language,
        createdAt: deps.now().toISOString(),
      });
    },
  };
}

/** Two readings of a subscription are the same for a caller's decision when every fact the policy reads agrees. */
function sameFacts(a: SubscriptionFacts, b: SubscriptionFacts): boolean {
  const fields = (facts: SubscriptionFacts) => JSON.stringify([facts.status, facts.autoRenew, facts.termEnd, facts.cancelledAt, facts.dataDeletionAt, facts.kind, facts.channel, facts.plan, facts.billing, facts.assignedLicenses, facts.hasPaymentMethod, [...facts.customDomains].sort()]);
  return fields(a) === fields(b);
}
