import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Activity } from 'botbuilder';

export interface ReceivedReply {
  path: string;
  authorization?: string;
  activity: Partial<Activity>;
}

/** A conversation the bot asked the connector to start (POST /v3/conversations: Teams' proactive 1:1 chat). */
export interface CreatedConversation {
  id: string;
  authorization?: string;
  parameters: Record<string, any>;
}

/**
 * A stand-in for the Bot Connector service on loopback: accepts the bot's replies the way the real one does
 * (POST /v3/conversations/:id/activities[/:replyTo]) and keeps them for the test to read; starts the conversations
 * the bot asks for (POST /v3/conversations), `a:private-1`, `a:private-2` …, unless told to refuse them.
 */
export async function startConnectorStub() {
  const replies: ReceivedReply[] = [];
  const created: CreatedConversation[] = [];
  /**
   * `failWith`: a status to refuse every message with (an outage), undefined to take them again. `script`: statuses for
   * the next messages, one each, before they are taken again.
   */
  const control: {
    failWith?: number;
    refused: number;
    script: Array<{ status: number; headers?: Record<string, string> }>;
    /** A status to refuse starting conversations with (403: the app is not installed for the user), undefined to start them. */
    refuseConversations?: number;
  } = { refused: 0, script: [] };
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    if (req.method === 'POST' && /^\/v3\/conversations\/[^/]+\/activities/.test(req.url ?? '')) {
      // Messages are refused while failing, or by the next answers of the script (each used once).
      const refusal = JSON.parse(body).type === 'message' ? (control.failWith !== undefined ? { status: control.failWith } : control.script.shift()) : undefined;
      if (refusal) {
        control.refused++;
        res.writeHead(refusal.status, { 'content-type': 'application/json', ...refusal.headers });
        res.end('{"error":{"code":"ServiceError"}}');
        return;
      }
      replies.push({ path: req.url ?? '', authorization: req.headers.authorization, activity: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `reply-${replies.length}` }));
      return;
    }
    if (req.method === 'POST' && (req.url ?? '').replace(/\/$/, '') === '/v3/conversations') {
      if (control.refuseConversations !== undefined) {
        res.writeHead(control.refuseConversations, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"Forbidden","message":"The bot is not part of the conversation roster."}}');
        return;
      }
      const id = `a:private-${created.length + 1}`;
      created.push({ id, authorization: req.headers.authorization, parameters: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    replies,
    control,
    /** The conversations the bot started, in order. */
    created,
    /** The text of the messages sent to one conversation, in order. */
    textsFor: (conversationId: string) =>
      replies.filter((r) => r.activity.conversation?.id === conversationId && r.activity.type === 'message').map((r) => r.activity.text ?? ''),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function inbound(serviceUrl: string, conversationId: string, fields: Partial<Activity>): Partial<Activity> {
  return {
    id: `in-${Math.random().toString(36).slice(2)}`,
    channelId: 'webchat',
    serviceUrl,
    conversation: { id: conversationId } as Activity['conversation'],
    from: { id: `user-${conversationId}`, name: 'Caller' },
    recipient: { id: 'bot', name: 'Bot' },
    timestamp: new Date(),
    ...fields,
  };
}
