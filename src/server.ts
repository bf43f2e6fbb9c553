import restify, { type Request, type Response as RestifyResponse, type Server } from 'restify';
import { ConfigurationBotFrameworkAuthentication, type Activity, type ConversationReference, type TurnContext } from 'botbuilder';
import { ChannelAdapter, startReplyBudget } from './bot/channelAdapter';
import { z } from 'zod';
import type { AppConfig } from './config';
import type { Logger } from './log';
import { createBotRuntime, type BotRuntime, type RuntimeOverrides } from './composition/runtime';
import { createTurnErrorHandler } from './bot/turnError';
import { createTurnQueue, TurnQueueFullError } from './bot/turnQueue';
import { startConversationSweep } from './storage/conversationSweep';
import { withinTime } from './timing';
import { startOutboxWorker } from './bot/outboxWorker';
import { setTurnLock } from './conversation/turnLock';
import { requestResume, type HandBackTarget } from './conversation/liveHandoff';
import { createOriginPolicy } from './channels/cors';
import { createRateLimiter } from './channels/rateLimiter';
import { DirectLineError, LOCAL_CHANNEL_ID, LOCAL_SERVICE_URL, LocalDirectLine } from './channels/directLine/localDirectLine';
import { LocalDirectLineAdapter } from './channels/directLine/localAdapter';
import { registerDirectLineRoutes } from './channels/directLine/routes';
import { directLineServiceTokens, localTokens } from './channels/directLine/tokens';
import { registerWidgetRoutes } from './channels/webChat/widgetRoutes';
import { createAgentRelay, type AgentRelay } from './bot/agentRelay';
import { startAgentsChannelNotices } from './bot/agentsChannel';
import { isAgentFormPost, registerAgentAuth } from './console/auth/routes';
import { createAgentAccounts } from './console/auth/agentAccounts';
import { registerConsoleAssets, registerConsoleRoutes } from './console/consoleRoutes';
import { registerAssistedRoutes } from './console/assistedRoutes';
import { registerInsightsAssets, registerInsightsRoutes } from './console/insightsRoutes';
import { skipBufferDeprecationCheck } from './http/bufferDeprecation';

const HEALTH_TIMEOUT_MS = 1_000;


/** The least an inbound activity must carry for the bot to answer it; the SDK checks the rest. */
const inboundActivitySchema = z.looseObject({
  type: z.string().min(1),
  channelId: z.string().min(1),
  serviceUrl: z.url({ protocol: /^https?$/ }),
  conversation: z.looseObject({ id: z.string().min(1) }),
});

export interface App {
  server: Server;
  /** Delivers what the outbox owes now (it also runs on its own, see OUTBOX_INTERVAL_MS); returns how many entries it handled. */
  deliverOutbox(): Promise<number>;
  /** Deletes abandoned conversations now (it also runs on its own, see CONVERSATION_RETENTION_MINUTES). */
  sweepConversations(): Promise<number>;
  runtime: BotRuntime;
  adapter: ChannelAdapter;
  /** The bot's own Direct Line endpoint for the widget, when it serves one (no DIRECTLINE_SECRET). */
  localDirectLine?: LocalDirectLine;
  /** What agents do with hand-offs (the console calls it): take, reply, hand back, close. */
  agentRelay: AgentRelay;
  listen(): Promise<{ port: number; url: string }>;
  close(): Promise<void>;
}

