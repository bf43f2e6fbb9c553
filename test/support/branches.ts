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

/** A rule ID as customers must never read it (IDs live in decisions, audit, packets, logs and tests). */
export const RULE_ID_IN_TEXT = /\b(?:ID|TR|END|EARLY|PK|RE|FR|FB|AS|DD)-\d\b/;

/** Every demo account's branch (cancel, fast revoke, reactivate), with what each language must say. */
export const BRANCHES: Branch[] = [
  {
    name: 'Anna cancels at the end of the term (END-1, END-2)',
    caller: 'anna',
    intent: 'cancel',
    then: (c) => c.say(c.words.endOfTerm, c.words.yes, c.words.skip),
    expect: {
      sv: ['Så här blir det: jag stänger av automatisk förnyelse', 'den 12 december 2026', 'månad för månad', 'Klart. Ärendenummer: CX-', 'Automatisk förnyelse är avstängd'],
      en: ['Here is what will happen: I turn off automatic renewal', '12 December 2026', 'month to month', 'Done. Case reference: CX-', 'Automatic renewal is off'],
    },
    after: { status: 'ACTIVE', autoRenew: 0, cases: [{ kind: 'action', status: 'done', action: 'turn-off-auto-renew' }] },
  },
  {
    name: 'Anna cancels now (EARLY-1..4, EARLY-6), with feedback (FB-1)',
    caller: 'anna',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes, c.words.yes, c.words.price, c.words.skip),
    expect: {
      sv: ['avgifter för förtida uppsägning', 'ta bort organisationens egna domäner (fjordfika.se)', 'namnserverposten (NS)', 'sparas till och med den 20 februari 2027 och raderas sedan för gott', 'proportionell kredit', 'Klart. Ärendenummer: CX-', 'Vill du berätta varför du lämnar oss?', 'Tack, det hjälper oss.'],
      en: ['early-termination fees', 'remove your custom domains (fjordfika.se)', 'NS record at your registrar', 'kept up to and including 20 February 2027 and then deleted for good', 'prorated credit', 'Done. Case reference: CX-', "Would you like to tell us why you're leaving?", 'Thank you, that helps us.'],
    },
    after: { status: 'CANCELLED', cases: [{ kind: 'action', status: 'done', action: 'cancel-now' }] },
  },
  {
    name: 'Erik, 40 licences: remove users, and a person takes over (EARLY-5, AS-2)',
    caller: 'erik',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes),
    expect: {
      sv: ['har 40 tilldelade licenser', 'färre än 25', 'ta bort minst 16 användare', 'Vill du att en kollega gör uppsägningen åt dig?', 'Ärendet är överlämnat till en kollega. Ärendenummer: CX-'],
      en: ['has 40 assigned licences', 'fewer than 25', 'remove at least 16 users', 'Would you like a colleague to do the cancellation for you?', 'Your case is with a colleague. Case reference: CX-'],
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
      sv: ['är en provperiod, så det finns inget att säga upp', 'Lägger du inte till en betalningsmetod upphör provperioden den 6 december 2026', 'raderas alla dess data för gott', 'Skriv ”varför?” om du vill veta mer'],
      en: ['is a trial, so there is nothing to cancel', "If you don't add a payment method, it ends on 6 December 2026", 'all its data is then deleted for good', 'Write "why?" if you\'d like to know more'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Maria, product key: cancelled, not refundable (PK-1)',
    caller: 'maria',
    intent: 'cancel',
    then: (c) => c.say(c.words.now, c.words.yes, c.words.yes, c.words.skip),
    expect: {
      sv: ['produktnyckel återbetalas inte av oss', 'partnern', 'Klart. Ärendenummer: CX-'],
      en: ['product key is not refundable by us', 'partner', 'Done. Case reference: CX-'],
    },
    after: { status: 'CANCELLED', cases: [{ kind: 'action', status: 'done', action: 'cancel-now' }] },
  },
  {
    name: 'Olof, FPP: ends by itself (END-3)',
    caller: 'olof',
    intent: 'cancel',
    then: async () => [],
    expect: {
      sv: ['köpt via FPP-kanalen', 'upphör av sig själv den 22 februari 2027'],
      en: ['bought through the FPP channel', 'ends by itself on 22 February 2027'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Lena, cancelled 30 days ago: nothing to cancel, it is already cancelled (RE-1)',
    caller: 'lena',
    intent: 'cancel',
    then: async () => [],
    expect: {
      sv: ['är redan uppsagd, så det finns inget att säga upp'],
      en: ['is already cancelled, so there is nothing to cancel'],
    },
    after: { status: 'CANCELLED', cases: [] },
  },
  {
    name: 'Lena, cancelled 30 days ago: reactivated (RE-1)',
    caller: 'lena',
    intent: 'reactivate',
    then: (c) => c.say(c.words.yes),
    expect: {
      sv: ['upphörde den 23 oktober 2026', 'till och med den 21 januari 2027', 'Klart. Ärendenummer: CX-', 'är aktiv igen'],
      en: ['ended on 23 October 2026', 'up to and including 21 January 2027', 'Done. Case reference: CX-', 'is active again'],
    },
    after: { status: 'ACTIVE', autoRenew: 1, cases: [{ kind: 'action', status: 'done', action: 'reactivate' }] },
  },
  {
    name: 'Anna, active: nothing to reactivate (RE-1)',
    caller: 'anna',
    intent: 'reactivate',
    then: async () => [],
    expect: {
      sv: ['är aktiv, så det finns inget att återaktivera'],
      en: ['is active, so there is nothing to reactivate'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Peter, cancelled 120 days ago: refused, data deleted (RE-3)',
    caller: 'peter',
    intent: 'reactivate',
    then: async () => [],
    expect: {
      sv: ['upphörde den 25 juli 2026', 'sparades till och med den 23 oktober 2026 och har sedan raderats för gott', 'ny prenumeration'],
      en: ['ended on 25 July 2026', 'kept up to and including 23 October 2026 and has since been deleted for good', 'new subscription'],
    },
    after: { status: 'CANCELLED', cases: [] },
  },
  {
    name: 'Karin, fast-revoked 2 days ago: refused; her data is being deleted, not yet deleted (RE-2, DD-2)',
    caller: 'karin',
    intent: 'reactivate',
    then: async () => [],
    expect: {
      sv: ['dess data håller på att raderas (senast den 23 november 2026)', 'kan inte återaktiveras'],
      en: ['its data is being deleted (by 23 November 2026 at the latest)', "can't be reactivated"],
    },
    after: { status: 'FAST_REVOKED', cases: [] },
  },
  {
    name: 'Karin, fast-revoked 2 days ago, asks for a fast revoke: already done, data being deleted (FR-1, DD-2)',
    caller: 'karin',
    intent: 'fastRevoke',
    then: async () => [],
    expect: {
      sv: ['har redan återkallats med snabb återkallelse: dess data håller på att raderas, senast den 23 november 2026'],
      en: ['has already been fast-revoked: its data is being deleted, by 23 November 2026 at the latest'],
    },
    after: { status: 'FAST_REVOKED', cases: [] },
  },
  {
    name: 'Erik, 40 licences, asks for a fast revoke: a colleague does it, never the assistant (FR-3, EARLY-5, AS-2)',
    caller: 'erik',
    intent: 'fastRevoke',
    then: (c) => c.say(c.words.yes),
    expect: {
      sv: ['Office 365 Enterprise (40 licenser) löper fortfarande', 'Med 25 eller fler tilldelade licenser', 'ta först bort minst 16 användare', 'Vill du att en kollega gör den snabba återkallelsen åt dig?', 'Ärendet är överlämnat till en kollega. Ärendenummer: CX-'],
      en: ['Office 365 Enterprise (40 licences) is still running', 'With 25 or more assigned licences', 'remove at least 16 users first', 'Would you like a colleague to do the fast revoke for you?', 'Your case is with a colleague. Case reference: CX-'],
    },
    after: { status: 'ACTIVE', autoRenew: 1, cases: [{ kind: 'handoff', status: 'open', action: 'fast-revoke' }] },
  },
  {
    name: 'Anna asks for a fast revoke: told to remove her domain and DNS and save her data first, fees; she declines (FR-3, EARLY-1..3)',
    caller: 'anna',
    intent: 'fastRevoke',
    then: (c) => c.say(c.words.no),
    expect: {
      sv: ['ta bort organisationens egna domäner (fjordfika.se)', 'namnserverposten (NS)', 'Spara dina data nu: allt raderas senast den 25 november 2026', 'proportionell kredit', 'avgifter för förtida uppsägning. Godkänner du det?', 'Okej, ingenting har ändrats.'],
      en: ['remove your custom domains (fjordfika.se)', 'NS record at your registrar', 'Save your data now: everything is deleted by 25 November 2026', 'prorated credit', 'early-termination fees may apply. Do you accept that?', 'Fine, nothing has been changed.'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  {
    name: 'Olof, FPP, asks for a fast revoke: no fee, no credit from us, ask the partner; straight to the code question (FR-3, END-3)',
    caller: 'olof',
    intent: 'fastRevoke',
    then: (c) => c.say(c.words.no),
    expect: {
      sv: ['köpt via FPP, så det blir ingen avgift för förtida uppsägning och ingen proportionell kredit från oss', 'Ska jag skicka den?', 'Okej, ingenting har ändrats.'],
      en: ['bought through FPP, so there is no early-termination fee and no prorated credit from us', 'Shall I send it?', 'Fine, nothing has been changed.'],
    },
    after: { status: 'ACTIVE', cases: [] },
  },
  ...(['cancel', 'fastRevoke', 'reactivate'] as const).map(
    (intent): Branch => ({
      name: `Sara, verified but not an administrator, asks to ${intent}: general information only, nothing changes (ID-2)`,
      caller: 'sara',
      intent,
      then: async () => [],
      expect: {
        sv: ['men bara en administratör för kontot kan säga upp, återkalla eller återaktivera det', 'Skriv ”varför?” om du vill veta mer'],
        en: ['but only an administrator of the account can cancel, fast-revoke or reactivate it', 'Write "why?" if you\'d like to know more'],
      },
      after: { status: 'ACTIVE', autoRenew: 1, cases: [] },
    }),
  ),
];

/** What no branch may say to a non-admin: any question of an account flow, or any word about the subscription itself. */
const FLOW_QUESTIONS = {
  sv: ['Hur vill du säga upp', 'Ska jag skicka den?', 'Ska jag återaktivera', 'Vilken prenumeration', 'Office 365 Small Business (12'],
  en: ['How would you like to cancel', 'Shall I send it?', 'Shall I reactivate', 'Which subscription', 'Office 365 Small Business (12'],
};

/** Walks one branch and checks what was said, the subscription afterwards, the cases and the audit log. */
export async function checkBranch(c: Conversation, branch: Branch, language: Language, caseInText: RegExp): Promise<void> {
  const said = [...(await c.verifyFor(branch.intent, branch.caller)), ...(await branch.then(c))].join('\n');
  for (const fragment of branch.expect[language]) expect(said).toContain(fragment);
  // Customers read the reason in plain words, never a rule ID.
  expect(said).not.toMatch(RULE_ID_IN_TEXT);
  if (branch.caller === 'sara') for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
  const row = subscriptionRow(c, branch.caller);
  if (branch.after?.status) expect(row.status).toBe(branch.after.status);
  if (branch.after?.autoRenew !== undefined) expect(row.autoRenew).toBe(branch.after.autoRenew);
  if (branch.after?.cases) expect(casesOf(c).map(({ kind, status, action }) => ({ kind, status, action }))).toEqual(branch.after.cases);
  // Every case reference the caller saw is in the audit log.
  for (const reference of said.match(new RegExp(caseInText, 'g')) ?? []) {
    expect((await c.auditFor(reference)).length).toBeGreaterThan(0);
  }
}
