import { z } from 'zod';
import { REASONS, RULE_IDS, VERIFICATION_ITEMS, type AccountAction, type HandoffReason } from '../policy';

/**
 * What the insights page is made of: one row per thing that happened in a conversation, written as it happens. Nothing
 * in an event says who the caller is — no user ID, name, number, organisation or free text, and not even the
 * conversation's ID: `conversation` is a keyed hash of it (see recorder.ts), so a lead can count conversations and
 * follow one through verification without being able to find it anywhere else.
 */

export const INSIGHT_LANGUAGES = ['sv', 'en'] as const;
export type InsightLanguage = (typeof INSIGHT_LANGUAGES)[number];

/** The four actions, in the order a lead reads them: end of term, now, fast revoke, reactivation. */
export const ACTION_KINDS = ['turn-off-auto-renew', 'cancel-now', 'fast-revoke', 'reactivate'] as const satisfies readonly AccountAction[];
export const HANDOFF_REASONS = ['caller-asked', 'too-many-licences', 'locked-out', 'backend-failure'] as const satisfies readonly HandoffReason[];
/** The verification questions in the order they are asked, then the say-back of details picked out of one message. */
export const VERIFICATION_QUESTIONS = [...VERIFICATION_ITEMS, 'admin', 'sayBack'] as const;
export type VerificationQuestion = (typeof VERIFICATION_QUESTIONS)[number];
export const VERIFICATION_VERDICTS = ['verified', 'rejected', 'locked'] as const;
/** FB-1's reasons as the feedback question offers them ("skip" is no reason and is not recorded). */
export const FEEDBACK_REASONS = ['price', 'features', 'switching', 'closing', 'temporary', 'other'] as const;
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number];
export const RECEIPT_KINDS = ['action', 'handoff'] as const;

// Both lists must name every value of their policy type, or a new action or reason would silently go uncounted.
type Missing<All, Listed> = Exclude<All, Listed>;
const everyAction: Missing<AccountAction, (typeof ACTION_KINDS)[number]> extends never ? true : never = true;
const everyHandoffReason: Missing<HandoffReason, (typeof HANDOFF_REASONS)[number]> extends never ? true : never = true;
void everyAction;
void everyHandoffReason;

/** A keyed hash in hex (recorder.ts), or the demo data's random stand-in of the same shape. */
export const conversationKeySchema = z.string().regex(/^[0-9a-f]{32}$/);

const common = {
  /** When it happened (ISO 8601, UTC). */
  at: z.iso.datetime(),
  conversation: conversationKeySchema,
  /** The Bot Framework channel: webchat, msteams, directline, emulator … */
  channel: z.string().regex(/^[a-z0-9._-]{1,40}$/i),
  /** The language the conversation began in (every event of one conversation carries the same). */
  language: z.enum(INSIGHT_LANGUAGES),
};

const durationMs = z.number().int().min(0).max(366 * 86_400_000);

export const insightEventSchema = z.discriminatedUnion('kind', [
  /** The caller's first message (a greeting nobody answered is no conversation). */
  z.object({ kind: z.literal('conversation-started'), ...common }),
  /** A verification question was put to the caller; the last one reached is where an abandoning caller stopped. */
  z.object({ kind: z.literal('verification-question'), ...common, question: z.enum(VERIFICATION_QUESTIONS) }),
  z.object({ kind: z.literal('verification'), ...common, outcome: z.enum(VERIFICATION_VERDICTS) }),
  /** A subscription was changed (once per case: a repeated "yes" is not a second action). */
  z.object({ kind: z.literal('action'), ...common, action: z.enum(ACTION_KINDS) }),
  /** The caller was told no (or could not go on), with the reason they can ask "why?" about and its rules. */
  z.object({ kind: z.literal('refusal'), ...common, reason: z.enum(REASONS), rules: z.array(z.enum(RULE_IDS)).max(RULE_IDS.length) }),
  z.object({ kind: z.literal('handoff'), ...common, reason: z.enum(HANDOFF_REASONS) }),
  z.object({ kind: z.literal('feedback'), ...common, reason: z.enum(FEEDBACK_REASONS) }),
  /** A receipt with a case reference: how long since the caller's first message, and how many messages it took. */
  z.object({ kind: z.literal('receipt'), ...common, of: z.enum(RECEIPT_KINDS), ms: durationMs, messages: z.number().int().min(1).max(100_000) }),
  /** An agent took a hand-off, after it had waited this long. */
  z.object({ kind: z.literal('handoff-taken'), ...common, reason: z.enum(HANDOFF_REASONS), waitedMs: durationMs }),
]);

export type InsightEvent = z.infer<typeof insightEventSchema>;
export type InsightKind = InsightEvent['kind'];
export type InsightEventOf<K extends InsightKind> = Extract<InsightEvent, { kind: K }>;
/** The fields every event has, filled in by whoever records it (not by the code that notices it). */
export type InsightCommon = Pick<InsightEvent, 'at' | 'conversation' | 'channel' | 'language'>;
/** An event without its common fields: what a hook in the conversation notes. */
export type InsightFacts = InsightEvent extends infer E ? (E extends InsightEvent ? Omit<E, keyof InsightCommon> : never) : never;

/**
 * An event as it is written: `eventId`, where the writer gives one, makes writing the same event again a no-op (a
 * turn's events staged with a write whose COMMIT went unanswered, then written on their own: conversation/insights.ts).
 */
export type LoggedInsightEvent = InsightEvent & { eventId?: string };

/** An event's own fields (beyond the common ones and its id), as stored in a row's `data` column. */
export function factsOf(event: LoggedInsightEvent): Record<string, unknown> {
  const { at: _at, conversation: _conversation, channel: _channel, language: _language, kind: _kind, eventId: _eventId, ...facts } = event;
  return facts;
}