/** Builds the HTTP server around a bot runtime; does not listen until asked. */
export async function createApp(config: AppConfig, logger: Logger, overrides?: RuntimeOverrides): Promise<App> {
  // The agents file: the console signs agents in with it, and the bot knows them in Teams by their Entra object ID —
  // as the same agent the console knows: `entra-<object ID>` where agents sign in with Entra ID, else their local id.
  const agentAccounts = createAgentAccounts({ file: config.agents.accountsFile, logger });
  const agentInTeams = (context: TurnContext) => {
    const objectId = context.activity.channelId === 'msteams' ? context.activity.from?.aadObjectId : undefined;
    const agent = objectId ? agentAccounts.byEntraObjectId(objectId) : undefined;
    return agent && config.agents.oidc ? { id: `entra-${objectId?.toLowerCase()}`, displayName: agent.displayName } : agent;
  };
  const runtime = await createBotRuntime(config, logger, { agentInTeams, ...overrides });
  const adapter = new ChannelAdapter(new ConfigurationBotFrameworkAuthentication(config.auth), config.mergeReplies);
  adapter.onTurnError = createTurnErrorHandler(runtime, config.defaultLanguage);
  const turns = createTurnQueue(config.maxQueuedTurns);
  const localDirectLine =
    config.webChat.directLine.kind === 'local'
      ? new LocalDirectLine({ runTurn: (activity) => runLocalTurn(activity), logger, idleMinutes: config.conversationRetentionMinutes })
      : undefined;
  const localAdapter = localDirectLine ? new LocalDirectLineAdapter(localDirectLine) : undefined;
  if (localAdapter) localAdapter.onTurnError = adapter.onTurnError;
  /** Replies to a local Direct Line conversation go through its own adapter, proactive ones (the outbox) too. */
  const adapterFor = (serviceUrl: string | undefined): ChannelAdapter => (localAdapter && serviceUrl === LOCAL_SERVICE_URL ? localAdapter : adapter);
  // updated_at is real time (the machine's clock, or PostgreSQL's), never the policy clock that tests may stop.
  const outboxWorker = startOutboxWorker({
    outbox: runtime.outbox,
    deliver: (conversation, activity) => deliverProactively(adapterFor(conversation.serviceUrl), config.auth.MicrosoftAppId, conversation, activity),
    retryPendingCase: (reference) => runtime.actions.retryPending(reference),
    logger,
    intervalMs: config.outbox.intervalMs,
    maxAgeMs: config.outbox.maxAgeHours * 3_600_000,
  });
  const agentRelay = createAgentRelay({
    ...runtime.liveHandoffs,
    cases: runtime.cases,
    i18n: runtime.i18n,
    now: () => new Date(),
    logger,
    deliver: (conversation, activity) => deliverProactively(adapterFor(conversation.serviceUrl as string | undefined), config.auth.MicrosoftAppId, conversation, activity),
    resume: (conversation, target) => resumeBot(conversation as Partial<ConversationReference>, target),
    insights: runtime.insights.recorder,
  });
  // Each new hand-off also as a card in the agents' Teams channel, when there is one.
  const stopAgentsChannel = config.agentsTeamsChannel
    ? startAgentsChannelNotices({
        ...runtime.liveHandoffs,
        i18n: runtime.i18n,
        language: config.defaultLanguage,
        channel: config.agentsTeamsChannel,
        logger,
        deliver: (conversation, activity) => deliverProactively(adapter, config.auth.MicrosoftAppId, conversation, activity),
      })
    : () => undefined;
  const sweep = startConversationSweep({ store: runtime.store, transcripts: runtime.transcripts, retentionMinutes: config.conversationRetentionMinutes, now: () => new Date(), logger });

  skipBufferDeprecationCheck();
  const server = restify.createServer({ name: 'subscription-support-bot', handleUncaughtExceptions: false });
  // restify would inflate a compressed body without a limit: 200 kB of gzip can become 200 MB. Channels send plain JSON.
  server.pre((req: Request, res: RestifyResponse, next: () => void) => {
    // Channels and the widget send JSON, and only JSON is read: a multipart body would be written to temporary files by
    // the parser, and a form body is what any web page can make a visitor's browser post to a bot on their machine.
    // The agent console's own forms (sign-in, take, reply …) are the one exception, on their exact paths.
    if (hasBody(req) && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(String(req.headers['content-type'] ?? '')) && !isAgentFormPost(req)) {
      res.send(415, { error: 'UnsupportedMediaType' });
      return;
    }
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity') {
      logger.warn('http.encoding-refused', { encoding: String(encoding) });
      res.send(415, { error: 'UnsupportedMediaType' });
      return;
    }
    next();
  });
  server.use(restify.plugins.bodyParser({ maxBodySize: config.maxBodyBytes, mapParams: false, mapFiles: false }));

  // restify's own errors (bad JSON, body too large, unknown route) carry parser details: answer with a code only.
  server.on('restifyError', (req: Request, _res: RestifyResponse, err: any, callback: () => void) => {
    logger.warn('http.error', { method: req.method, path: req.path(), status: err.statusCode, error: err });
    const code = typeof err.name === 'string' ? err.name.replace(/Error$/, '') || 'Error' : 'Error';
    err.toJSON = () => ({ error: code });
    err.toString = () => code;
    return callback();
  });

  // Shutting down: new turns are refused (the channel retries them on another instance, or later); running ones finish.
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | undefined;

  server.post('/api/messages', async (req: Request, res: RestifyResponse) => {
    if (stopping) {
      res.send(503, { error: 'ShuttingDown' });
      return;
    }
    inFlight++;
    try {
      await handleMessage(req, res);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  });

  /** One activity as one turn: in its conversation's queue on this instance, under its lock across instances. */
  function runTurn(turnAdapter: ChannelAdapter, activity: Activity, authorization: string) {
    const key = `${activity.channelId}/${activity.conversation.id}`;
    return turnAdapter.handleInbound(
      activity,
      authorization,
      // Inside the turn, so a database that cannot give the lock is an apology to the caller like any outage.
      (context) =>
        runtime.conversationLock.run(
          key,
          (stillHeld, transaction) => {
            setTurnLock(context, stillHeld, transaction);
            startReplyBudget(context);
            return runtime.bot.run(context);
          },
          runtime.stateKeys(context),
        ),
      (turn) => turns.run(key, turn),
    );
  }

  /**
   * The bot's own turn in a caller's conversation, started by an agent handing the caller back (or closing): in the
   * conversation's queue and under its lock like any turn, so it cannot overlap a message of the caller's.
   */
  async function resumeBot(conversation: Partial<ConversationReference>, target: HandBackTarget): Promise<void> {
    // Counted like a request, so a server stopping waits for it before it closes the stores.
    if (stopping) throw new Error('the server is stopping');
    const key = `${conversation.channelId}/${conversation.conversation?.id}`;
    let failure: unknown;
    inFlight++;
    try {
      await resumeTurn();
    } finally {
      if (--inFlight === 0) drained?.();
    }
    if (failure !== undefined) throw failure;

    function resumeTurn() {
      return turns.run(key, () =>
        adapterFor(conversation.serviceUrl).continueConversationAsync(config.auth.MicrosoftAppId, conversation, (context) =>
          runtime.conversationLock.run(key, async (stillHeld, transaction) => {
            setTurnLock(context, stillHeld, transaction);
            startReplyBudget(context);
            context.onSendActivities(async (_context, activities, next) => {
              for (const sent of activities) delete sent.replyToId; // see deliverProactively
              return next();
            });
            requestResume(context, target);
            try {
              await runtime.bot.run(context);
            } catch (error) {
              failure = error;
            }
          }),
        ),
      );
    }
  }

  /** A turn of a local Direct Line conversation: counted like a request, refused once the server is stopping. */
  async function runLocalTurn(activity: Partial<Activity>): Promise<void> {
    if (stopping || !localAdapter) throw new DirectLineError(503, 'ShuttingDown');
    inFlight++;
    try {
      await runTurn(localAdapter, activity as Activity, '');
    } catch (error) {
      if (error instanceof TurnQueueFullError) throw new DirectLineError(503, 'TooManyMessages');
      throw error;
    } finally {
      if (--inFlight === 0) drained?.();
    }
  }

  async function handleMessage(req: Request, res: RestifyResponse): Promise<void> {
    const parsed = inboundActivitySchema.safeParse(req.body);
    if (!parsed.success) {
      res.send(400, { error: 'InvalidActivity' });
      return;
    }
    // The local Direct Line conversations are spoken in through their own endpoint and tokens only.
    if (parsed.data.serviceUrl === LOCAL_SERVICE_URL || (parsed.data.channelId === LOCAL_CHANNEL_ID && localDirectLine?.owns(parsed.data.conversation.id))) {
      res.send(403, { error: 'Forbidden' });
      return;
    }
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : '';
    try {
      const outcome = await runTurn(adapter, parsed.data as unknown as Activity, authorization);
      if (outcome.kind === 'unauthorized') {
        logger.warn('http.messages.unauthorized', { error: outcome.error as Error });
        res.send(401, { error: 'Unauthorized' });
      } else if (outcome.kind === 'identity-unavailable') {
        logger.error('http.messages.identity-unavailable', { error: outcome.error as Error });
        res.send(503, { error: 'ServiceUnavailable' });
      } else if (outcome.body !== undefined) {
        res.send(outcome.status, outcome.body); // invoke responses (cards, Teams) carry a body the channel needs
      } else {
        res.send(outcome.status);
      }
    } catch (error) {
      if (error instanceof TurnQueueFullError) {
        // A conversation flooded with messages: the channel may retry these later; the ones queued go on.
        logger.warn('http.messages.queue-full', { conversationId: (req.body as { conversation?: { id?: string } })?.conversation?.id });
        res.send(503, { error: 'TooManyMessages' });
        return;
      }
      logger.error('http.messages.failed', { error: error as Error });
      res.send(500, { error: 'InternalError' });
    }
  }

  const directLine = config.webChat.directLine;
  registerDirectLineRoutes(server, {
    tokens: directLine.kind === 'service' ? directLineServiceTokens(directLine) : localDirectLine ? localTokens(localDirectLine) : undefined,
    local: localDirectLine,
    origins: createOriginPolicy(config.webChat.allowedOrigins),
    limiter: createRateLimiter(config.webChat.tokensPerMinute),
    trustProxy: config.webChat.trustProxy,
    logger,
  });
  // The demo help page (with its demo-account hints) where the bot serves its own widget conversations: development.
  registerWidgetRoutes(server, { demoPage: localDirectLine !== undefined });

  // The agent console: sign-in (each agent as themselves), the queue, live conversations, and /api/handoffs.
  const agentAuth = registerAgentAuth(server, {
    ...config.agents,
    accounts: agentAccounts,
    logger,
    i18n: runtime.i18n,
    trustProxy: config.webChat.trustProxy,
    defaultLanguage: config.defaultLanguage,
    onAgentEvent: (event) =>
      runtime.cases.audit({
        at: event.at.toISOString(),
        caseReference: null,
        accountId: null,
        action: `agent:${event.type}`,
        rules: [],
        channel: 'console',
        caller: event.type === 'sign-in-failed' ? `agent:${event.attemptedId ?? 'unknown'}` : `agent:${event.agent.id}`,
        details: event.type === 'sign-in-failed' ? { reason: event.reason } : event.type === 'sign-in' ? { agent: event.agent, method: event.method } : { agent: event.agent },
      }),
  });
  registerConsoleRoutes(server, {
    auth: agentAuth,
    ...runtime.liveHandoffs,
    relay: agentRelay,
    cases: runtime.cases,
    pending: { retry: (reference, by) => runtime.actions.retryPending(reference, by), abandon: (reference, by) => runtime.actions.abandonPending(reference, by) },
    i18n: runtime.i18n,
    logger,
  });
  // Agent-assisted verification: an agent verifies a caller by phone (the chat's lockout) and acts for them.
  registerAssistedRoutes(server, {
    auth: agentAuth,
    verification: runtime.verification,
    actions: runtime.actions,
    directory: runtime.directory,
    cases: runtime.cases,
    policy: runtime.policy,
    store: runtime.store,
    otp: runtime.otp,
    i18n: runtime.i18n,
    logger,
    now: overrides?.now ?? (() => new Date()),
  });
  registerConsoleAssets(server);
  // Insights for support leads: charts, CSV and /api/insights from the events table.
  registerInsightsRoutes(server, { auth: agentAuth, log: runtime.insights.log, i18n: runtime.i18n, logger, now: () => new Date() });
  registerInsightsAssets(server);

  server.get('/healthz', async (_req: Request, res: RestifyResponse) => {
    try {
      // A store that hangs must not hang the probe: a load balancer needs its answer within a second.
      await withinTime(runtime.store.ping(), HEALTH_TIMEOUT_MS);
      if (stopping) throw new Error('shutting down');
      res.send(200, { status: 'ok' });
    } catch (error) {
      logger.error('health.store-unavailable', { error: error as Error });
      res.send(503, { status: 'unavailable' });
    }
  });

  return {
    server,
    sweepConversations: sweep.sweepNow,
    deliverOutbox: outboxWorker.runOnce,
    runtime,
    adapter,
    localDirectLine,
    agentRelay,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server.address();
          resolve({ port: address.port, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}` });
        });
      }),
    close: async () => {
      stopping = true;
      stopAgentsChannel();
      sweep.stop();
      const outboxStopped = outboxWorker.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const turnsFinished = inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      // A pass of the outbox worker in flight finishes too, so its claims are settled before the store closes.
      const finished = Promise.all([turnsFinished, outboxStopped]);
      const limit = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownDrainMs).unref());
      if ((await Promise.race([finished, limit])) === 'timeout') logger.warn('server.drain-timeout', { inFlight, limitMs: config.shutdownDrainMs });
      // Idle keep-alive connections would hold server.close open; nothing is running on them any more.
      server.server.closeAllConnections?.();
      await Promise.race([closed, limit]);
      localDirectLine?.close();
      await runtime.close();
    },
  };
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * One activity into a conversation, outside any turn of the caller's. The turn's error handler must not run here (it
 * would apologise to the caller for a delivery problem), so a failure is caught inside and thrown to the worker.
 */
async function deliverProactively(adapter: ChannelAdapter, appId: string, conversation: Partial<ConversationReference>, activity: Partial<Activity>): Promise<void> {
  let failure: unknown;
  await adapter.continueConversationAsync(appId, conversation, async (context) => {
    // The SDK makes this a reply to its made-up continuation activity; Web Chat holds a reply to a message it never
    // saw for five seconds. It answers nothing the caller said, so it is no reply.
    context.onSendActivities(async (_context, activities, next) => {
      for (const sent of activities) delete sent.replyToId;
      return next();
    });
    try {
      await context.sendActivity(activity);
    } catch (error) {
      failure = error;
    }
  });
  if (failure !== undefined) throw failure;
}
