import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import type { TranscriptLine } from '../cases/handoffPacket';
import type { TranscriptLog } from '../cases/transcriptLog';
import { withoutControlCharacters } from '../format';
import { turnTransaction } from '../storage/changeTrackedState';

/** The conversation an agent receives with a hand-off (AS-2): the most recent lines, each of bounded length. */
const TRANSCRIPT_LINES = 40;
const LINE_CHARACTERS = 500;
/** Said instead of a verification answer or a one-time code: those never reach a transcript. */
const WITHHELD = '[withheld]';

/** On an activity the bot sends: the transcript keeps only that it was said (a say-back of the caller's details). */
const WITHHELD_FROM_TRANSCRIPT = Symbol('withheldFromTranscript');

/**
 * Marks a message whose words are the caller's own details: the transcript keeps `[withheld]` instead. A symbol, so it
 * survives the SDK's copy of the activity and never reaches the channel.
 */
export function withheldFromTranscript<T extends Partial<Activity>>(activity: T): T {
  return Object.assign(activity, { [WITHHELD_FROM_TRANSCRIPT]: true });
}

/**
 * The conversation so far, masked (AS-2), as a hand-off packet carries it: the lines kept in the transcript log, then
 * the ones said in this turn. A turn's lines are kept when its state is (`save`, called by the bot just before; on
 * PostgreSQL in the same transaction, TurnTransaction.stage): the conversation state itself holds no transcript, so it
 * stays small however long the conversation grows.
 */
export interface TranscriptAccessor {
  get(context: TurnContext, defaultValue?: TranscriptLine[]): Promise<TranscriptLine[]>;
  /** Forgets the conversation so far (a new caller in an agent's chat): only what is said from now on is kept. */
  delete(context: TurnContext): Promise<void>;
}

/** This turn's part of the transcript (turn state): its lines, whether what came before was forgotten, the caller's line. */
interface TurnTranscript {
  key: string;
  lines: TranscriptLine[];
  forgotten: boolean;
  callerLine?: TranscriptLine;
  kept?: TranscriptLine[];
}
const TURN_TRANSCRIPT = Symbol('turnTranscript');
const turnTranscript = (context: TurnContext) => context.turnState.get(TURN_TRANSCRIPT) as TurnTranscript | undefined;

/** The transcript as the bot holds it: `save` keeps what the turn said, when the turn's state is saved (see SupportBot). */
export interface ConversationTranscripts extends TranscriptAccessor {
  save(context: TurnContext): Promise<void>;
  /**
   * After a turn that changed something (its receipt is said) could not save its state: its lines, which were to be
   * kept with that state, are kept on their own — the transcript of a hand-off must show the "yes" that did it.
   */
  keepWithoutState(context: TurnContext): Promise<void>;
}

const STAGED = Symbol('transcriptStaged');

/** The transcript accessor over a transcript log. */
export function conversationTranscripts(log: TranscriptLog): ConversationTranscripts {
  return {
    async get(context, defaultValue = []) {
      const turn = turnTranscript(context);
      if (!turn) return defaultValue;
      if (turn.forgotten) return [...turn.lines];
      turn.kept ??= await log.recent(turn.key, TRANSCRIPT_LINES);
      return [...turn.kept, ...turn.lines].slice(-TRANSCRIPT_LINES);
    },
    async delete(context) {
      const turn = turnTranscript(context);
      if (!turn) return;
      turn.forgotten = true;
      turn.lines.length = 0;
      turn.kept = undefined;
    },
    async save(context) {
      const turn = turnTranscript(context);
      if (!turn) return;
      const within = turnTransaction(context);
      if (turn.forgotten) await log.forget(turn.key, within);
      // Staged with the state's write (PostgreSQL): kept with it, or — if that write fails — kept alone after all.
      if (await log.append(turn.key, turn.lines.slice(-TRANSCRIPT_LINES), TRANSCRIPT_LINES, within)) context.turnState.set(STAGED, turn);
      // Kept: what the turn says from here on (its held replies going out) is not kept twice.
      context.turnState.delete(TURN_TRANSCRIPT);
    },
    async keepWithoutState(context) {
      const turn = turnTranscript(context) ?? (context.turnState.get(STAGED) as TurnTranscript | undefined);
      context.turnState.delete(TURN_TRANSCRIPT);
      context.turnState.delete(STAGED);
      if (!turn) return;
      if (turn.forgotten) await log.forget(turn.key);
      await log.append(turn.key, turn.lines.slice(-TRANSCRIPT_LINES), TRANSCRIPT_LINES);
    },
  };
}

/** How the transcript masks what it keeps. */
export interface TranscriptMasks {
  /** For the caller's words: personal data, names included. */
  caller: (text: string) => string;
  /** For the bot's words, which quote the caller at most (a user ID, a phone number). */
  bot: (text: string) => string;
}

/**
 * Starts this turn's transcript: the caller's message now, and every message the bot sends during the turn as it is
 * sent, so a hand-off made mid-turn carries all of it.
 */
export function recordTranscript(context: TurnContext, now: () => Date, masks: TranscriptMasks): void {
  const { channelId, conversation } = context.activity;
  const turn: TurnTranscript = { key: `${channelId}/${conversation?.id}`, lines: [], forgotten: false };
  context.turnState.set(TURN_TRANSCRIPT, turn);
  const append = (from: TranscriptLine['from'], text: string) => {
    // Cut, then cleaned: a cut through an emoji would leave half of it, which PostgreSQL's JSON refuses.
    const line = { from, text: withoutControlCharacters(masks[from](withoutControlCharacters(text)).slice(0, LINE_CHARACTERS)), at: now().toISOString() };
    turnTranscript(context)?.lines.push(line);
    return line;
  };
  if (context.activity.type === ActivityTypes.Message) {
    const said = context.activity.text ?? cardSubmit(context.activity);
    if (said) turn.callerLine = append('caller', said);
  }
  context.onSendActivities(async (_context, activities, next) => {
    for (const activity of activities) {
      const text = activity.type === ActivityTypes.Message ? activity.text ?? activity.summary : undefined;
      if (text) append('bot', (activity as Record<symbol, unknown>)[WITHHELD_FROM_TRANSCRIPT] ? WITHHELD : text);
    }
    return next();
  });
}

/** The caller's message of this turn was a verification answer or a code: the transcript keeps only that it came. */
export function withholdCallerMessage(context: TurnContext): void {
  const line = turnTranscript(context)?.callerLine;
  if (line) line.text = WITHHELD;
}

function cardSubmit(activity: Partial<Activity>): string | undefined {
  const value = activity.value as { choice?: unknown; answer?: unknown } | undefined;
  const picked = value?.choice ?? value?.answer;
  return typeof picked === 'string' || typeof picked === 'boolean' ? `[${String(picked)}]` : undefined;
}
