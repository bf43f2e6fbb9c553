import { expect } from 'vitest';
import type { Language } from '../../src/i18n';
import type { DemoCallerName } from './demoCallers';
import { WORDS } from './conversation';

/** What a branch test needs of a conversation, whichever way it is driven (SDK TestAdapter or real HTTP). */
export interface Conversation {
  say(...texts: string[]): Promise<string[]>;
  verifyFor(intent: 'cancel' | 'fastRevoke' | 'reactivate', caller: DemoCallerName): Promise<string[]>;
  words: (typeof WORDS)[Language];
  db(): import('better-sqlite3').Database;
  auditFor(reference: string): Promise<unknown[]>;
  close(): Promise<void>;
}

export interface Branch {
  name: string;
  caller: DemoCallerName;
  intent: 'cancel' | 'fastRevoke' | 'reactivate';
  /** What the caller says after verification (the words of WORDS for the language, or literal text). */
  then: (c: Conversation) => Promise<string[]>;
  expect: Record<Language, string[]>;
  /** The subscription afterwards, and whether a case was opened. */
  after?: { status?: string; autoRenew?: number; cases?: Array<{ kind: string; status: string; action: string }> };
}

export const subscriptionRow = (c: Conversation, caller: DemoCallerName) =>
  c.db().prepare('SELECT s.status, s.auto_renew AS autoRenew, s.cancelled_at AS cancelledAt, s.data_deletion_at AS dataDeletionAt FROM subscriptions s JOIN account_users u ON u.account_id = s.account_id WHERE u.user_id LIKE ?').get(`${caller}.%`) as Record<string, unknown>;
export const casesOf = (c: Conversation) => c.db().prepare('SELECT kind, status, action, rules FROM cases ORDER BY created_at').all() as Array<{ kind: string; status: string; action: string; rules: string }>;

