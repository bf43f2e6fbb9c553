import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Activity, ResourceResponse } from 'botbuilder';
import type { ConnectorClient } from 'botframework-connector';

/** A try nobody answers is given up here at the latest (replyRetry gives up on it sooner; this only frees the socket). */
const SOCKET_TIMEOUT_MS = 30_000;
/** Of an error answer's body, this much goes into the error's message (enough for the connector's error code). */
const ERROR_BODY_CHARS = 500;

/** What the SDK's credentials sign: a request's headers (AppCredentials set `authorization` when the bot has an app ID). */
interface Signable {
  headers: { set(name: string, value: string): void; get(name: string): string | undefined };
}

interface ClientParts {
  baseUri?: string;
  credentials?: { signRequest(resource: Signable): Promise<unknown> };
}

/**
 * A reply the Bot Connector did not take: shaped as the SDK's RestError is where the rest of the bot reads it — the
 * status (`statusCode`) and the answer's headers (`response.headers.get`, for Retry-After; see replyRetry).
 */
export class ConnectorReplyError extends Error {
  readonly response: { headers: { get(name: string): string | undefined } };

  constructor(
    readonly statusCode: number,
    headers: IncomingMessage['headers'],
    body: string,
  ) {
    // The name says who refused; the message, the status and what the connector said.
    super(`${statusCode} ${body.slice(0, ERROR_BODY_CHARS)}`);
    this.name = 'ConnectorReplyError';
    this.response = { headers: { get: (name) => headerValue(headers[name.toLowerCase()]) } };
  }
}

/**
 * The connector client, except that its two calls made at every turn — reply to an activity, send to a conversation —
 * are one JSON POST each on a kept-alive connection of its own, not a trip through the client's Azure pipeline (a
 * serializer, a stack of policies and request objects per reply: a tenth of a turn's CPU under load). The request is
 * the same: same URL, same JSON, signed by the client's own credentials (the SDK's, which fetch and renew their
 * tokens). Everything else the client does (update, delete, members, new conversations) stays the SDK's.
 *
 * Not used behind an HTTP proxy (HTTPS_PROXY and the like): the SDK's pipeline honours those, and then it posts.
 */
export function withDirectReplies(client: ConnectorClient, env: NodeJS.ProcessEnv = process.env): ConnectorClient {
  const { baseUri, credentials } = client as unknown as ClientParts;
  if (!baseUri || !credentials || behindProxy(env)) return client;
  const base = baseUri.endsWith('/') ? baseUri : `${baseUri}/`;
  const secure = base.startsWith('https:');
  const agent = secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;

  const post = async (path: string, activity: Partial<Activity>): Promise<ResourceResponse> => {
    const headers = new Map<string, string>();
    await credentials.signRequest({ headers: { set: (name, value) => headers.set(name.toLowerCase(), value), get: (name) => headers.get(name.toLowerCase()) } });
    const body = JSON.stringify(activity);
    const requestHeaders: OutgoingHttpHeaders = {
      ...Object.fromEntries(headers),
      'content-type': 'application/json', // UTF-8, as JSON always is (RFC 8259)
      'content-length': Buffer.byteLength(body),
      accept: 'application/json',
    };
    return new Promise((resolve, reject) => {
      const req = send(new URL(path, base), { method: 'POST', agent, headers: requestHeaders }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) return reject(new ConnectorReplyError(status, res.headers, text));
          resolve(resourceResponse(text));
        });
      });
      req.setTimeout(SOCKET_TIMEOUT_MS, () => req.destroy(new Error(`no answer from the Bot Connector within ${SOCKET_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  };

  const original = client.conversations;
  const conversations = Object.create(original) as typeof original;
  Object.assign(conversations, {
    replyToActivity: (conversationId: string, activityId: string, activity: Partial<Activity>) =>
      post(`v3/conversations/${encodeURIComponent(conversationId)}/activities/${encodeURIComponent(activityId)}`, activity),
    sendToConversation: (conversationId: string, activity: Partial<Activity>) => post(`v3/conversations/${encodeURIComponent(conversationId)}/activities`, activity),
  });
  client.conversations = conversations;
  return client;
}

function behindProxy(env: NodeJS.ProcessEnv): boolean {
  return ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => Boolean(env[name]));
}

/** The connector answers `{ "id": … }`; an empty or unreadable body is an answer without an id (as the SDK reads it). */
function resourceResponse(text: string): ResourceResponse {
  if (!text) return {} as ResourceResponse;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as ResourceResponse) : ({} as ResourceResponse);
  } catch {
    return {} as ResourceResponse;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
