import { CloudAdapter, type Activity, type ResourceResponse, type TurnContext } from 'botbuilder';
import { DEFAULT_REPLY_RETRY, withReplyRetries } from './replyRetry';
import { ConnectorClients, LazyUserTokens } from './connectorClients';
import type { MergesReplies } from './heldReplies';

/** Teams gives a turn 15 s; replies get 12 of them from the turn's start, so the turn still ends in time. */
const TURN_REPLY_BUDGET_MS = 12_000;
const REPLY_DEADLINE = Symbol('replyDeadline');
import { AuthenticationError, type BotFrameworkAuthentication } from 'botframework-connector';

export type InboundOutcome =
  | { kind: 'processed'; status: number; body?: unknown }
  | { kind: 'unauthorized'; error: unknown }
  | { kind: 'identity-unavailable'; error: unknown };

/** Errors of the JWT library that mean "this caller's token is not good", as opposed to "we could not check it". */
const TOKEN_REJECTIONS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/**
 * The SDK's CloudAdapter, with authentication split from processing so the server can tell a caller with a bad
 * token (401) from an identity service it cannot reach (503). The SDK's own `process` folds both into its reply
 * and puts the internal error text in the body.
 */
export class ChannelAdapter extends CloudAdapter implements MergesReplies {
  private readonly connectors = new ConnectorClients();
  /**
   * @param mergesReplies Every reply is a post to the Bot Connector: a turn's messages go in as few as can be (see
   * heldReplies), unless configured otherwise (MERGE_REPLIES).
   */
  constructor(auth: BotFrameworkAuthentication, readonly mergesReplies = true) {
    super(new LazyUserTokens(auth));
  }

  /**
   * Each reply on its own, retried when the connector says "not now" (see replyRetry): sending them together would
   * send the ones already delivered again.
   */
  async sendActivities(context: TurnContext, activities: Partial<Activity>[]): Promise<ResourceResponse[]> {
    withoutPipelineRetries(context.turnState.get(this.ConnectorClientKey));
    // A proactive send (the outbox) has no turn deadline yet: its budget starts with its first reply.
    if (context.turnState.get(REPLY_DEADLINE) === undefined) context.turnState.set(REPLY_DEADLINE, Date.now() + TURN_REPLY_BUDGET_MS);
    const options = { ...DEFAULT_REPLY_RETRY, deadline: context.turnState.get(REPLY_DEADLINE) as number };
    const responses: ResourceResponse[] = [];
    for (const activity of activities) responses.push(...(await withReplyRetries(() => super.sendActivities(context, [activity]), options)));
    return responses;
  }

  /**
   * Authenticates first, then runs the turn through `schedule` (the per-conversation queue): a request with a bad
   * token is refused at once and never waits behind, or holds up, the conversation it names.
   */
  async handleInbound(
    activity: Activity,
    authorization: string,
    logic: (context: TurnContext) => Promise<void>,
    schedule: <T>(turn: () => Promise<T>) => Promise<T> = (turn) => turn(),
  ): Promise<InboundOutcome> {
    let authenticated;
    try {
      authenticated = await this.botFrameworkAuthentication.authenticateRequest(activity, authorization);
    } catch (error) {
      return isTokenRejection(error) ? { kind: 'unauthorized', error } : { kind: 'identity-unavailable', error };
    }
    const invokeResponse = await schedule(() => this.processActivity(this.connectors.reuseFor(authenticated), activity, logic));
    return { kind: 'processed', status: invokeResponse?.status ?? 200, body: invokeResponse?.body };
  }
}

/**
 * The connector client's HTTP pipeline retries 5xx (500 included) and 429 on its own, under our retries: a 500 may
 * mean the message was posted, and retries on retries outlast the channel's budget. Ours (replyRetry) are the only ones.
 */
function withoutPipelineRetries(connector: unknown): void {
  const pipeline = (connector as { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } } | undefined)?.client?.pipeline;
  pipeline?.removePolicy({ name: SDK_RETRY_POLICY });
}

/** The name @azure/core-rest-pipeline gives its default retry policy (exponential, throttling and system errors). */
const SDK_RETRY_POLICY = 'defaultRetryPolicy';

/**
 * The replies' budget counts from here: call it when the turn really starts (after it got its conversation's lock,
 * which may have meant waiting for another instance), not when the request arrived.
 */
export function startReplyBudget(context: TurnContext): void {
  context.turnState.set(REPLY_DEADLINE, Date.now() + TURN_REPLY_BUDGET_MS);
}

function isTokenRejection(error: unknown): boolean {
  // The SDK reports a metadata or key download failure as an AuthenticationError too, but with status 500.
  if (error instanceof AuthenticationError) return error.statusCode === 401 || error.statusCode === 403;
  return error instanceof Error && TOKEN_REJECTIONS.has(error.name);
}
