/**
 * When the Bot Connector does not take a reply, on top of what the SDK's HTTP pipeline already does (it retries 408,
 * 5xx but 501/505, and 429/503 after Retry-After, three times): 412 ("not now"), which it never retries, and a 429
 * without Retry-After, after a backoff. Nothing else: a 5xx may mean the message was posted already (a caller who
 * reads the same receipt twice is confused), and 400/401/403/404 will not get better by asking again.
 */
const RETRIED = new Set([412, 429]);

export interface ReplyRetryOptions {
  /** Tries in all, the first included. */
  attempts: number;
  /** The first wait; each further one doubles, with jitter. */
  baseDelayMs: number;
  /** No single wait is longer, whatever Retry-After asks: a turn must end inside the channel's time budget. */
  maxDelayMs: number;
}

export const DEFAULT_REPLY_RETRY: ReplyRetryOptions = { attempts: 4, baseDelayMs: 250, maxDelayMs: 3_000 };

interface ConnectorError {
  statusCode?: number;
  response?: { headers?: { get?(name: string): string | undefined } };
}

/** The wait before try `attempt + 1` after `error`, or undefined when another try is pointless. */
export function retryDelay(error: unknown, attempt: number, options: ReplyRetryOptions, random: () => number = Math.random): number | undefined {
  const status = (error as ConnectorError | undefined)?.statusCode;
  if (status === undefined || !RETRIED.has(status) || attempt >= options.attempts) return undefined;
  // A 429 that said how long to wait was already waited for, and retried, by the SDK.
  if (status === 429 && (error as ConnectorError).response?.headers?.get?.('retry-after') !== undefined) return undefined;
  const backoff = options.baseDelayMs * 2 ** (attempt - 1);
  return Math.min(backoff / 2 + random() * (backoff / 2), options.maxDelayMs);
}

/** Runs `send` until it succeeds, or a failure is not worth another try (then that failure is thrown). */
export async function withReplyRetries<T>(send: () => Promise<T>, options: ReplyRetryOptions = DEFAULT_REPLY_RETRY, sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const delay = retryDelay(error, attempt, options);
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}
