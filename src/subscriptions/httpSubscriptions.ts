import { z } from 'zod';
import { createJsonClient, UpstreamError, type JsonClientOptions } from '../http/jsonClient';
import { subscriptionFactsSchema, type AccountAction } from '../policy';
import {
  SubscriptionChangedError,
  SubscriptionServiceUnavailableError,
  type SubscriptionChangeRequest,
  type SubscriptionService,
} from './subscriptionService';

const PATHS: Record<AccountAction, string> = {
  'turn-off-auto-renew': 'turn-off-auto-renew',
  'cancel-now': 'cancel',
  'fast-revoke': 'fast-revoke',
  reactivate: 'reactivate',
};

const answerSchema = z.object({ subscription: z.object({ id: z.string(), facts: subscriptionFactsSchema }) });

/**
 * The billing API:
 *   POST /accounts/{accountId}/subscriptions/{id}/{turn-off-auto-renew|cancel|fast-revoke|reactivate}
 *   header Idempotency-Key; body { expected, next } (what we saw, what the policy planned)
 *   → 200/201 { subscription }; 409 { subscription } when that key was already used (done before, same result);
 *   412 when the subscription no longer looks like `expected`.
 */
export function createHttpSubscriptions(options: JsonClientOptions): SubscriptionService {
  const client = createJsonClient(options);

  const run = (action: AccountAction) => async (request: SubscriptionChangeRequest) => {
    const path = `/accounts/${encodeURIComponent(request.accountId)}/subscriptions/${encodeURIComponent(request.subscriptionId)}/${PATHS[action]}`;
    const label = `POST /accounts/{accountId}/subscriptions/{id}/${PATHS[action]}`;
    let response;
    try {
      response = await client.request('POST', path, {
        body: { expected: request.expected, next: request.next },
        headers: { 'idempotency-key': request.idempotencyKey },
        accept: [409, 412],
        label,
      });
    } catch (error) {
      if (error instanceof UpstreamError) throw new SubscriptionServiceUnavailableError(`billing API: ${error.failure}`, { cause: error });
      throw error;
    }
    if (response.status === 412) throw new SubscriptionChangedError(request.subscriptionId);
    const parsed = answerSchema.safeParse(response.body);
    if (!parsed.success) throw new SubscriptionServiceUnavailableError(`billing API: unexpected response to ${label}`, { cause: parsed.error });
    return { facts: parsed.data.subscription.facts, alreadyApplied: response.status === 409 };
  };

  return {
    turnOffAutoRenew: run('turn-off-auto-renew'),
    cancelNow: run('cancel-now'),
    fastRevoke: run('fast-revoke'),
    reactivate: run('reactivate'),
  };
}
