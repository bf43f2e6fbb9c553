import { z } from 'zod';
import { RULE_IDS, type Reason, type RuleId } from '../policy';
import {
  ACTION_KINDS,
  FEEDBACK_REASONS,
  HANDOFF_REASONS,
  INSIGHT_LANGUAGES,
  RECEIPT_KINDS,
  VERIFICATION_QUESTIONS,
  type InsightEvent,
  type InsightEventOf,
  type InsightKind,
  type InsightLanguage,
  type VerificationQuestion,
} from './events';

/** A calendar day, UTC: the page's date range is whole days, as the policy's dates are. */
export const calendarDaySchema = z.iso.date();
export type CalendarDay = z.infer<typeof calendarDaySchema>;

export interface InsightsFilter {
  /** First and last day, both included. */
  from: CalendarDay;
  to: CalendarDay;
  language: 'all' | InsightLanguage;
}

export const VERIFICATION_OUTCOMES = ['verified', 'rejected', 'locked', 'abandoned'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];

/** A middle value, with how many values it is the middle of; null when there were none. */
export interface Typical {
  count: number;
  medianMs: number | null;
  medianMessages: number | null;
}

/** Every figure of the insights page (and of /api/insights and the CSV), for one date range and language. */
export interface Insights {
  filter: InsightsFilter;
  conversations: {
    /** Conversations that began (the caller's first message) in the range. */
    total: number;
    perDay: Array<{ day: CalendarDay; conversations: number }>;
    byLanguage: Record<InsightLanguage, number>;
  };
  /** Finished without a person: conversations with no hand-off ÷ all conversations. */
  containment: { conversations: number; contained: number; handedOver: number; rate: number | null };
  /** Hand-offs, and for each reason the share of conversations handed over for it. */
  handoffs: { total: number; byReason: Array<{ reason: (typeof HANDOFF_REASONS)[number]; handoffs: number; conversations: number; rate: number | null }> };
  verification: {
    /** Conversations in which at least one verification question was asked (or a verdict given). */
    started: number;
    /** Per conversation: its last verdict, or abandoned when there was none. */
    outcomes: Record<VerificationOutcome, number>;
    /** Per question: conversations that were asked it, and abandoned conversations for which it was the last one. */
    funnel: Array<{ question: VerificationQuestion; reached: number; abandoned: number }>;
  };
  actions: { total: number; byKind: Array<{ action: (typeof ACTION_KINDS)[number]; actions: number }> };
  refusals: {
    total: number;
    byReason: Array<{ reason: Reason; rules: RuleId[]; refusals: number }>;
    /** Refusals citing each rule; AS-3 ("every refusal has a reason") is on all of them and is left out. */
    byRule: Array<{ rule: RuleId; refusals: number }>;
  };
  /** FB-1: the reasons callers gave after cancelling. */
  feedback: { total: number; byReason: Array<{ reason: (typeof FEEDBACK_REASONS)[number]; answers: number }> };
  /** From the caller's first message to the receipt with the case reference: all receipts, and each kind apart. */
  timeToReceipt: Record<'all' | (typeof RECEIPT_KINDS)[number], Typical>;
  /** How long hand-offs waited before an agent took them. */
  agentResponse: { taken: number; medianWaitMs: number | null; p90WaitMs: number | null };
}

const DAY_MS = 86_400_000;

