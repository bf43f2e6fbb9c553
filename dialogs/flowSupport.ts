import { createHash } from 'node:crypto';
import type { TurnContext } from 'botbuilder';
import type { i18n } from 'i18next';
import type { Account } from '../src/accounts/account';
import { DirectoryUnavailableError, type AccountDirectory } from '../src/accounts/directory';
import type { Vocabulary } from '../src/bot/vocabulary';
import type { AccountActions } from '../src/cases/accountActions';
import type { Logger } from '../src/log';
import type { AccountAction, Policy, SubscriptionFacts } from '../src/policy';
import type { OtpSender } from '../src/verification/otp';
import type { Phrase } from './questions';
import type { InterruptibleDeps } from './interruptibleDialog';

/** What the account flows need, built once at start-up. */
export interface FlowDeps extends InterruptibleDeps {
  i18n: i18n;
  policy: Policy;
  vocabulary: Vocabulary;
  directory: AccountDirectory;
  actions: AccountActions;
  otp: { sender: OtpSender; ttlMinutes: number };
  now: () => Date;
  logger: Logger;
}

/** What MainDialog hands every account flow once the caller is verified as an admin. */
export interface AccountFlowOptions {
  accountId: string;
  organisationName: string;
  /** The caller's user ID, masked, for the audit log. */
  caller: string;
}

/** "Office 365 Small Business (12 licences)", in whichever language it is rendered. */
export function subscriptionPhrase(facts: SubscriptionFacts): Phrase {
  return { key: 'account:subscriptionLabel', params: { plan: { key: `account:plans.${facts.plan}` }, count: facts.assignedLicenses } };
}

/**
 * The same request in the same conversation always yields the same key: a retried turn or a double click finds
 * the case the first one made instead of acting twice. `flowId` is fixed when the flow starts.
 */
export function idempotencyKey(context: TurnContext, flowId: string, action: AccountAction | 'handoff', subscriptionId: string): string {
  const { channelId, conversation } = context.activity;
  return createHash('sha256').update([channelId, conversation.id, flowId, action, subscriptionId].join('|')).digest('hex');
}

/**
 * The account and one subscription, read fresh (the facts may have changed since the last turn). Undefined when the
 * directory cannot answer or the subscription is gone; the flow then apologises without changing anything.
 */
export async function readSubscription(deps: FlowDeps, accountId: string, subscriptionId: string): Promise<{ account: Account; facts: SubscriptionFacts } | undefined> {
  try {
    const account = await deps.directory.findAccount(accountId);
    const facts = account?.subscriptions.find((s) => s.id === subscriptionId)?.facts;
    return account && facts ? { account, facts } : undefined;
  } catch (error) {
    if (!(error instanceof DirectoryUnavailableError)) throw error;
    deps.logger.error('flow.directory-unavailable', { error });
    return undefined;
  }
}
