import { explain, VERIFICATION_ITEMS, type AccountAction, type HandoffReason, type Reason } from '../policy';
import type { FeedbackReason, InsightEvent, InsightFacts, InsightLanguage } from './events';

/**
 * A few weeks of made-up conversations for the insights page of a demo (`npm run demo:data`): busier on weekdays and
 * in office hours, mostly Swedish, most callers verified and served by the assistant, some refused, some handed to a
 * person, now and then one who gives up half-way through the questions. Seeded: the same seed and the same day give
 * the same events. Nothing in it comes from a real conversation.
 */
export interface DemoDataOptions {
  /** The demo's "now": conversations run up to it, never past it. */
  end: Date;
  days?: number;
  seed?: number;
}

export const DEFAULT_DEMO_DAYS = 35;
export const DEFAULT_DEMO_SEED = 20_261_201;

const DAY_MS = 86_400_000;

/** mulberry32: small, fast and good enough for made-up numbers; the same seed gives the same sequence. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** How busy each hour of the day (UTC) is: the desk's office hours in Sweden, quieter evenings, almost no nights. */
const HOUR_WEIGHTS = [1, 0, 0, 0, 1, 2, 6, 12, 16, 17, 15, 13, 14, 16, 15, 12, 8, 5, 4, 3, 3, 2, 2, 1];