/** The day after `day`, and every day from `from` to `to`. */
export function nextDay(day: CalendarDay): CalendarDay {
  return new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

export function daysOf(from: CalendarDay, to: CalendarDay): CalendarDay[] {
  const days: CalendarDay[] = [];
  for (let day = from; day <= to; day = nextDay(day)) days.push(day);
  return days;
}

/** The filter's range as instants: from the first day's midnight (UTC) to the midnight after the last. */
export function rangeOf(filter: Pick<InsightsFilter, 'from' | 'to'>): { from: Date; to: Date } {
  return { from: new Date(`${filter.from}T00:00:00.000Z`), to: new Date(`${nextDay(filter.to)}T00:00:00.000Z`) };
}

/**
 * Every figure, from events alone: pure (no clock, no store), so the numbers a lead sees can be checked against a data
 * set built by hand. Events outside the filter are ignored, so it may be handed more than the range.
 */
export function computeInsights(all: readonly InsightEvent[], filter: InsightsFilter): Insights {
  const events = all
    .filter((event) => event.at.slice(0, 10) >= filter.from && event.at.slice(0, 10) <= filter.to && (filter.language === 'all' || event.language === filter.language))
    .sort((a, b) => a.at.localeCompare(b.at));
  const of = <K extends InsightKind>(kind: K) => events.filter((event): event is InsightEventOf<K> => event.kind === kind);
  const byConversation = new Map<string, InsightEvent[]>();
  for (const event of events) byConversation.set(event.conversation, [...(byConversation.get(event.conversation) ?? []), event]);

  // Conversations: one per key that began in the range, on the day (and in the language) it began.
  const started = new Map<string, InsightEventOf<'conversation-started'>>();
  for (const event of of('conversation-started')) if (!started.has(event.conversation)) started.set(event.conversation, event);
  const perDay = new Map(daysOf(filter.from, filter.to).map((day) => [day, 0]));
  const byLanguage = Object.fromEntries(INSIGHT_LANGUAGES.map((language) => [language, 0])) as Record<InsightLanguage, number>;
  for (const event of started.values()) {
    const day = event.at.slice(0, 10);
    perDay.set(day, (perDay.get(day) ?? 0) + 1);
    byLanguage[event.language]++;
  }

  const handoffs = of('handoff');
  const handedOver = new Set(handoffs.map((event) => event.conversation).filter((key) => started.has(key)));
  const conversations = started.size;
  const share = (part: number) => (conversations === 0 ? null : part / conversations);

  return {
    filter,
    conversations: { total: conversations, perDay: [...perDay].map(([day, count]) => ({ day, conversations: count })), byLanguage },
    containment: { conversations, contained: conversations - handedOver.size, handedOver: handedOver.size, rate: share(conversations - handedOver.size) },
    handoffs: {
      total: handoffs.length,
      byReason: HANDOFF_REASONS.map((reason) => {
        const forReason = handoffs.filter((event) => event.reason === reason);
        const inConversations = new Set(forReason.map((event) => event.conversation).filter((key) => started.has(key))).size;
        return { reason, handoffs: forReason.length, conversations: inConversations, rate: share(inConversations) };
      }),
    },
    verification: verificationFigures(byConversation),
    actions: { total: of('action').length, byKind: ACTION_KINDS.map((action) => ({ action, actions: of('action').filter((event) => event.action === action).length })) },
    refusals: refusalFigures(of('refusal')),
    feedback: { total: of('feedback').length, byReason: FEEDBACK_REASONS.map((reason) => ({ reason, answers: of('feedback').filter((event) => event.reason === reason).length })) },
    timeToReceipt: {
      all: typical(of('receipt')),
      ...(Object.fromEntries(RECEIPT_KINDS.map((kind) => [kind, typical(of('receipt').filter((event) => event.of === kind))])) as Record<(typeof RECEIPT_KINDS)[number], Typical>),
    },
    agentResponse: {
      taken: of('handoff-taken').length,
      medianWaitMs: median(of('handoff-taken').map((event) => event.waitedMs)),
      p90WaitMs: percentile(of('handoff-taken').map((event) => event.waitedMs), 0.9),
    },
  };
}

/** Per conversation that began verifying: how it ended, and which question it got to. */
function verificationFigures(byConversation: Map<string, InsightEvent[]>): Insights['verification'] {
  const outcomes = Object.fromEntries(VERIFICATION_OUTCOMES.map((outcome) => [outcome, 0])) as Record<VerificationOutcome, number>;
  const reached = new Map<VerificationQuestion, number>(VERIFICATION_QUESTIONS.map((question) => [question, 0]));
  const abandonedAt = new Map<VerificationQuestion, number>(VERIFICATION_QUESTIONS.map((question) => [question, 0]));
  let started = 0;
  for (const events of byConversation.values()) {
    const questions = events.filter((event): event is InsightEventOf<'verification-question'> => event.kind === 'verification-question');
    const verdicts = events.filter((event): event is InsightEventOf<'verification'> => event.kind === 'verification');
    if (questions.length === 0 && verdicts.length === 0) continue;
    started++;
    for (const question of new Set(questions.map((event) => event.question))) reached.set(question, (reached.get(question) ?? 0) + 1);
    const last = verdicts.at(-1);
    if (last) {
      outcomes[last.outcome]++;
      continue;
    }
    outcomes.abandoned++;
    const lastQuestion = questions.at(-1)?.question;
    if (lastQuestion) abandonedAt.set(lastQuestion, (abandonedAt.get(lastQuestion) ?? 0) + 1);
  }
  return { started, outcomes, funnel: VERIFICATION_QUESTIONS.map((question) => ({ question, reached: reached.get(question) ?? 0, abandoned: abandonedAt.get(question) ?? 0 })) };
}

function refusalFigures(refusals: Array<InsightEventOf<'refusal'>>): Insights['refusals'] {
  const byReason = new Map<Reason, { rules: Set<RuleId>; refusals: number }>();
  const byRule = new Map<RuleId, number>();
  for (const event of refusals) {
    const entry = byReason.get(event.reason) ?? { rules: new Set<RuleId>(), refusals: 0 };
    entry.refusals++;
    for (const rule of event.rules) entry.rules.add(rule);
    byReason.set(event.reason, entry);
    for (const rule of new Set(event.rules)) if (rule !== 'AS-3') byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
  }
  const ruleOrder = (rule: RuleId) => RULE_IDS.indexOf(rule);
  return {
    total: refusals.length,
    // Most frequent first; ties in a fixed order, so the same events always read the same.
    byReason: [...byReason]
      .map(([reason, entry]) => ({ reason, rules: [...entry.rules].sort((a, b) => ruleOrder(a) - ruleOrder(b)), refusals: entry.refusals }))
      .sort((a, b) => b.refusals - a.refusals || a.reason.localeCompare(b.reason)),
    byRule: [...byRule].map(([rule, count]) => ({ rule, refusals: count })).sort((a, b) => b.refusals - a.refusals || ruleOrder(a.rule) - ruleOrder(b.rule)),
  };
}

function typical(receipts: Array<InsightEventOf<'receipt'>>): Typical {
  return { count: receipts.length, medianMs: median(receipts.map((event) => event.ms)), medianMessages: median(receipts.map((event) => event.messages)) };
}

/** The middle value; with an even count, halfway between the two middle ones. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The nearest-rank percentile: the smallest value at least this share of the values are at or below. */
export function percentile(values: readonly number[], share: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] as number;
}
