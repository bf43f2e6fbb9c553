import { EventEmitter } from 'node:events';
import type { HandoffQueue } from './handoffQueue';

/** Something changed in a live hand-off: agents' pages update (queue, conversation) without reloading. */
export interface HandoffEvent {
  kind: 'opened' | 'taken' | 'message' | 'ended';
  handoffId: string;
}

/**
 * Within this instance. (With several instances behind a load balancer an agent's page only hears of what happened on
 * the instance it is connected to; PostgreSQL LISTEN/NOTIFY would carry the events between them.)
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

/** The queue and its events, as the dialogs (opening hand-offs) and the bot (relaying to an agent) use them. */
export interface LiveHandoffs {
  queue: HandoffQueue;
  events: HandoffEvents;
}
