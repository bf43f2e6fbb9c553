import { ConversationState, UserState, type BotState, type TurnContext } from 'botbuilder';
import { takeJsonAsRead, writeWithJson } from './stateJson';
import { withoutETag, type StateStore } from './stateStore';
import type { TurnTransaction } from './conversationLock';

const TURN_TRANSACTION = Symbol('turnTransaction');

/** The turn lock's own transaction (conversationLock), for the turn's state to be written in. */
export function setTurnTransaction(context: TurnContext, transaction: TurnTransaction | undefined): void {
  if (transaction) context.turnState.set(TURN_TRANSACTION, transaction);
}

/** The turn lock's own transaction, if it has one: for a write that is to be kept with the turn's state. */
export function turnTransaction(context: TurnContext): TurnTransaction | undefined {
  return context.turnState.get(TURN_TRANSACTION) as TurnTransaction | undefined;
}

/**
 * Commits what was staged for the turn's state write (TurnTransaction.stage) when there was no state to write — once
 * the turn's state is saved, so that what is staged is kept exactly when the state is.
 */
export async function commitStagedWrites(context: TurnContext): Promise<void> {
  await turnTransaction(context)?.commitWith([]);
}

/** What BotState keeps for the turn under its own key: the state, and what it looked like when loaded or last saved. */
interface Cached {
  state: Record<string, unknown>;
  hash: string;
}

// A mixin's base must take `any[]` (TypeScript's rule for mixins); both bases take (storage, namespace?).
type StateClass = new (...args: any[]) => BotState;

/**
 * The SDK's BotState, with "has this state changed?" answered by comparing the state's JSON before and after the turn
 * instead of the SDK's own serialisation hashed with SHA-256 — computed three times a turn per state object (on load,
 * before saving, after saving), it cost more than reading the state from SQLite. Same contract: the turn's state is
 * cached under BotState's own key as `{ state, hash }` (so `clear`, `delete` and the property accessors work as
 * before), written with eTag `*` only when it changed, and the cache updated once written.
 */
function changeTracked<T extends StateClass>(Base: T): T {
  return class extends Base {
    /** BotState's per-instance turn-state key (a Symbol it keeps private); shared so clear/delete see our cache. */
    private readonly turnKey: symbol;

    constructor(...args: any[]) {
      super(...args);
      const key = (this as unknown as { stateKey?: unknown }).stateKey;
      // A later SDK renaming its private field would otherwise split the cache silently: refuse to start instead.
      if (typeof key !== 'symbol') throw new Error('BotState keeps its turn-state key elsewhere than this version of the SDK did');
      this.turnKey = key;
    }

    async load(context: TurnContext, force = false): Promise<Record<string, unknown>> {
      const cached = context.turnState.get(this.turnKey) as Cached | undefined;
      if (!force && cached?.state) return cached.state;
      const key = await this.storageKey(context);
      // The lock may have read it already (PostgreSQL); any other Storage takes the one argument it knows.
      const items = await (this.storage as StateStore).read([key], turnTransaction(context));
      const state = (items[key] as Record<string, unknown> | undefined) ?? {};
      context.turnState.set(this.turnKey, { state, hash: takeJsonAsRead(state) ?? withoutETag(state) } satisfies Cached);
      return state;
    }

    async saveChanges(context: TurnContext, force = false): Promise<void> {
      const cached = (context.turnState.get(this.turnKey) as Cached | undefined) ?? (force ? { state: {}, hash: '' } : undefined);
      if (!cached) return;
      // The state as the store writes it: its eTag is the store's, not part of what changed.
      const now = withoutETag(cached.state);
      if (!force && now === cached.hash) return;
      const key = await this.storageKey(context);
      cached.state.eTag = '*';
      writeWithJson(cached.state, now);
      // In the turn lock's transaction when it has one (PostgreSQL); any other Storage takes the one argument it knows.
      await (this.storage as StateStore).write({ [key]: cached.state }, turnTransaction(context));
      cached.hash = now;
      context.turnState.set(this.turnKey, cached);
    }
  } as T;
}

export const ChangeTrackedConversationState = changeTracked(ConversationState);
export const ChangeTrackedUserState = changeTracked(UserState);
