import { describe, expect, it } from 'vitest';
import { computeInsights, median, percentile } from '../../src/insights/computeInsights';
import { insightEventSchema, type InsightEvent, type InsightFacts, type InsightLanguage } from '../../src/insights/events';

/**
 * The insights figures from a data set built by hand, every number worked out on paper first (see each conversation's
 * comment). C11 and C12 fall just outside the range (the last millisecond before it, the first after it).
 */
const key = (n: number) => n.toString(16).padStart(32, '0');

function conversation(n: number, language: InsightLanguage, channel: string, startedAt: string, steps: Array<[seconds: number, facts: InsightFacts]>): InsightEvent[] {
  const start = Date.parse(startedAt);
  return [[0, { kind: 'conversation-started' }] as [number, InsightFacts], ...steps].map(([seconds, facts]) =>
    insightEventSchema.parse({ ...facts, at: new Date(start + seconds * 1000).toISOString(), conversation: key(n), channel, language }),
  );
}

const ALL_SIX = ['userId', 'phone', 'contactName', 'organisationName', 'postalAddress', 'admin'] as const;
const questions = (from: number): Array<[number, InsightFacts]> => ALL_SIX.map((question, i) => [from + i * 20, { kind: 'verification-question', question }]);

const EVENTS: InsightEvent[] = [
  // C1 sv: six questions, verified, cancelled at the end of the term, receipt after 4 min / 10 messages, feedback "price".
  ...conversation(1, 'sv', 'webchat', '2026-11-02T09:00:00.000Z', [...questions(10), [140, { kind: 'verification', outcome: 'verified' }], [230, { kind: 'action', action: 'turn-off-auto-renew' }], [240, { kind: 'receipt', of: 'action', ms: 240_000, messages: 10 }], [260, { kind: 'feedback', reason: 'price' }]]),
  // C2 sv: stops after the phone question (abandoned there).
  ...conversation(2, 'sv', 'msteams', '2026-11-02T10:00:00.000Z', [[10, { kind: 'verification-question', question: 'userId' }], [30, { kind: 'verification-question', question: 'phone' }]]),
  // C3 en: details at once, said back, rejected; the six questions, verified; cancelled now (5 min / 14), feedback "switching".
  ...conversation(3, 'en', 'webchat', '2026-11-03T08:00:00.000Z', [
    [10, { kind: 'verification-question', question: 'sayBack' }],
    [30, { kind: 'verification', outcome: 'rejected' }],
    [30, { kind: 'refusal', reason: 'verification-rejected', rules: ['ID-1', 'ID-3', 'AS-3'] }],
    ...questions(40),
    [170, { kind: 'verification', outcome: 'verified' }],
    [290, { kind: 'action', action: 'cancel-now' }],
    [300, { kind: 'receipt', of: 'action', ms: 300_000, messages: 14 }],
    [320, { kind: 'feedback', reason: 'switching' }],
  ]),
  // C4 en: asks for a person straight away (1 min / 2); an agent takes it after 2 minutes.
  ...conversation(4, 'en', 'webchat', '2026-11-03T12:00:00.000Z', [[55, { kind: 'handoff', reason: 'caller-asked' }], [60, { kind: 'receipt', of: 'handoff', ms: 60_000, messages: 2 }], [180, { kind: 'handoff-taken', reason: 'caller-asked', waitedMs: 120_000 }]]),
  // C5 sv: six questions, locked out, handed over (400 s / 9), taken after 10 minutes.
  ...conversation(5, 'sv', 'webchat', '2026-11-04T07:30:00.000Z', [
    ...questions(10),
    [150, { kind: 'verification', outcome: 'locked' }],
    [150, { kind: 'refusal', reason: 'locked-out', rules: ['ID-3', 'AS-2', 'AS-3'] }],
    [395, { kind: 'handoff', reason: 'locked-out' }],
    [400, { kind: 'receipt', of: 'handoff', ms: 400_000, messages: 9 }],
    [1000, { kind: 'handoff-taken', reason: 'locked-out', waitedMs: 600_000 }],
  ]),
  // C6 sv: a general question, nothing else.
  ...conversation(6, 'sv', 'webchat', '2026-11-04T15:00:00.000Z', []),
  // C7 sv: verified; a trial has nothing to cancel.
  ...conversation(7, 'sv', 'webchat', '2026-11-05T11:00:00.000Z', [...questions(10), [140, { kind: 'verification', outcome: 'verified' }], [200, { kind: 'refusal', reason: 'trial', rules: ['TR-1', 'TR-2', 'AS-3'] }]]),
  // C8 en: verified; too many licences, a colleague takes over (500 s / 12), taken after 5 minutes.
  ...conversation(8, 'en', 'msteams', '2026-11-05T13:00:00.000Z', [
    ...questions(10),
    [140, { kind: 'verification', outcome: 'verified' }],
    [300, { kind: 'refusal', reason: 'too-many-licences', rules: ['EARLY-4', 'EARLY-5', 'AS-2', 'AS-3'] }],
    [495, { kind: 'handoff', reason: 'too-many-licences' }],
    [500, { kind: 'receipt', of: 'handoff', ms: 500_000, messages: 12 }],
    [800, { kind: 'handoff-taken', reason: 'too-many-licences', waitedMs: 300_000 }],
  ]),
  // C9 sv: verified; fast revoke (7 min / 16), no feedback.
  ...conversation(9, 'sv', 'webchat', '2026-11-06T09:00:00.000Z', [...questions(10), [140, { kind: 'verification', outcome: 'verified' }], [410, { kind: 'action', action: 'fast-revoke' }], [420, { kind: 'receipt', of: 'action', ms: 420_000, messages: 16 }]]),
  // C10 en: six questions, rejected, and leaves.
  ...conversation(10, 'en', 'webchat', '2026-11-06T10:00:00.000Z', [...questions(10), [140, { kind: 'verification', outcome: 'rejected' }], [140, { kind: 'refusal', reason: 'verification-rejected', rules: ['ID-1', 'ID-3', 'AS-3'] }]]),
  // C11 sv: the last millisecond before the range: a whole reactivation, none of it counted.
  ...conversation(11, 'sv', 'webchat', '2026-10-31T23:59:59.999Z', [[0, { kind: 'action', action: 'reactivate' }], [0, { kind: 'receipt', of: 'action', ms: 1000, messages: 3 }]]),
  // C12 sv: the first millisecond after it.
  ...conversation(12, 'sv', 'webchat', '2026-11-08T00:00:00.000Z', [[0, { kind: 'handoff', reason: 'caller-asked' }]]),
];

