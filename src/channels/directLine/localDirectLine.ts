import { randomBytes } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { z } from 'zod';
import type { Logger } from '../../log';
import { createRateLimiter, type RateLimiter } from '../rateLimiter';

/**
 * A Direct Line 3.0 service inside the bot, for the help-site widget when there is no Direct Line secret
 * (development, tests, a demo on a laptop): the stock Web Chat talks to it exactly as to Microsoft's service, by
 * polling. What it must do for Web Chat (measured with Web Chat 4.18 in Chromium): give the caller's own activity back
 * in the list with its `channelData.clientActivityID` (else Web Chat says "could not send"), treat watermark `0` as
 * none, and greet at conversation start, since Web Chat sends no conversationUpdate.
 *
 * Conversations live in this process's memory only: one instance, as in development. Each is reached only with a
 * token issued for it, so one browser cannot read another's conversation.
 */

/** Where the bot's replies to these conversations "go": never a real address, the local adapter keeps them here. */
export const LOCAL_SERVICE_URL = 'https://directline.local.invalid/';
export const LOCAL_CHANNEL_ID = 'directline';
export const LOCAL_BOT = { id: 'subscription-support-bot', name: 'Prenumerationsassistenten', role: 'bot' };

export class DirectLineError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
    this.name = 'DirectLineError';
  }
}

/** Longest text kept: far beyond what the bot reads (MAX_MESSAGE_CHARS, it says "write it more briefly"). */
const MAX_TEXT_CHARS = 10_000;
/** A card's submitted value is a choice or an answer: a few hundred bytes. */
const MAX_VALUE_BYTES = 4096;
/** What one conversation's kept activities may weigh (JSON), whatever their number. */
const MAX_CONVERSATION_BYTES = 1_000_000;
/** A refreshed token's predecessor stays good this long (a poll may be on its way with it), then no more. */
const REPLACED_TOKEN_GRACE_MS = 60_000;
/** Live tokens per conversation: the current one and the ones still in their grace time. */
const MAX_TOKENS_PER_CONVERSATION = 3;

/** What a client may post: everything else it sends (its own ids, timestamps, `from`) is set here, not believed. */
const postedActivitySchema = z.looseObject({
  type: z.enum(['message', 'event', 'typing']),
  text: z.string().max(MAX_TEXT_CHARS).optional(),
  textFormat: z.enum(['plain', 'markdown', 'xml']).optional(),
  name: z.string().max(100).optional(),
  value: z.unknown().optional().refine((value) => value === undefined || JSON.stringify(value).length <= MAX_VALUE_BYTES),
  locale: z.string().max(35).optional(),
  channelData: z.looseObject({ clientActivityID: z.string().max(200).optional(), clientTimestamp: z.string().max(50).optional(), localeChosen: z.boolean().optional() }).optional(),
});

export interface ConversationGrant {
  conversationId: string;
  token: string;
  expires_in: number;
}

export interface IssuedToken extends ConversationGrant {
  userId: string;
}

export interface ActivitySet {
  activities: Array<Partial<Activity>>;
  watermark: string;
}

interface Conversation {
  id: string;
  userId: string;
  started: boolean;
  /** The last activities kept; `dropped` older ones are gone (watermarks keep counting). */
  activities: Array<Partial<Activity>>;
  /** The JSON size of each kept activity, and their sum. */
  sizes: number[];
  bytes: number;
  dropped: number;
  lastUsed: number;
  /** Its live tokens, oldest first. */
  tokens: string[];
}

interface Grant {
  conversationId: string;
  expiresAt: number;
}

export interface LocalDirectLineOptions {
  /** Runs an activity as one turn of the bot, through the same queue, lock and error handling as /api/messages. */
  runTurn(activity: Partial<Activity>): Promise<void>;
  logger: Logger;
  now?: () => number;
  tokenSeconds?: number;
  /** A conversation nobody used for this long is forgotten, with its tokens. */
  idleMinutes: number;
  maxConversations?: number;
  /** Activities kept per conversation for clients that reconnect; older ones are dropped. */
  maxActivities?: number;
  /** Activities one conversation may post per minute (each is a turn of the bot's): more get 429. */
  postsPerMinute?: number;
}

export class LocalDirectLine {
  private readonly conversations = new Map<string, Conversation>();
  private readonly grants = new Map<string, Grant>();
  private readonly now: () => number;
  private readonly tokenSeconds: number;
  private readonly maxConversations: number;
  private readonly maxActivities: number;
  private readonly sweep: NodeJS.Timeout;
  private readonly posts: RateLimiter;

  constructor(private readonly options: LocalDirectLineOptions) {
    this.now = options.now ?? Date.now;
    this.tokenSeconds = options.tokenSeconds ?? 1800;
    this.maxConversations = options.maxConversations ?? 5000;
    this.maxActivities = options.maxActivities ?? 500;
    this.posts = createRateLimiter(options.postsPerMinute ?? 60, { now: this.now, maxKeys: this.maxConversations });
    this.sweep = setInterval(() => this.forgetIdle(), 60_000);
    this.sweep.unref();
  }