/** Every demo account's branch (issue: cancel, fast revoke, reactivate), with what each language must say. */
export const BRANCHES: Branch[] = [
  {
    name: 'Anna cancels at the end of the term (END-1, END-2)',
    caller: 'anna',
    intent: 'cancel',
    then: (c) => c.say(c.words.endOfTerm, c.words.yes, c.words.skip),
    expect: {
      sv: ['Så här blir det: jag stänger av automatisk förnyelse', 'den 12 december 2026', 'en månad i taget (END-2)', 'Klart. Ärendenummer: CX-', 'Automatisk förnyelse är avstängd'],
      en: ['Here is what will happen: I turn off automatic renewal', '12 December 2026', 'one month at a time (END-2)', 'Done. Case reference: CX-', 'Automatic renewal is off'],
    },
    after: { status: 'ACTIVE', autoRenew: 0, cases: [{ kind: 'action', status: 'done', action: 'turn-off-auto-renew' }] },
  },
  {
    name: 'Anna cancels now (EARLY-1..4, EARLY-6), with feedback (FB-1)',
    caller: 'anna',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes, c.words.yes, c.words.price, c.words.skip),
    expect: {
      sv: ['avgifter för förtida uppsägning (EARLY-1)', 'ta bort era egna domäner (fjordfika.se)', 'namnserverposten (NS)', 'raderas för gott den 20 februari 2027 (EARLY-3)', 'proportionell kredit', 'Klart. Ärendenummer: CX-', 'Vill du berätta varför du lämnar oss?', 'Tack, det hjälper oss.'],
      en: ['early-termination fees (EARLY-1)', 'remove your custom domains (fjordfika.se)', 'NS record at your registrar', 'deleted for good on 20 February 2027 (EARLY-3)', 'prorated credit', 'Done. Case reference: CX-', "Would you tell us why you're leaving?", 'Thank you, that helps us.'],
    },
    after: { status: 'CANCELLED', cases: [{ kind: 'action', status: 'done', action: 'cancel-now' }] },
  },
  {
    name: 'Erik, 40 licences: remove users, and a person takes over (EARLY-5, AS-2)',
    caller: 'erik',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes),
    expect: {
      sv: ['har 40 tilldelade licenser', 'färre än 25', 'ta bort minst 16 användare', 'EARLY-5', 'AS-2', 'Vill du att en kollega gör uppsägningen åt dig?', 'Ärendet är överlämnat till en kollega. Ärendenummer: CX-'],
      en: ['has 40 assigned licences', 'fewer than 25', 'remove at least 16 users', 'EARLY-5', 'AS-2', 'Would you like a colleague to do the cancellation for you?', 'Your case is with a colleague. Case reference: CX-'],
    },
    after: { status: 'ACTIVE', autoRenew: 1, cases: [{ kind: 'handoff', status: 'open', action: 'cancel-now' }] },
  },
  {
    name: 'Ulf, exactly 25 licences: not fewer than 25; he declines the colleague, nothing changes (EARLY-5)',
    caller: 'ulf',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.no),
    expect: {
      sv: ['har 25 tilldelade licenser', 'ta bort minst 1 användare', 'När färre än 25 licenser är tilldelade kan du säga upp online'],
      en: ['has 25 assigned licences', 'remove at least 1 user', 'Once fewer than 25 licences are assigned, you can cancel online'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'James, trial without a payment method: nothing to cancel (TR-1, TR-2)',
    caller: 'james',
    intent: 'cancel',
    then: async () => [],
    expect: {
      sv: ['är en provperiod, så det finns inget att säga upp (TR-1)', 'Lägger du inte till en betalningsmetod upphör provperioden den 6 december 2026', 'raderas alla dess data för gott (TR-2)'],
      en: ['is a trial, so there is nothing to cancel (TR-1)', "If you don't add a payment method, it ends on 6 December 2026", 'all its data is then deleted for good (TR-2)'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Maria, product key: cancelled, not refundable (PK-1)',
    caller: 'maria',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes, c.words.yes, c.words.skip),
    expect: {
      sv: ['produktnyckel återbetalas inte av oss', 'partnern', '(PK-1)', 'Klart. Ärendenummer: CX-'],
      en: ['product key is not refundable by us', 'partner', '(PK-1)', 'Done. Case reference: CX-'],
    },
    after: { status: 'CANCELLED', cases: [{ kind: 'action', status: 'done', action: 'cancel-now' }] },
  },
  {
    name: 'Olof, FPP: ends by itself (END-3)',
    caller: 'olof',
    intent: 'cancel',
    then: async () => [],
    expect: {
      sv: ['köpt via FPP-kanalen', 'upphör av sig själv den 22 februari 2027', '(END-3)'],
      en: ['bought through the FPP channel', 'ends by itself on 22 February 2027', '(END-3)'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Lena, cancelled 30 days ago: reactivated (RE-1)',
    caller: 'lena',
    intent: 'reactivate',
    then: (c) => c.say(c.words.yes),
    expect: {
      sv: ['upphörde den 23 oktober 2026', 'till och med den 21 januari 2027 (RE-1)', 'Klart. Ärendenummer: CX-', 'är aktiv igen'],
      en: ['ended on 23 October 2026', 'until 21 January 2027 (RE-1)', 'Done. Case reference: CX-', 'is active again'],
    },
    after: { status: 'ACTIVE', autoRenew: 1, cases: [{ kind: 'action', status: 'done', action: 'reactivate' }] },
  },
  {
    name: 'Peter, cancelled 120 days ago: refused, data deleted (RE-3)',
    caller: 'peter',
    intent: 'reactivate',
    then: async () => [],
    expect: {
      sv: ['upphörde den 25 juli 2026', 'raderades för gott den 23 oktober 2026', '(RE-3)', 'ny prenumeration'],
      en: ['ended on 25 July 2026', 'deleted for good on 23 October 2026', '(RE-3)', 'new subscription'],
    },
    after: { status: 'CANCELLED', cases: [] },
  },
  {
    name: 'Karin, fast-revoked: refused (RE-2)',
    caller: 'karin',
    intent: 'reactivate',
    then: async () => [],
    expect: {
      sv: ['snabb återkallelse, så dess data är raderade', '(RE-2)'],
      en: ['was fast-revoked, so its data has been deleted', '(RE-2)'],
    },
    after: { status: 'FAST_REVOKED', cases: [] },
  },
];

/** Walks one branch and checks what was said, the subscription afterwards, the cases and the audit log. */
export async function checkBranch(c: Conversation, branch: Branch, language: Language, caseInText: RegExp): Promise<void> {
  const said = [...(await c.verifyFor(branch.intent, branch.caller)), ...(await branch.then(c))].join('\n');
  for (const fragment of branch.expect[language]) expect(said).toContain(fragment);
  const row = subscriptionRow(c, branch.caller);
  if (branch.after?.status) expect(row.status).toBe(branch.after.status);
  if (branch.after?.autoRenew !== undefined) expect(row.autoRenew).toBe(branch.after.autoRenew);
  if (branch.after?.cases) expect(casesOf(c).map(({ kind, status, action }) => ({ kind, status, action }))).toEqual(branch.after.cases);
  // Every case reference the caller saw is in the audit log.
  for (const reference of said.match(new RegExp(caseInText, 'g')) ?? []) {
    expect((await c.auditFor(reference)).length).toBeGreaterThan(0);
  }
}
