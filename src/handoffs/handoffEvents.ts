import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import type { HandoffQueue } from './handoffQueue';

/** Something changed in a live hand-off: agents' pages update (queue, conversation) without reloading. */
export interface HandoffEvent {
  kind: 'opened' | 'taken' | 'message' | 'ended';
  handoffId: string;
}

/**
 * Heard by every agent page connected to this instance; with PostgreSQL, by those of every instance too (see
 * createBroadcastHandoffEvents).
 */
export interface HandoffEvents {
  publish(event: HandoffEvent): void;
  /** Returns the way to stop listening. */
  subscribe(listener: (event: HandoffEvent) => void): () => void;
}

export function createHandoffEvents(): HandoffEvents {
  const emitter = new EventEmitter();
  // One listener per open agent page: no warning at eleven.
  emitter.setMaxListeners(0);
  return {
    publish: (event) => void emitter.emit('event', event),
    subscribe: (listener) => {
      emitter.on('event', listener);
      return () => void emitter.off('event', listener);
    },
  };
}

/** Messages between instances (PostgreSQL's LISTEN/NOTIFY: see PostgresDatabase.listen). */
export interface Broadcast {
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  notify(channel: string, payload: string): Promise<void>;
}

const BROADCAST_CHANNEL = 'handoff_events';
const broadcastEventSchema = z.object({
  kind: z.enum(['opened', 'taken', 'message', 'ended']),
  handoffId: z.string().min(1).max(64),
  /** The instance that published it: it has told its own pages already. */
  from: z.string(),
});

/**
 * Events of every instance: published here, they reach this instance's pages at once and the others' through the
 * database; an agent connected to one instance follows a caller whose messages arrive at another. A notification that
 * cannot be sent is reported, never a failed action: the agent's page still shows it on its next reload.
 */
export async function createBroadcastHandoffEvents(broadcast: Broadcast, onError: (error: Error) => void): Promise<HandoffEvents & { close(): Promise<void> }> {
  const local = createHandoffEvents();
  const instance = randomUUID();
  const stop = await broadcast.listen(BROADCAST_CHANNEL, (payload) => {
    let parsed;
    try {
      parsed = broadcastEventSchema.safeParse(JSON.parse(payload));
    } catch {
      return;
    }
    if (parsed.success && parsed.data.from !== instance) local.publish({ kind: parsed.data.kind, handoffId: parsed.data.handoffId });
  });
  return {
    subscribe: local.subscribe,
    publish(event) {
      local.publish(event);
      broadcast.notify(BROADCAST_CHANNEL, JSON.stringify({ kind: event.kind, handoffId: event.handoffId, from: instance })).catch((error: Error) => onError(error));
    },
    close: stop,
  };
}

/** The queue and its events, as the dialogs (opening hand-offs) and the bot (relaying to an agent) use them. */
export interface LiveHandoffs {
  queue: HandoffQueue;
  events: HandoffEvents;
}