  close(): void {
    clearInterval(this.sweep);
  }

  /**
   * A new conversation and the token for it (what `tokens/generate` gives with a secret). When the room is full, the
   * conversation used least recently goes (conversations in use are touched at every poll, so they stay).
   */
  issueToken(): IssuedToken {
    if (this.conversations.size >= this.maxConversations) this.forgetIdle();
    while (this.conversations.size >= this.maxConversations) this.forget(this.conversations.keys().next().value as string);
    const id = randomId(16);
    // Not "dl_": Web Chat keeps that prefix for user IDs signed into a Direct Line service token.
    const userId = `web_${randomId(12)}`;
    this.conversations.set(id, { id, userId, started: false, activities: [], sizes: [], bytes: 0, dropped: 0, lastUsed: this.now(), tokens: [] });
    return { ...this.grant(id), userId };
  }

  /** `POST /conversations`: starts the token's conversation and greets; a second start returns the same one. */
  start(token: string | undefined, properties: { locale?: string }): ConversationGrant {
    const conversation = this.conversationFor(token);
    if (!conversation.started) {
      conversation.started = true;
      const locale = typeof properties.locale === 'string' && properties.locale.length <= 35 ? properties.locale : undefined;
      const greeting = { ...this.fromUser(conversation), type: 'conversationUpdate', membersAdded: [{ id: conversation.userId, name: '', role: 'user' }], locale } as Partial<Activity>;
      // Not awaited: the client polls for the greeting, as it would from the real service.
      void this.options.runTurn(greeting).catch((error) => this.options.logger.error('directline.local.greeting-failed', { error: error as Error }));
    }
    return { conversationId: conversation.id, token: token as string, expires_in: this.secondsLeft(token as string) };
  }

  /** `GET /conversations/{id}`: a client reconnecting (a page reloaded) to a conversation its token opens. */
  resume(token: string | undefined, conversationId: string): ConversationGrant {
    const conversation = this.conversationFor(token, conversationId);
    return { conversationId: conversation.id, token: token as string, expires_in: this.secondsLeft(token as string) };
  }

  /**
   * `POST /tokens/refresh`: a fresh token for the same conversation. The old one stays good only a minute more (a
   * poll may be under way with it), so a token cannot be multiplied, nor kept alive for ever by someone who took it.
   */
  refresh(token: string | undefined): ConversationGrant {
    const conversation = this.conversationFor(token);
    const old = this.grants.get(token as string) as Grant;
    old.expiresAt = Math.min(old.expiresAt, this.now() + REPLACED_TOKEN_GRACE_MS);
    return this.grant(conversation.id);
  }

  /** Whether this conversation is one of the local endpoint's (no other channel may speak in it). */
  owns(conversationId: string): boolean {
    return this.conversations.has(conversationId);
  }

  /**
   * `POST /conversations/{id}/activities`: the caller's activity is in the list at once (the client matches it by
   * its clientActivityID), then the bot takes its turn; the answer to the client comes when the bot has answered.
   */
  async post(token: string | undefined, conversationId: string, body: unknown): Promise<{ id: string }> {
    const conversation = this.conversationFor(token, conversationId);
    const parsed = postedActivitySchema.safeParse(body);
    if (!parsed.success) throw new DirectLineError(400, 'BadArgument');
    const posted = parsed.data;
    // The bot shows no caller's typing: not kept, not a turn, not counted.
    if (posted.type === 'typing') return { id: `${conversation.id}|typing` };
    if (!this.posts.take(conversation.id).ok) throw new DirectLineError(429, 'TooManyRequests');
    const channelData = posted.channelData ? pick(posted.channelData, ['clientActivityID', 'clientTimestamp', 'localeChosen']) : undefined;
    const activity: Partial<Activity> = {
      ...this.fromUser(conversation),
      type: posted.type,
      ...pick(posted, ['text', 'textFormat', 'name', 'value', 'locale']),
      ...(channelData ? { channelData } : {}),
    };
    const stored = this.append(conversation, activity);
    await this.options.runTurn(stored);
    return { id: stored.id as string };
  }

  /** `GET /conversations/{id}/activities?watermark=n`: what came after the client's watermark. */
  since(token: string | undefined, conversationId: string, watermark: string | undefined): ActivitySet {
    const conversation = this.conversationFor(token, conversationId);
    const from = /^\d+$/.test(watermark ?? '') ? Number(watermark) : 0;
    const total = conversation.dropped + conversation.activities.length;
    const start = Math.max(0, Math.min(from, total) - conversation.dropped);
    return { activities: conversation.activities.slice(start), watermark: String(total) };
  }

