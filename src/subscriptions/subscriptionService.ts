import type { AccountAction, SubscriptionFacts } from '../policy';

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

/**
 * A service from one function that applies a change in a store: a change refused because the subscription moved on
 * stays what it is; any other failure means the store could not be reached or written (`store` names it in the log).
 */
export function subscriptionServiceOver(store: string, apply: (action: AccountAction, request: SubscriptionChangeRequest) => Promise<SubscriptionChangeResult>): SubscriptionService {
  const run = (action: AccountAction) => async (request: SubscriptionChangeRequest) => {
    try {
      return await apply(action, request);
    } catch (error) {
      if (error instanceof SubscriptionChangedError) throw error;
      throw new SubscriptionServiceUnavailableError(`the ${store} failed`, { cause: error });
    }
  };
  return {
    turnOffAutoRenew: run('turn-off-auto-renew'),
    cancelNow: run('cancel-now'),
    fastRevoke: run('fast-revoke'),
    reactivate: run('reactivate'),
  };
}
