import { randomUUID } from 'node:crypto';
import { ActivityTypes, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { InsightFacts, InsightLanguage } from '../insights/events';
import type { InsightSource, InsightsRecorder, NotedInsight } from '../insights/recorder';
import type { Logger } from '../log';
import { turnTransaction } from '../storage/changeTrackedState';
import { turnLanguageIfKnown } from './language';

/**
 * The insights of one turn (src/insights): dialogs note what happened — a verification question asked, a refusal, an
 * action done — with one line each, and the bot writes the turn's notes with its state (PostgreSQL: in the turn's own
 * transaction) or once the turn is kept. A turn whose state is not kept (answered with the apology) leaves no events,
 * so a retried message is not counted twice; one that changed something keeps them even so, each once (by its id).
 * Noting never throws and needs nothing of the dialog's own dependencies: without insights (a dialog tested alone) it
 * does nothing.
 */

/** What the conversation state keeps for insights: when the caller first wrote, how often since, and in which language. */
export interface InsightsProgress {
  /** Milliseconds since the epoch: a few bytes fewer than the ISO form, which conversations begun before still keep. */
  firstMessageAt: number | string;
  messages: number;
  language: InsightLanguage;
}

/** A receipt is noted by its kind; how long it took and how many messages are the turn's to fill in. */
export type InsightNote = Exclude<InsightFacts, { kind: 'receipt' | 'conversation-started' | 'handoff-taken' }> | { kind: 'receipt'; of: 'action' | 'handoff' };

interface TurnNotes {
  noted: NotedInsight[];
  /** Notes staged with the turn's state write (keepWithState): kept exactly when that write is. */
  staged: NotedInsight[];
  progress: InsightsProgress | undefined;
  now: () => Date;
}

const NOTES = Symbol('insightNotes');

export interface TurnInsights {
  /** At the start of a turn, once its language is known: counts a caller's message, and opens the turn's notes. */
  beginTurn(context: TurnContext): Promise<void>;
  /** Right before the turn's state is saved: what was noted goes with that write, where the store can take it along. */
  keepWithState(context: TurnContext): void;
  /**
   * The state write failed after something was done (its receipt is said): what was staged with it is written on its
   * own by `endTurn` after all, under the same ids — kept once, even if that write's COMMIT went unanswered but was kept.
   */
  keepWithoutState(context: TurnContext): void;
  /** After the turn was kept (or a receipt said although it was not): writes what was noted and not kept with the state. */
  endTurn(context: TurnContext): Promise<void>;
}

export interface TurnInsightsDeps {
  recorder: InsightsRecorder;
  progress: StatePropertyAccessor<InsightsProgress | undefined>;
  /** Real time: how long a caller took is measured by the clock on the wall, not by a policy clock a test has stopped. */
  now: () => Date;
  logger: Logger;
}

export function createTurnInsights(deps: TurnInsightsDeps): TurnInsights {
  return {
    async beginTurn(context) {
      try {
        const now = deps.now();
        const notes: TurnNotes = { noted: [], staged: [], progress: await deps.progress.get(context), now: deps.now };
        const language = turnLanguageIfKnown(context);
        if (isCallersMessage(context) && language) {
          if (!notes.progress) {
            notes.progress = { firstMessageAt: now.getTime(), messages: 0, language };
            notes.noted.push({ facts: { kind: 'conversation-started' }, at: now });
          }
          notes.progress = { ...notes.progress, messages: notes.progress.messages + 1 };
          await deps.progress.set(context, notes.progress);
        }
        context.turnState.set(NOTES, notes);
      } catch (error) {
        deps.logger.warn('insights.turn-not-counted', { error: error as Error });
      }
    },

    keepWithState(context) {
      const notes = context.turnState.get(NOTES) as TurnNotes | undefined;
      const within = turnTransaction(context);
      const source = notes && sourceOf(context, notes);
      if (!notes?.noted.length || !within || !source) return;
      for (const note of notes.noted) note.id ??= randomUUID();
      if (!deps.recorder.stage(source, notes.noted, within)) return;
      notes.staged.push(...notes.noted);
      notes.noted = [];
    },

    keepWithoutState(context) {
      const notes = context.turnState.get(NOTES) as TurnNotes | undefined;
      if (!notes?.staged.length) return;
      notes.noted = [...notes.staged, ...notes.noted];
      notes.staged = [];
    },

    async endTurn(context) {
      const notes = context.turnState.get(NOTES) as TurnNotes | undefined;
      const source = notes && sourceOf(context, notes);
      if (!notes?.noted.length || !source) return;
      await deps.recorder.record(source, notes.noted);
      notes.noted = [];
    },
  };
}

/** The conversation the events are of, in its own language, the one it began in: every event of it counts under that. */
function sourceOf(context: TurnContext, notes: TurnNotes): InsightSource | undefined {
  const language = notes.progress?.language ?? turnLanguageIfKnown(context);
  if (!language) return undefined;
  const { channelId, conversation } = context.activity;
  return { conversationKey: `${channelId}/${conversation.id}`, channel: channelId, language };
}

/** Notes one thing that happened in this turn, for the insights page. */
export function noteInsight(context: TurnContext, note: InsightNote): void {
  const notes = context.turnState.get(NOTES) as TurnNotes | undefined;
  if (!notes) return;
  const at = notes.now();
  if (note.kind !== 'receipt') {
    notes.noted.push({ facts: note, at });
    return;
  }
  // Without the first message (a conversation begun before insights were recorded) there is no time to tell.
  if (!notes.progress) return;
  const ms = Math.max(0, at.getTime() - new Date(notes.progress.firstMessageAt).getTime());
  notes.noted.push({ facts: { kind: 'receipt', of: note.of, ms, messages: notes.progress.messages }, at });
}

/** A message from the caller, or a card's button they pressed (which Teams sends as an invoke). */
function isCallersMessage(context: TurnContext): boolean {
  const { type, name } = context.activity;
  return type === ActivityTypes.Message || (type === ActivityTypes.Invoke && name === 'adaptiveCard/action');
}