  /** A reply of the bot's, put in the conversation for the client's next poll. */
  deliver(conversationId: string, activity: Partial<Activity>): string {
    const conversation = this.conversations.get(conversationId);
    if (!conversation) throw new DirectLineError(404, 'ConversationNotFound');
    const { serviceUrl: _internal, ...reply } = activity;
    return this.append(conversation, { ...reply, from: { ...LOCAL_BOT, ...reply.from, role: 'bot' } }).id as string;
  }

  /** The bot changed one of its replies (a card refreshed): clients see the new version when they fetch again. */
  replace(conversationId: string, activity: Partial<Activity>): void {
    const conversation = this.conversations.get(conversationId);
    const index = conversation?.activities.findIndex((a) => a.id === activity.id) ?? -1;
    if (!conversation || index < 0) return;
    const replaced = { ...conversation.activities[index], ...activity, serviceUrl: undefined };
    const size = JSON.stringify(replaced).length;
    conversation.bytes += size - conversation.sizes[index];
    conversation.sizes[index] = size;
    conversation.activities[index] = replaced;
  }

  get size(): number {
    return this.conversations.size;
  }

  private append(conversation: Conversation, activity: Partial<Activity>): Partial<Activity> {
    const sequence = conversation.dropped + conversation.activities.length;
    const stored = { ...activity, id: `${conversation.id}|${String(sequence).padStart(7, '0')}`, timestamp: new Date(this.now()) };
    const size = JSON.stringify(stored).length;
    conversation.activities.push(stored);
    conversation.sizes.push(size);
    conversation.bytes += size;
    // Bounded in number and in weight; the newest always stays.
    while (conversation.activities.length > 1 && (conversation.activities.length > this.maxActivities || conversation.bytes > MAX_CONVERSATION_BYTES)) {
      conversation.activities.shift();
      conversation.bytes -= conversation.sizes.shift() as number;
      conversation.dropped++;
    }
    this.touch(conversation);
    return stored;
  }

  private fromUser(conversation: Conversation): Partial<Activity> {
    return {
      channelId: LOCAL_CHANNEL_ID,
      serviceUrl: LOCAL_SERVICE_URL,
      conversation: { id: conversation.id } as Activity['conversation'],
      from: { id: conversation.userId, role: 'user' } as Activity['from'],
      recipient: LOCAL_BOT as Activity['recipient'],
    };
  }

  private grant(conversationId: string): ConversationGrant {
    const token = randomId(32);
    this.grants.set(token, { conversationId, expiresAt: this.now() + this.tokenSeconds * 1000 });
    const conversation = this.conversations.get(conversationId) as Conversation;
    conversation.tokens.push(token);
    while (conversation.tokens.length > MAX_TOKENS_PER_CONVERSATION) this.grants.delete(conversation.tokens.shift() as string);
    return { conversationId, token, expires_in: this.tokenSeconds };
  }

  /** Used now: last in line to be forgotten when the room is full. */
  private touch(conversation: Conversation): void {
    conversation.lastUsed = this.now();
    this.conversations.delete(conversation.id);
    this.conversations.set(conversation.id, conversation);
  }

  /** Its tokens stay until they expire, so their holder hears 404 ("ended"), not 403. */
  private forget(conversationId: string): void {
    this.conversations.delete(conversationId);
  }

  /** The conversation a token opens: 403 for a token that is unknown, expired, or for another conversation. */
  private conversationFor(token: string | undefined, conversationId?: string): Conversation {
    const grant = token ? this.grants.get(token) : undefined;
    if (!grant || grant.expiresAt <= this.now()) throw new DirectLineError(403, 'TokenExpiredOrInvalid');
    if (conversationId !== undefined && conversationId !== grant.conversationId) throw new DirectLineError(403, 'TokenNotForThisConversation');
    const conversation = this.conversations.get(grant.conversationId);
    // Forgotten after being idle: Web Chat takes 404 as "the conversation has ended".
    if (!conversation) throw new DirectLineError(404, 'ConversationNotFound');
    this.touch(conversation);
    return conversation;
  }

  private secondsLeft(token: string): number {
    const grant = this.grants.get(token);
    return grant ? Math.max(0, Math.round((grant.expiresAt - this.now()) / 1000)) : 0;
  }

  private forgetIdle(): void {
    const now = this.now();
    const idleBefore = now - this.options.idleMinutes * 60_000;
    for (const [id, conversation] of this.conversations) if (conversation.lastUsed < idleBefore) this.forget(id);
    // A token outlives its forgotten conversation until it expires, so its client hears 404 ("ended"), not 403.
    for (const [token, grant] of this.grants) if (grant.expiresAt <= now) this.grants.delete(token);
  }
}

function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

function pick<T extends object, K extends keyof T>(from: T, keys: K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) picked[key] = from[key];
  return picked;
}