export function generateDemoEvents(options: DemoDataOptions): InsightEvent[] {
  const random = randomFrom(options.seed ?? DEFAULT_DEMO_SEED);
  const days = options.days ?? DEFAULT_DEMO_DAYS;
  const chance = (p: number) => random() < p;
  const between = (min: number, max: number) => min + random() * (max - min);
  const pick = <T>(weighted: ReadonlyArray<readonly [T, number]>): T => {
    let left = random() * weighted.reduce((sum, [, weight]) => sum + weight, 0);
    for (const [value, weight] of weighted) if ((left -= weight) < 0) return value;
    return weighted[weighted.length - 1]![0];
  };
  const hex = () => Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');

  const events: InsightEvent[] = [];

  /** One caller's conversation, step by step, as the real one would be noted. */
  function conversation(startMs: number): void {
    const key = hex();
    const language: InsightLanguage = chance(0.72) ? 'sv' : 'en';
    const channel = chance(0.62) ? 'webchat' : 'msteams';
    let now = startMs;
    let messages = 1;
    const note = (facts: InsightFacts) => events.push({ ...facts, at: new Date(now).toISOString(), conversation: key, channel, language } as InsightEvent);
    /** The caller answers: some seconds later, one more message. */
    const answer = (minSeconds = 8, maxSeconds = 45) => {
      now += Math.round(between(minSeconds, maxSeconds) * 1000);
      messages++;
    };
    const refuse = (reason: Reason) => note({ kind: 'refusal', reason, rules: explain(reason).rules });
    const receipt = (of: 'action' | 'handoff') => note({ kind: 'receipt', of, ms: now - startMs, messages });
    const handOff = (reason: HandoffReason) => {
      note({ kind: 'handoff', reason });
      receipt('handoff');
      const wait = agentWait(now);
      // Some callers leave before anyone comes; and nobody is taken after the demo's "now".
      if (chance(0.9) && now + wait <= options.end.getTime()) events.push({ kind: 'handoff-taken', reason, waitedMs: wait, at: new Date(now + wait).toISOString(), conversation: key, channel, language });
    };
    const act = (action: AccountAction, feedbackChance: number) => {
      answer();
      note({ kind: 'action', action });
      receipt('action');
      if (!chance(feedbackChance)) return;
      answer(5, 25);
      note({ kind: 'feedback', reason: pick<FeedbackReason>([['price', 30], ['switching', 22], ['temporary', 14], ['features', 12], ['other', 12], ['closing', 10]]) });
    };

    note({ kind: 'conversation-started' });
    const wish = pick([['question', 20], ['person', 5], ['cancel', 41], ['reactivate', 22], ['fastRevoke', 12]] as const);
    if (wish === 'question') {
      for (let i = Math.floor(between(1, 4)); i > 0; i--) answer();
      return;
    }
    if (wish === 'person') {
      answer();
      handOff('caller-asked');
      return;
    }

    // The identity check: six questions one by one, or details said at once and confirmed; some stop on the way.
    let verdict: 'verified' | 'rejected' | 'locked' | undefined;
    for (let attempt = 1; attempt <= 3 && verdict !== 'verified'; attempt++) {
      const allAtOnce = attempt === 1 && chance(0.25);
      const questions = allAtOnce ? ['sayBack'] as const : ([...VERIFICATION_ITEMS, 'admin'] as const);
      for (const question of questions) {
        note({ kind: 'verification-question', question });
        const leaves = question === 'userId' ? 0.04 : question === 'postalAddress' ? 0.04 : question === 'sayBack' ? 0.03 : 0.02;
        if (chance(leaves)) return;
        answer(10, 50);
      }
      if (chance(0.01)) {
        refuse('verification-gave-up');
        return;
      }
      verdict = chance(0.85) ? 'verified' : attempt === 3 ? 'locked' : 'rejected';
      if (verdict === 'locked') {
        note({ kind: 'verification', outcome: 'locked' });
        refuse('locked-out');
        if (chance(0.5)) {
          answer();
          handOff('locked-out');
        }
        return;
      }
      note({ kind: 'verification', outcome: verdict });
      if (verdict === 'rejected') {
        refuse('verification-rejected');
        if (!chance(0.6)) return;
      }
    }
    if (verdict !== 'verified') return;
    if (chance(0.04)) {
      refuse('not-admin');
      return;
    }
    if (chance(0.04)) {
      answer();
      handOff('caller-asked');
      return;
    }

    answer();
    if (wish === 'cancel') {
      const outcome = pick([['trial', 5], ['trial-continues', 2], ['ends-by-itself', 3], ['already-ended', 3], ['already-scheduled', 3], ['too-many-licences', 9], ['go', 75]] as const);
      if (outcome === 'too-many-licences') {
        answer();
        if (chance(0.65)) handOff('too-many-licences');
        else refuse('too-many-licences');
        return;
      }
      if (outcome !== 'go') {
        refuse(outcome);
        return;
      }
      const rightAway = chance(0.38);
      answer();
      if (rightAway && chance(0.12)) {
        refuse('early-fees');
        return;
      }
      answer();
      if (chance(0.025)) {
        answer();
        handOff('backend-failure');
        return;
      }
      act(rightAway ? 'cancel-now' : 'turn-off-auto-renew', 0.55);
      return;
    }
    if (wish === 'fastRevoke') {
      const outcome = pick([['fast-revoke-irreversible', 18], ['fast-revoke-too-many-licences', 4], ['code-not-confirmed', 5], ['name-not-confirmed', 1], ['already-fast-revoked', 2], ['go', 70]] as const);
      answer();
      if (outcome === 'fast-revoke-too-many-licences' && chance(0.6)) {
        handOff('too-many-licences');
        return;
      }
      if (outcome !== 'go') {
        refuse(outcome);
        return;
      }
      // The one-time code by SMS, then the organisation's name.
      answer(30, 120);
      answer();
      act('fast-revoke', 0.45);
      return;
    }
    const outcome = pick([['reactivation-data-deleted', 10], ['reactivation-fast-revoked', 5], ['reactivation-trial-expired', 3], ['nothing-to-reactivate', 6], ['renewal-off', 4], ['go', 72]] as const);
    if (outcome !== 'go') {
      refuse(outcome);
      return;
    }
    act('reactivate', 0);
  }

  /** How long a hand-off waits: minutes while the desk is open (weekdays 07–16 UTC), else until it opens. */
  function agentWait(openedMs: number): number {
    const at = new Date(openedMs);
    const open = (ms: number) => {
      const d = new Date(ms);
      return d.getUTCDay() !== 0 && d.getUTCDay() !== 6 && d.getUTCHours() >= 7 && d.getUTCHours() < 16;
    };
    // Mostly a few minutes, now and then a quarter of an hour or more.
    const minutes = Math.exp(between(Math.log(0.5), Math.log(18)));
    if (open(at.getTime())) return Math.round(minutes * 60_000);
    let opens = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), 7);
    while (opens <= openedMs || !open(opens)) opens += DAY_MS;
    return opens - openedMs + Math.round(minutes * 60_000);
  }

  const firstDay = Date.UTC(options.end.getUTCFullYear(), options.end.getUTCMonth(), options.end.getUTCDate()) - (days - 1) * DAY_MS;
  for (let index = 0; index < days; index++) {
    const midnight = firstDay + index * DAY_MS;
    const weekday = new Date(midnight).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    // A little busier week by week, and Mondays most of all.
    const base = (weekend ? 12 : weekday === 1 ? 58 : 46) * (1 + 0.006 * index);
    const count = Math.round(base * between(0.8, 1.2));
    for (let n = 0; n < count; n++) {
      const hour = pick(HOUR_WEIGHTS.map((weight, h) => [h, weekend ? 1 + weight / 3 : weight] as const));
      conversation(midnight + hour * 3_600_000 + Math.floor(random() * 3_600_000));
    }
  }
  return events.filter((event) => Date.parse(event.at) <= options.end.getTime()).sort((a, b) => a.at.localeCompare(b.at));
}
