import { ActivityTypes, type Activity, type StatePropertyAccessor, type TurnContext } from 'botbuilder';
import type { TranscriptLine } from '../cases/handoffPacket';
import { withoutControlCharacters } from '../format';

/** The conversation an agent receives with a hand-off (AS-2): the most recent lines, each of bounded length. */
const TRANSCRIPT_LINES = 40;
const LINE_CHARACTERS = 500;
/** Said instead of a verification answer or a one-time code: those never reach a transcript. */
const WITHHELD = '[withheld]';

const CALLER_LINE = Symbol('transcriptCallerLine');
/** On an activity the bot sends: the transcript keeps only that it was said (a say-back of the caller's details). */
const WITHHELD_FROM_TRANSCRIPT = Symbol('withheldFromTranscript');

/**
 * Marks a message whose words are the caller's own details: the transcript keeps `[withheld]` instead. A symbol, so it
 * survives the SDK's copy of the activity and never reaches the channel.
 */
export function withheldFromTranscript<T extends Partial<Activity>>(activity: T): T {
  return Object.assign(activity, { [WITHHELD_FROM_TRANSCRIPT]: true });
}

export type TranscriptAccessor = StatePropertyAccessor<TranscriptLine[]>;

/**
 * Keeps the conversation so far in conversation state, masked: the caller's message now, and every message the bot
 * sends during the turn as it is sent, so a hand-off made mid-turn carries all of it.
 */
export interface TranscriptMasks {
  /** For the caller's words: personal data, names included. */
  caller: (text: string) => string;
  /** For the bot's words, which quote the caller at most (a user ID, a phone number). */
  bot: (text: string) => string;
}

export async function recordTranscript(context: TurnContext, transcript: TranscriptAccessor, now: () => Date, masks: TranscriptMasks): Promise<void> {
  const append = async (from: TranscriptLine['from'], text: string) => {
    const lines = await transcript.get(context, []);
    // Cut, then cleaned: a cut through an emoji would leave half of it, which PostgreSQL's JSON refuses.
    lines.push({ from, text: withoutControlCharacters(masks[from](withoutControlCharacters(text)).slice(0, LINE_CHARACTERS)), at: now().toISOString() });
    if (lines.length > TRANSCRIPT_LINES) lines.splice(0, lines.length - TRANSCRIPT_LINES);
    await transcript.set(context, lines);
    return lines.length - 1;
  };
  if (context.activity.type === ActivityTypes.Message) {
    const said = context.activity.text ?? cardSubmit(context.activity);
    if (said) context.turnState.set(CALLER_LINE, await append('caller', said));
  }
  context.onSendActivities(async (_context, activities, next) => {
    for (const activity of activities) {
      const text = activity.type === ActivityTypes.Message ? activity.text ?? activity.summary : undefined;
      if (text) await append('bot', (activity as Record<symbol, unknown>)[WITHHELD_FROM_TRANSCRIPT] ? WITHHELD : text);
    }
    return next();
  });
}

/** The caller's message of this turn was a verification answer or a code: the transcript keeps only that it came. */
export async function withholdCallerMessage(context: TurnContext, transcript: TranscriptAccessor): Promise<void> {
  const index = context.turnState.get(CALLER_LINE) as number | undefined;
  if (index === undefined) return;
  const lines = await transcript.get(context, []);
  if (lines[index]?.from === 'caller') lines[index] = { ...lines[index], text: WITHHELD };
}

function cardSubmit(activity: Partial<Activity>): string | undefined {
  const value = activity.value as { choice?: unknown; answer?: unknown } | undefined;
  const picked = value?.choice ?? value?.answer;
  return typeof picked === 'string' || typeof picked === 'boolean' ? `[${String(picked)}]` : undefined;
}
