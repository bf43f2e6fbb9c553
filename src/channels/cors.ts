import type { Request, Response } from 'restify';

/** What a browser's preflight for Web Chat's calls asks to send (Direct Line's own list). */
const ALLOWED_HEADERS = 'Authorization, Content-Type, x-ms-bot-agent, X-Requested-With';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
const LOOPBACK = /^(?:localhost|127\.\d+\.\d+\.\d+|\[::1\])(?::\d+)?$/;

export interface OriginPolicy {
  /**
   * Sets the CORS headers for an allowed origin and returns true; answers 403 for any other origin and returns false.
   * A request without an Origin (not a browser's cross-origin call: curl, a server) goes through: CORS protects
   * browsers' users, and the tokens and rate limits protect the rest.
   */
  admit(req: Request, res: Response): boolean;
  /** The answer to a browser's preflight (OPTIONS): 204 with the headers for an allowed origin, else 403. */
  preflight(req: Request, res: Response): void;
}

/**
 * Pages on the configured origins (WIDGET_ALLOWED_ORIGINS) may call the widget's endpoints, and the bot's own pages
 * when it is reached on this machine (localhost, 127.0.0.1: the demo page in development).
 */
export function createOriginPolicy(allowedOrigins: readonly string[]): OriginPolicy {
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));

  function originAllowed(req: Request): { origin?: string; ok: boolean } {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (!origin) return { ok: true };
    const lower = origin.toLowerCase();
    let host: string | undefined;
    try {
      host = new URL(lower).host;
    } catch {
      return { origin, ok: false };
    }
    // The bot's own pages (the demo help page, in development) on this machine. Only loopback names: a page whose own
    // name was pointed at this machine (DNS rebinding) also sends a matching Host, and must not count as the bot's.
    const requestHost = String(req.headers.host ?? '').toLowerCase();
    const sameOrigin = host === requestHost && LOOPBACK.test(requestHost);
    return { origin, ok: sameOrigin || allowed.has(lower) };
  }

  /**
   * The refusal itself is readable by the refused page (it says nothing but "not allowed", and issues nothing), so the
   * widget can tell its visitor the chat cannot be shown there instead of "try again". A preflight gets no such header:
   * the browser then never sends the request it asked about.
   */
  function refuse(res: Response, origin: string | undefined): void {
    if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
    res.send(403, { error: 'OriginNotAllowed' });
  }

  return {
    admit(req, res) {
      const { origin, ok } = originAllowed(req);
      res.setHeader('Vary', 'Origin');
      if (!ok) {
        refuse(res, origin);
        return false;
      }
      if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
      return true;
    },
    preflight(req, res) {
      const { origin, ok } = originAllowed(req);
      res.setHeader('Vary', 'Origin');
      if (!ok) {
        res.send(403, { error: 'OriginNotAllowed' });
        return;
      }
      if (origin) res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.send(204);
    },
  };
}
