import type { AccountDirectory } from '../accounts/directory';
import { unique, type AccountAction, type CallerStanding, type HandoffReason, type Policy, type RuleId, type SubscriptionFacts } from '../policy';

const NOT_VERIFIED: CallerStanding = { verifiedAt: null, lastActiveAt: null, isAdmin: false };
import { planAction, type ActionDates } from '../subscriptions/effects';
import { SubscriptionChangedError, type SubscriptionChangeRequest, type SubscriptionService } from '../subscriptions/subscriptionService';
import type { CaseLog, SupportCase } from './caseLog';
import { newCaseReference } from './caseReference';
import type { HandoffPacket } from './handoffPacket';

/** Who is asking, where, and under which key: enough to act once and to write the case and audit record. */
export interface ActionContext {
  accountId: string;
  subscriptionId: string;
  /** Derived from the conversation and the request: the same request always carries the same key. */
  idempotencyKey: string;
  channel: string;
  /** The Microsoft 365 tenant the caller wrote from (Teams), recorded with the case. */
  tenant?: string;
  /** The caller's user ID, masked (`a***@fjordfika.se`). */
  caller: string;
  /** The subscription as the caller saw it in the summary they confirmed; if it differs now, nothing is done. */
  shown?: SubscriptionFacts;
  /**
   * Who the conversation verified, and how they stand now (ID-1, ID-2). The domain asks the policy itself, so no
   * dialog bug can change a subscription for a non-admin, another account's caller or a lapsed verification.
   */
  verifiedCaller: { accountId: string; standing: CallerStanding } | undefined;
  /**
   * Agent-assisted: an agent verified the caller on the phone and acts for them (`agent:<id>`). The case and every
   * audit record of it say so; the policy and the action are the same as for a caller who verifies themselves.
   */
  assistedBy?: string;
}

export type ActionOutcome =
  | { status: 'done'; supportCase: SupportCase; dates: ActionDates; alreadyDone: boolean }
  | { status: 'not-allowed'; rules: RuleId[]; reason: string }
  /** The caller may not act on this account (not verified, verification lapsed, not an admin): nothing was done. */
  | { status: 'not-permitted'; rules: RuleId[]; reason: string }
  /** The subscription changed since the caller saw the summary: nothing was done. */
  | { status: 'changed' };

/** What a hand-off is built from; the packet (AS-2) is completed here with the unfinished case, if any. */
export interface HandoffRequest {
  /** The verified account, or null for a caller who is not (yet) verified. */
  accountId: string | null;
  idempotencyKey: string;
  channel: string;
  /** The Microsoft 365 tenant the caller wrote from (Teams). */
  tenant?: string;
  packet: Omit<HandoffPacket, 'reason' | 'unfinishedCase'>;
  /** The key of an action that could not be finished: its (pending) case is named in the hand-off, for the agent to settle. */
  unfinishedActionKey?: string;
}

/** What became of a pending case tried again without the caller: done now, settled before (by a turn or an agent), or not done. */
export type RetriedCase = 'done-now' | 'settled-before' | 'not-done';

export interface AccountActions {
  /** Carries out an action the policy allows, exactly once per idempotency key, and records case and audit. */
  perform(action: AccountAction, context: ActionContext): Promise<ActionOutcome>;
  /** The action case of this key if its change is still to be made (the backend failed), for a later try. */
  findUnfinished(idempotencyKey: string): Promise<SupportCase | undefined>;
  /**
   * Makes the change of a pending case, as agreed with the caller when it was opened (same request, same key, so at
   * most once). Throws SubscriptionServiceUnavailableError while the backend is still away.
   */
  retryPending(reference: string, by?: string): Promise<RetriedCase>;
  /**
   * An agent decides a pending case's change is not to be made (the caller changed their mind on the phone): it is
   * settled "not done", in the audit under the agent's name; false when it was no longer pending.
   */
  abandonPending(reference: string, by: string): Promise<boolean>;
  /** AS-2: opens a hand-off case for a human agent with the verified context; once per idempotency key. */
  handOff(reason: HandoffReason, request: HandoffRequest): Promise<{ supportCase: SupportCase; created: boolean }>;
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

  async function settle(supportCase: SupportCase, action: AccountAction, context: Pick<ActionContext, 'accountId' | 'subscriptionId' | 'channel' | 'caller'>): Promise<ActionOutcome> {
    const request = supportCase.details.request as SubscriptionChangeRequest;
    const dates = supportCase.details.dates as ActionDates;
    // An agent-assisted case stays marked so in every record of it, whoever settles it.
    const assistedBy = supportCase.details.assistedBy as string | undefined;
    const audit = { at: deps.now().toISOString(), accountId: context.accountId, rules: supportCase.rules, channel: context.channel, caller: context.caller };
    try {
      const result = await deps.subscriptions[SERVICE_CALL[action]](request);
      const { supportCase: settled, settled: byUs } = await deps.cases.settleCase(supportCase.reference, 'done', { alreadyApplied: result.alreadyApplied }, { ...audit, action: `${action}:done`, details: { subscriptionId: context.subscriptionId, dates, alreadyApplied: result.alreadyApplied, ...assisted({ assistedBy }) } });
      return { status: 'done', supportCase: settled, dates, alreadyDone: !byUs };
    } catch (error) {
      if (!(error instanceof SubscriptionChangedError)) throw error; // unavailable: the case stays pending for the retry
      await deps.cases.settleCase(supportCase.reference, 'not-done', {}, { ...audit, action: `${action}:not-done`, details: { reason: 'subscription-changed', ...assisted({ assistedBy }) } });
      return { status: 'changed' };
    }
  }

