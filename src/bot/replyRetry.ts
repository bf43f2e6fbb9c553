import { withinTime } from '../timing';

/**
 * When the Bot Connector does not take a reply. All retrying happens here (the SDK's own HTTP retry policy is taken
 * out of the connector client, see ChannelAdapter): 412, 502, 503 and 504 after an exponential backoff with jitter;
 * 429 after its Retry-After (a backoff when it gives none); a refused connection (nothing was sent); a connection
 * reset before any answer ("socket hang up": almost always a kept-alive connection the other side had just closed, so
 * the request never reached it — without this, one stale socket loses a receipt for good). Never a 500 or a try that
 * got no answer in time: the message may have been posted already, and a caller who reads the same receipt twice is
 * confused. 400/401/403/404 will not get better by asking again.
 */
const RETRIED = new Set([412, 429, 502, 503, 504]);
/** Network errors that mean the request never reached the connector. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET']);
/** Node's message for a connection closed before any answer came (its code is not always set). */
const STALE_SOCKET = /^socket hang up$/;

export interface ReplyRetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait; each further one doubles, with jitter. */
  baseDelayMs: number;
  /** No single wait is longer: a longer Retry-After is not waited for in the turn (the outbox tries later). */
  maxDelayMs: number;
  /** One try that has not been answered by then has failed (a connector that never answers must not hold the turn). */
  timeoutMs: number;
  /**
   * No retry starts, and no wait ends, after this time (ms since the epoch): the turn's budget for all its replies.
   * Every reply still gets its first try (at least two seconds of it): a spent budget must not silence a turn.
   */
  deadline?: number;
}

const FIRST_TRY_MIN_MS = 2_000;

/** Inside Teams' 15-second budget for a turn: 4 tries, waits of at most 3 s, 5 s per try (the adapter adds the turn's deadline). */
export const DEFAULT_REPLY_RETRY: ReplyRetryOptions = { attempts: 4, baseDelayMs: 250, maxDelayMs: 3_000, timeoutMs: 5_000 };

interface ConnectorError {
  statusCode?: number;
  code?: string;
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** A try that was not answered in time: it may still arrive, so it is not tried again. */
export class ReplyTimeoutError extends Error {
  constructor(ms: number) {
    super(`${ms}ms`); // the name says what happened; the message, after how long
    this.name = 'ReplyTimeoutError';
  }
}

/** Retry-After in milliseconds (seconds or an HTTP date), or undefined when absent or unreadable. */
function retryAfterMs(error: ConnectorError, now: number): number | undefined {
  const header = error.response?.headers?.get?.('retry-after');
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Whether a reply that failed may be sent again later without risk of the caller reading it twice. */
export function safeToSendAgain(error: unknown): boolean {
  const failure = (error ?? {}) as ConnectorError & { message?: string };
  if (failure.statusCode !== undefined) return RETRIED.has(failure.statusCode);
  return (failure.code !== undefined && NOT_SENT.has(failure.code)) || STALE_SOCKET.test(failure.message ?? '');
}

/** The wait before try `attempt + 1` after `error`, or undefined when another try is pointless or unsafe. */
export function retryDelay(error: unknown, attempt: number, options: ReplyRetryOptions, random: () => number = Math.random, now = Date.now()): number | undefined {
  if (attempt >= options.attempts) return undefined;
  if (!safeToSendAgain(error)) return undefined;
  const failure = error as ConnectorError;
  const status = failure.statusCode;
  if (status === 429) {
    const asked = retryAfterMs(failure, now);
    if (asked !== undefined) return asked <= options.maxDelayMs ? asked : undefined;
  }
  const backoff = options.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(backoff / 2 + random() * (backoff / 2), options.maxDelayMs);
}

/** Runs `send` until it succeeds, or a failure is not worth another try (then that failure is thrown). */
export async function withReplyRetries<T>(send: () => Promise<T>, options: ReplyRetryOptions = DEFAULT_REPLY_RETRY, sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<T> {
  const left = () => (options.deadline ?? Infinity) - Date.now();
  for (let attempt = 1; ; attempt++) {
    const timeoutMs = Math.min(options.timeoutMs, attempt === 1 ? Math.max(left(), FIRST_TRY_MIN_MS) : left());
    try {
      return await withinTime(send(), timeoutMs, () => new ReplyTimeoutError(timeoutMs));
    } catch (error) {
      const delay = retryDelay(error, attempt, options);
      // A wait that would end past the budget is not waited: the failure (safe to repeat) goes to the outbox.
      if (delay === undefined || delay >= left()) throw error;
      await sleep(delay);
    }
  }
}
