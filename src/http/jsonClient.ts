/**
 * A small JSON-over-HTTP client for the backends the bot calls (CRM/billing API, SMS gateway): a timeout per
 * attempt, retries with exponential backoff on 5xx, timeouts and network errors, and nothing else retried.
 * Responses come back as unknown JSON for the caller to validate with zod at its own boundary.
 */
export interface JsonClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  timeoutMs: number;
  /** Attempts after the first one. */
  retries: number;
  backoffMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface JsonResponse {
  status: number;
  body: unknown;
}

export type UpstreamFailure = 'timeout' | 'network' | 'status' | 'malformed';

export class UpstreamError extends Error {
  constructor(readonly failure: UpstreamFailure, message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
  }
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Non-2xx statuses that are answers rather than failures (404 "no such user", 409 "already done"). */
  accept?: number[];
  /** How errors name the request; paths can hold personal data (a user ID), so callers give a template. */
  label?: string;
}

export interface JsonClient {
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options?: RequestOptions): Promise<JsonResponse>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createJsonClient(options: JsonClientOptions): JsonClient {
  const sleep = options.sleep ?? defaultSleep;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function attempt(method: string, path: string, request: RequestOptions): Promise<JsonResponse> {
    const label = request.label ?? `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          ...request.headers,
        },
        body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new UpstreamError(timedOut ? 'timeout' : 'network', `${label}: ${timedOut ? 'timed out' : 'unreachable'}`, undefined, { cause: error });
    }
    const ok = response.ok || (request.accept ?? []).includes(response.status);
    const text = await response.text().catch(() => '');
    if (!ok) throw new UpstreamError('status', `${label}: HTTP ${response.status}`, response.status);
    if (text === '') return { status: response.status, body: undefined };
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch (error) {
      throw new UpstreamError('malformed', `${label}: response is not JSON`, response.status, { cause: error });
    }
  }

  return {
    async request(method, path, request = {}) {
      for (let tried = 0; ; tried++) {
        try {
          return await attempt(method, path, request);
        } catch (error) {
          if (!(error instanceof UpstreamError) || !isTransient(error) || tried >= options.retries) throw error;
          await sleep(options.backoffMs * 2 ** tried);
        }
      }
    },
  };
}

function isTransient(error: UpstreamError): boolean {
  return error.failure === 'timeout' || error.failure === 'network' || (error.failure === 'status' && (error.status ?? 0) >= 500);
}