  return {
    async perform(action, context) {
      // Verified for another account counts as not verified for this one.
      const standing = context.verifiedCaller?.accountId === context.accountId ? context.verifiedCaller.standing : NOT_VERIFIED;
      const access = deps.policy.access(standing, deps.now());
      if (access.level !== 'account-actions') return { status: 'not-permitted', rules: access.rules, reason: access.reason };
      // Asked together — the subscription's facts are what a first request needs — on PostgreSQL two connections at
      // once: one round trip's wait instead of two. A replayed request needs no facts: their failure is its own.
      const factsRead = currentFacts(context.accountId, context.subscriptionId);
      factsRead.catch(() => undefined); // awaited below, only where needed
      const existing = await deps.cases.findByIdempotencyKey(context.idempotencyKey);
      // A key stands for one request: replayed for anything else, it settles nothing.
      if (existing && (existing.kind !== 'action' || existing.accountId !== context.accountId || existing.subscriptionId !== context.subscriptionId || existing.action !== action)) {
        return { status: 'not-allowed', rules: [], reason: 'idempotency-key-reused' };
      }
      if (existing?.status === 'done') return { status: 'done', supportCase: existing, dates: existing.details.dates as ActionDates, alreadyDone: true };
      if (existing?.status === 'pending') return settle(existing, action, context);
      if (existing?.status === 'not-done') return { status: 'changed' };

      const facts = await factsRead;
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
          details: { request, dates: plan.dates, ...(context.tenant ? { tenant: context.tenant } : {}), ...assisted(context) },
          createdAt: now.toISOString(),
        },
        { at: now.toISOString(), accountId: context.accountId, action: `${action}:requested`, rules: plan.rules, channel: context.channel, caller: context.caller, details: { subscriptionId: context.subscriptionId, dates: plan.dates, ...assisted(context) } },
      );
      if (supportCase.status === 'done') return { status: 'done', supportCase, dates: supportCase.details.dates as ActionDates, alreadyDone: true };
      return settle(supportCase, action, context);
    },

    async findUnfinished(idempotencyKey) {
      const found = await deps.cases.findByIdempotencyKey(idempotencyKey);
      return found?.kind === 'action' && found.status === 'pending' ? found : undefined;
    },

    async retryPending(reference, by) {
      const supportCase = await deps.cases.findCase(reference);
      if (!supportCase || supportCase.kind !== 'action' || supportCase.status !== 'pending' || !supportCase.accountId || !supportCase.subscriptionId || supportCase.action === 'none') return 'settled-before';
      const outcome = await settle(supportCase, supportCase.action, {
        accountId: supportCase.accountId,
        subscriptionId: supportCase.subscriptionId,
        channel: supportCase.channel,
        // The audit says who asked: the caller did, when the case was opened; this record is who finished it.
        caller: by ?? 'assistant (retry)',
      });
      if (outcome.status !== 'done') return 'not-done';
      return outcome.alreadyDone ? 'settled-before' : 'done-now';
    },

    async abandonPending(reference, by) {
      const supportCase = await deps.cases.findCase(reference);
      if (!supportCase || supportCase.kind !== 'action' || supportCase.status !== 'pending') return false;
      const audit = { at: deps.now().toISOString(), accountId: supportCase.accountId, action: `${supportCase.action}:abandoned`, rules: supportCase.rules, channel: supportCase.channel, caller: by, details: { subscriptionId: supportCase.subscriptionId } };
      const { settled } = await deps.cases.settleCase(reference, 'not-done', { abandonedBy: by }, audit);
      return settled;
    },

    async handOff(reason, request) {
      const decision = deps.policy.handoff(reason);
      const now = deps.now().toISOString();
      const unfinished = request.unfinishedActionKey ? await deps.cases.findByIdempotencyKey(request.unfinishedActionKey) : undefined;
      const packet: HandoffPacket = {
        reason,
        ...request.packet,
        unfinishedCase: unfinished ? { reference: unfinished.reference, status: unfinished.status } : null,
      };
      const rules = unique([...decision.rules, ...(packet.decision?.rules ?? [])]);
      return deps.cases.openCase(
        {
          reference: newCaseReference(),
          idempotencyKey: request.idempotencyKey,
          kind: 'handoff',
          status: 'open',
          accountId: request.accountId,
          subscriptionId: packet.subscription?.id ?? null,
          action: packet.wanted.action ?? 'none',
          rules,
          channel: request.channel,
          details: { packet, ...(request.tenant ? { tenant: request.tenant } : {}) },
          createdAt: now,
        },
        {
          at: now,
          accountId: request.accountId,
          action: `handoff:${reason}`,
          rules,
          channel: request.channel,
          caller: packet.caller.userId ?? 'not verified',
          details: { requestedAction: packet.wanted.action, verified: packet.caller.verified },
        },
      );
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

/** The audit's mark of an agent-assisted case: `{ agentAssisted: true, assistedBy: 'agent:maja' }`, or nothing. */
function assisted(context: { assistedBy?: string }): Record<string, unknown> {
  return context.assistedBy ? { agentAssisted: true, assistedBy: context.assistedBy } : {};
}

/** Two readings of a subscription are the same for a caller's decision when every fact the policy reads agrees. */
function sameFacts(a: SubscriptionFacts, b: SubscriptionFacts): boolean {
  const fields = (facts: SubscriptionFacts) => JSON.stringify([facts.status, facts.autoRenew, facts.termEnd, facts.cancelledAt, facts.dataDeletionAt, facts.kind, facts.channel, facts.plan, facts.billing, facts.assignedLicenses, facts.hasPaymentMethod, [...facts.customDomains].sort()]);
  return fields(a) === fields(b);
}