const WEEK = { from: '2026-11-01', to: '2026-11-07' } as const;

describe('computeInsights on a known data set (2026-11-01 … 2026-11-07)', () => {
  const all = computeInsights(EVENTS, { ...WEEK, language: 'all' });

  it('counts conversations per day (every day of the range, empty ones too) and by language', () => {
    expect(all.conversations.total).toBe(10);
    expect(all.conversations.perDay).toEqual([
      { day: '2026-11-01', conversations: 0 },
      { day: '2026-11-02', conversations: 2 },
      { day: '2026-11-03', conversations: 2 },
      { day: '2026-11-04', conversations: 2 },
      { day: '2026-11-05', conversations: 2 },
      { day: '2026-11-06', conversations: 2 },
      { day: '2026-11-07', conversations: 0 },
    ]);
    expect(all.conversations.byLanguage).toEqual({ sv: 6, en: 4 });
  });

  it('containment: conversations without a hand-off ÷ all; the hand-off rate by reason', () => {
    expect(all.containment).toEqual({ conversations: 10, contained: 7, handedOver: 3, rate: 0.7 });
    expect(all.handoffs).toEqual({
      total: 3,
      byReason: [
        { reason: 'caller-asked', handoffs: 1, conversations: 1, rate: 0.1 },
        { reason: 'too-many-licences', handoffs: 1, conversations: 1, rate: 0.1 },
        { reason: 'locked-out', handoffs: 1, conversations: 1, rate: 0.1 },
        { reason: 'backend-failure', handoffs: 0, conversations: 0, rate: 0 },
      ],
    });
  });

  it('verification: each conversation by its last verdict, abandoned without one, and the funnel of questions', () => {
    expect(all.verification.started).toBe(8);
    expect(all.verification.outcomes).toEqual({ verified: 5, rejected: 1, locked: 1, abandoned: 1 });
    expect(all.verification.funnel).toEqual([
      { question: 'userId', reached: 8, abandoned: 0 },
      { question: 'phone', reached: 8, abandoned: 1 },
      { question: 'contactName', reached: 7, abandoned: 0 },
      { question: 'organisationName', reached: 7, abandoned: 0 },
      { question: 'postalAddress', reached: 7, abandoned: 0 },
      { question: 'admin', reached: 7, abandoned: 0 },
      { question: 'sayBack', reached: 1, abandoned: 0 },
    ]);
  });

  it('actions by kind, refusals by reason (with their rules) and by rule (AS-3 left out), feedback reasons', () => {
    expect(all.actions).toEqual({
      total: 3,
      byKind: [
        { action: 'turn-off-auto-renew', actions: 1 },
        { action: 'cancel-now', actions: 1 },
        { action: 'fast-revoke', actions: 1 },
        { action: 'reactivate', actions: 0 },
      ],
    });
    expect(all.refusals.total).toBe(5);
    expect(all.refusals.byReason).toEqual([
      { reason: 'verification-rejected', rules: ['ID-1', 'ID-3', 'AS-3'], refusals: 2 },
      { reason: 'locked-out', rules: ['ID-3', 'AS-2', 'AS-3'], refusals: 1 },
      { reason: 'too-many-licences', rules: ['EARLY-4', 'EARLY-5', 'AS-2', 'AS-3'], refusals: 1 },
      { reason: 'trial', rules: ['TR-1', 'TR-2', 'AS-3'], refusals: 1 },
    ]);
    expect(all.refusals.byRule).toEqual([
      { rule: 'ID-3', refusals: 3 },
      { rule: 'ID-1', refusals: 2 },
      { rule: 'AS-2', refusals: 2 },
      { rule: 'TR-1', refusals: 1 },
      { rule: 'TR-2', refusals: 1 },
      { rule: 'EARLY-4', refusals: 1 },
      { rule: 'EARLY-5', refusals: 1 },
    ]);
    expect(all.feedback).toEqual({
      total: 2,
      byReason: [
        { reason: 'price', answers: 1 },
        { reason: 'features', answers: 0 },
        { reason: 'switching', answers: 1 },
        { reason: 'closing', answers: 0 },
        { reason: 'temporary', answers: 0 },
        { reason: 'other', answers: 0 },
      ],
    });
  });

  it('the median time and messages from first message to receipt, and how long agents took', () => {
    expect(all.timeToReceipt).toEqual({
      all: { count: 6, medianMs: 350_000, medianMessages: 11 },
      action: { count: 3, medianMs: 300_000, medianMessages: 14 },
      handoff: { count: 3, medianMs: 400_000, medianMessages: 9 },
    });
    expect(all.agentResponse).toEqual({ taken: 3, medianWaitMs: 300_000, p90WaitMs: 600_000 });
  });

  it('the language filter keeps the conversations in that language only', () => {
    const en = computeInsights(EVENTS, { ...WEEK, language: 'en' });
    expect(en.conversations.total).toBe(4);
    expect(en.conversations.perDay.filter((d) => d.conversations > 0)).toEqual([
      { day: '2026-11-03', conversations: 2 },
      { day: '2026-11-05', conversations: 1 },
      { day: '2026-11-06', conversations: 1 },
    ]);
    expect(en.conversations.byLanguage).toEqual({ sv: 0, en: 4 });
    expect(en.containment).toEqual({ conversations: 4, contained: 2, handedOver: 2, rate: 0.5 });
    expect(en.verification.started).toBe(3);
    expect(en.verification.outcomes).toEqual({ verified: 2, rejected: 1, locked: 0, abandoned: 0 });
    expect(en.actions.total).toBe(1);
    expect(en.refusals.total).toBe(3);
    expect(en.feedback.total).toBe(1);
    expect(en.timeToReceipt).toEqual({
      all: { count: 3, medianMs: 300_000, medianMessages: 12 },
      action: { count: 1, medianMs: 300_000, medianMessages: 14 },
      handoff: { count: 2, medianMs: 280_000, medianMessages: 7 },
    });
    expect(en.agentResponse).toEqual({ taken: 2, medianWaitMs: 210_000, p90WaitMs: 300_000 });
    const sv = computeInsights(EVENTS, { ...WEEK, language: 'sv' });
    expect(sv.conversations.total + en.conversations.total).toBe(all.conversations.total);
    expect(sv.actions.total + en.actions.total).toBe(all.actions.total);
  });

  it('the date range is whole UTC days, both included; one day alone works', () => {
    const day = computeInsights(EVENTS, { from: '2026-11-04', to: '2026-11-04', language: 'all' });
    expect(day.conversations.total).toBe(2);
    expect(day.conversations.perDay).toEqual([{ day: '2026-11-04', conversations: 2 }]);
    expect(day.containment).toEqual({ conversations: 2, contained: 1, handedOver: 1, rate: 0.5 });
    expect(day.verification.outcomes).toEqual({ verified: 0, rejected: 0, locked: 1, abandoned: 0 });
    // Widened by a day at each end, the two conversations just outside come in.
    const wider = computeInsights(EVENTS, { from: '2026-10-31', to: '2026-11-08', language: 'all' });
    expect(wider.conversations.total).toBe(12);
    expect(wider.actions.byKind.find((a) => a.action === 'reactivate')?.actions).toBe(1);
    expect(wider.handoffs.total).toBe(4);
  });

  it('a period with nothing in it has zeros, and no rates or medians rather than made-up ones', () => {
    const empty = computeInsights(EVENTS, { from: '2025-01-01', to: '2025-01-02', language: 'all' });
    expect(empty.conversations).toEqual({ total: 0, perDay: [{ day: '2025-01-01', conversations: 0 }, { day: '2025-01-02', conversations: 0 }], byLanguage: { sv: 0, en: 0 } });
    expect(empty.containment.rate).toBeNull();
    expect(empty.handoffs.byReason.every((r) => r.rate === null)).toBe(true);
    expect(empty.timeToReceipt.all).toEqual({ count: 0, medianMs: null, medianMessages: null });
    expect(empty.agentResponse).toEqual({ taken: 0, medianWaitMs: null, p90WaitMs: null });
  });

  it('is pure: the events are not changed, and their order does not matter', () => {
    const copy = structuredClone(EVENTS);
    const shuffled = [...EVENTS].reverse();
    expect(computeInsights(shuffled, { ...WEEK, language: 'all' })).toEqual(all);
    expect(EVENTS).toEqual(copy);
  });
});

describe('median and percentile', () => {
  it('takes the middle value, or halfway between the two middle ones', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('the nearest-rank percentile', () => {
    expect(percentile([], 0.9)).toBeNull();
    expect(percentile([10], 0.9)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 0.9)).toBe(10);
  });
});
