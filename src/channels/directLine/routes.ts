import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../log';
import type { OriginPolicy } from '../cors';
import { clientAddress, type RateLimiter } from '../rateLimiter';
import { DirectLineError, type LocalDirectLine } from './localDirectLine';
import type { TokenSource } from './tokens';

export const TOKEN_PATH = '/api/directline/token';
export const LOCAL_DIRECTLINE_PATH = '/v3/directline';

export interface DirectLineRoutesOptions {
  tokens: TokenSource | undefined;
  /** The bot's own Direct Line endpoint, when it serves one. */
  local: LocalDirectLine | undefined;
  origins: OriginPolicy;
  limiter: RateLimiter;
  trustProxy: boolean;
  logger: Logger;
}

/** `POST /api/directline/token` for the widget, and the local Direct Line 3.0 endpoint when there is no secret. */
export function registerDirectLineRoutes(server: Server, options: DirectLineRoutesOptions): void {
  const { origins, logger } = options;

  server.opts(TOKEN_PATH, async (req: Request, res: Response) => origins.preflight(req, res));
  server.post(TOKEN_PATH, async (req: Request, res: Response) => {
    if (!origins.admit(req, res)) return;
    const admission = options.limiter.take(clientAddress(req, options.trustProxy));
    if (!admission.ok) {
      res.setHeader('Retry-After', String(admission.retryAfterSeconds));
      res.send(429, { error: 'TooManyRequests' });
      return;
    }
    if (!options.tokens) {
      res.send(503, { error: 'WebChatNotConfigured' });
      return;
    }
    try {
      res.setHeader('Cache-Control', 'no-store');
      res.send(200, await options.tokens.issue());
    } catch (error) {
      if (error instanceof DirectLineError) {
        res.send(error.status, { error: error.code });
        return;
      }
      // The Direct Line service is down or refused the secret: the widget says chat is not available just now.
      logger.error('directline.token-failed', { error: error as Error });
      res.send(502, { error: 'DirectLineUnavailable' });
    }
  });

  const local = options.local;
  if (!local) return;

  const bearer = (req: Request) => /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
  /** Answers with what `work` returns, or with Direct Line's error shape (`{ error: { code } }`). */
  const handle = (work: (req: Request) => unknown) => async (req: Request, res: Response) => {
    if (!origins.admit(req, res)) return;
    res.setHeader('Cache-Control', 'no-store');
    try {
      res.send(200, await work(req));
    } catch (error) {
      if (error instanceof DirectLineError) {
        res.send(error.status, { error: { code: error.code } });
        return;
      }
      logger.error('directline.local.failed', { error: error as Error });
      res.send(502, { error: { code: 'BotError' } });
    }
  };
  const conversationId = (req: Request) => String(req.params.conversationId);

  server.opts(`${LOCAL_DIRECTLINE_PATH}/*`, async (req: Request, res: Response) => origins.preflight(req, res));
  server.post(`${LOCAL_DIRECTLINE_PATH}/conversations`, handle((req) => local.start(bearer(req), (req.body ?? {}) as { locale?: string })));
  server.get(`${LOCAL_DIRECTLINE_PATH}/conversations/:conversationId`, handle((req) => local.resume(bearer(req), conversationId(req))));
  server.post(`${LOCAL_DIRECTLINE_PATH}/tokens/refresh`, handle((req) => local.refresh(bearer(req))));
  server.get(
    `${LOCAL_DIRECTLINE_PATH}/conversations/:conversationId/activities`,
    handle((req) => local.since(bearer(req), conversationId(req), new URL(req.url ?? '', 'http://localhost').searchParams.get('watermark') ?? undefined)),
  );
  server.post(`${LOCAL_DIRECTLINE_PATH}/conversations/:conversationId/activities`, handle((req) => local.post(bearer(req), conversationId(req), req.body)));
  // The bot reads no files: an upload is refused, after the token is checked like any call.
  server.post(
    `${LOCAL_DIRECTLINE_PATH}/conversations/:conversationId/upload`,
    handle((req) => {
      local.resume(bearer(req), conversationId(req));
      throw new DirectLineError(415, 'FilesNotAccepted');
    }),
  );
}
