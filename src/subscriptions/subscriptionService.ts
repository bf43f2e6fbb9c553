import type { SubscriptionFacts } from '../policy';

/** One request to change a subscription. The same idempotency key always means the same change, done once. */
export interface SubscriptionChangeRequest {
  accountId: string;
  subscriptionId: string;
  idempotencyKey: string;
  /** The subscription as it must be before the change (a stale view is refused, not applied). */
  expected: SubscriptionFacts;
  /** The subscription after the change, as the policy planned it. */
  next: SubscriptionFacts;
}

export interface SubscriptionChangeResult {
  facts: SubscriptionFacts;
  /** The key had been used before: nothing was changed this time. */
  alreadyApplied: boolean;
}

/** Where subscriptions are changed: the embedded SQLite file or the billing API. */
export interface SubscriptionService {
  turnOffAutoRenew(request: SubscriptionChangeRequest): Promise<SubscriptionChangeResult>;
  cancelNow(request: SubscriptionChangeRequest): Promise<SubscriptionChangeResult>;
  fastRevoke(request: SubscriptionChangeRequest): Promise<SubscriptionChangeResult>;
  reactivate(request: SubscriptionChangeRequest): Promise<SubscriptionChangeResult>;
}

export class SubscriptionServiceUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SubscriptionServiceUnavailableError';
  }
}

/** The subscription changed since the caller was shown what would happen: show them again rather than act. */
export class SubscriptionChangedError extends Error {
  constructor(subscriptionId: string) {
    super(`subscription ${subscriptionId} changed since it was read`);
    this.name = 'SubscriptionChangedError';
  }
}
