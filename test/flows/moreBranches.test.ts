import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { seedDemoAccounts } from '../../src/accounts/demoAccounts';
import { DirectoryUnavailableError, type AccountDirectory } from '../../src/accounts/directory';
import { createSqliteDirectory } from '../../src/accounts/sqliteDirectory';
import { formatDate } from '../../src/format';
import type { Language, Translate } from '../../src/i18n';
import type { SubscriptionFacts } from '../../src/policy';
import { openSqliteDatabase } from '../../src/storage/sqlite';
import { casesOf, RULE_ID_IN_TEXT } from '../support/branches';
import { CASE_IN_TEXT, startConversation, WORDS } from '../support/conversation';
import { titles } from '../support/bot';
import type { Account } from '../../src/accounts/account';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { facts, NOW } from '../support/facts';

/**
 * Branches no demo account walks: a trial with a payment method (TR-2), a directory that stops answering after
 * verification, a subscription bought through Open (END-3, FR-3), and reactivating an expired subscription or an
 * expired trial (RE-1, TR-2). Both languages, the whole bot over the SDK TestAdapter on a real SQLite file.
 * Today is NOW (2026-11-22); every date below is relative to it.
 */

type Conv = Awaited<ReturnType<typeof startConversation>>;

const CONTACT = '08-123 45 67 (mån–fre 8–17 / Mon–Fri 8–17)';

/** One extra account, inserted next to the demo accounts, and what its caller answers to the six questions. */
const BERGSBO = {
  accountId: 'acc-bergsbo',
  subscriptionId: 'sub-bergsbo-1',
  userId: 'tove.sandberg@bergsbo.se',
  phone: { stored: '+46701112233', typed: '070-111 22 33' },
  contactName: 'Tove Sandberg',
  organisationName: 'Bergsbo Fastigheter AB',
  address: { street: 'Ekvägen 4', postalCode: '722 15', town: 'Västerås', typed: 'Ekvägen 4, 722 15 Västerås' },
};

/** Inserts the Bergsbo account, its admin user and one subscription into the conversation's SQLite file. */
function seedBergsbo(c: Conv, subscription: SubscriptionFacts): void {
  const readonly = c.db();
  const path = readonly.name;
  readonly.close();
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      const { street, postalCode, town } = BERGSBO.address;
      db.prepare('INSERT INTO accounts (id, organisation_name, contact_name, phone, street, postal_code, town, country) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)')
        .run(BERGSBO.accountId, BERGSBO.organisationName, BERGSBO.contactName, BERGSBO.phone.stored, street, postalCode, town);
      db.prepare('INSERT INTO account_users (user_id, account_id, is_admin) VALUES (?, ?, 1)').run(BERGSBO.userId, BERGSBO.accountId);
      db.prepare(
        `INSERT INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew,
           has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
         VALUES (@id, @accountId, @plan, @kind, @channel, @billing, @assignedLicenses, @termEnd, @autoRenew,
           @hasPaymentMethod, @customDomains, @status, @cancelledAt, @dataDeletionAt)`,
      ).run({
        ...subscription,
        id: BERGSBO.subscriptionId,
        accountId: BERGSBO.accountId,
        autoRenew: subscription.autoRenew ? 1 : 0,
        hasPaymentMethod: subscription.hasPaymentMethod ? 1 : 0,
        customDomains: JSON.stringify(subscription.customDomains),
      });
    })();
  } finally {
    db.close();
  }
}

/** Asks for an account action and answers the six questions as Tove, as `verifyFor` does for a demo caller. */
function verifyAsTove(c: Conv, intent: 'cancel' | 'fastRevoke' | 'reactivate'): Promise<string[]> {
  return c.say(c.words[intent], BERGSBO.userId, BERGSBO.phone.typed, BERGSBO.contactName, BERGSBO.organisationName, BERGSBO.address.typed, c.words.yes);
}

interface Row {
  status: string;
  autoRenew: number;
  cancelledAt: string | null;
  termEnd: string;
  dataDeletionAt: string | null;
}

const ROW_SQL = 'SELECT status, auto_renew AS autoRenew, cancelled_at AS cancelledAt, term_end AS termEnd, data_deletion_at AS dataDeletionAt FROM subscriptions WHERE id = ?';

function subscriptionById(c: Conv, id: string): Row {
  const db = c.db();
  try {
    return db.prepare(ROW_SQL).get(id) as Row;
  } finally {
    db.close();
  }
}

function cases(c: Conv) {
  return casesOf(c).map(({ kind, status, action }) => ({ kind, status, action }));
}

/** "Office 365 Small Business (5 licences)", as the bot renders a subscription. */
function label(t: Translate, subscription: SubscriptionFacts): string {
  return t('account:subscriptionLabel', { plan: t(`account:plans.${subscription.plan}`), count: subscription.assignedLicenses });
}

/** Questions only a flow that goes on asks; none may follow a refusal or an apology. */
/** A request for the flow again, in the caller's words (at the flow's first question: a new request, not an answer). */
const ASKED_AGAIN = {
  sv: { cancel: 'Jag vill säga upp min prenumeration', fastRevoke: 'Jag vill göra en snabb återkallelse av prenumerationen', reactivate: 'jag vill återaktivera prenumerationen' },
  en: { cancel: 'I want to cancel my subscription', fastRevoke: 'I want to fast revoke my subscription', reactivate: 'I want to reactivate my subscription' },
} as const;

const FLOW_QUESTIONS = {
  sv: ['Hur vill du säga upp', 'Ska jag skicka den?', 'Ska jag återaktivera', 'Vilken prenumeration', 'Godkänner du det?'],
  en: ['How would you like to cancel', 'Shall I send it?', 'Shall I reactivate', 'Which subscription', 'Do you accept that?'],
};

async function expectAuditedReferences(c: Conv, said: string): Promise<string[]> {
  const references = said.match(new RegExp(CASE_IN_TEXT, 'g')) ?? [];
  for (const reference of references) expect((await c.auditFor(reference)).length).toBeGreaterThan(0);
  return references;
}

describe.each(['sv', 'en'] as const)('more account branches in %s', (language: Language) => {
  const dateOf = (iso: string) => formatDate(iso, language);

  it('a trial WITH a payment method: nothing to cancel, it continues as paid on its end date (TR-1, TR-2)', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const trial = facts({ kind: 'TRIAL', billing: 'MONTHLY', assignedLicenses: 5, hasPaymentMethod: true, autoRenew: true, termEnd: '2026-12-02', customDomains: [] });
      seedBergsbo(c, trial);
      const said = (await verifyAsTove(c, 'cancel')).join('\n');

      expect(said).toContain(t('verify:verifiedAdmin', { organisation: BERGSBO.organisationName }));
      expect(said).toContain(t('cancel:trialContinues', { subscription: label(t, trial), date: dateOf('2026-12-02') }));
      expect(said).toContain(language === 'sv' ? 'den 2 december 2026 fortsätter den som en betald prenumeration' : 'on 2 December 2026 it continues as a paid subscription');
      // Not the words for a trial without a payment method, and no question follows.
      expect(said).not.toContain(language === 'sv' ? 'Lägger du inte till en betalningsmetod' : "If you don't add a payment method");
      for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
      expect(said).not.toMatch(RULE_ID_IN_TEXT);

      expect(subscriptionById(c, BERGSBO.subscriptionId)).toEqual({ status: 'ACTIVE', autoRenew: 1, cancelledAt: null, termEnd: '2026-12-02', dataDeletionAt: null });
      expect(cases(c)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  describe('the directory stops answering after verification: an apology, nothing changed, the way to support', () => {
    // The verification reads the account whole, so the turn that verifies needs nothing more of the directory (the
    // pick and the flow use what it read); the caller then asks again, in a later turn, and that read fails.
    const SCENARIOS = [
      { caller: 'anna', subscriptionId: 'sub-fjordfika-1', intent: 'cancel', contact: undefined },
      { caller: 'anna', subscriptionId: 'sub-fjordfika-1', intent: 'cancel', contact: CONTACT },
      { caller: 'anna', subscriptionId: 'sub-fjordfika-1', intent: 'fastRevoke', contact: CONTACT },
      { caller: 'anna', subscriptionId: 'sub-fjordfika-1', intent: 'fastRevoke', contact: undefined },
      { caller: 'lena', subscriptionId: 'sub-havsbris-1', intent: 'reactivate', contact: undefined },
      { caller: 'lena', subscriptionId: 'sub-havsbris-1', intent: 'reactivate', contact: CONTACT },
    ] as const;

    it.each(SCENARIOS.map((s) => [`${s.caller} asks to ${s.intent}; SUPPORT_CONTACT ${s.contact ? 'set' : 'unset'}`, s] as const))(
      '%s',
      async (_name, scenario) => {
        // The real SQLite directory, seeded as the runtime would, wrapped so that it fails once told to.
        const path = join(mkdtempSync(join(tmpdir(), 'flow-')), 'bot.sqlite');
        const directoryDb = openSqliteDatabase(path);
        seedDemoAccounts(directoryDb, NOW);
        const real = createSqliteDirectory(directoryDb);
        let stopped = false;
        let reads = 0;
        let failures = 0;
        const directory: AccountDirectory = {
          verify: (answers) => real.verify(answers),
          async findAccount(accountId) {
            reads += 1;
            if (stopped) {
              failures += 1;
              throw new DirectoryUnavailableError('test: the directory stopped answering');
            }
            return real.findAccount(accountId);
          },
          close: () => real.close(),
        };
        const c = await startConversation({ language, config: { sqlitePath: path, storage: { kind: 'sqlite', path }, supportContact: scenario.contact ? { sv: scenario.contact, en: scenario.contact } : undefined }, overrides: { directory } });
        const t = c.runtime.i18n.getFixedT(language);
        try {
          // The conversation's file is ours here (c.db() opens the harness's own path), so read it through our connection.
          const row = () => directoryDb.prepare(ROW_SQL).get(scenario.subscriptionId) as Row;
          const before = row();
          expect(before.status).toBe(scenario.caller === 'lena' ? 'CANCELLED' : 'ACTIVE');
          const verified = (await c.verifyFor(scenario.intent, scenario.caller)).join('\n');
          expect(verified).toContain(t('verify:verifiedAdmin', { organisation: DEMO_CALLERS[scenario.caller].organisationName }));
          expect(reads).toBe(0);

          stopped = true;
          const said = (await c.say(ASKED_AGAIN[language][scenario.intent])).join('\n');
          expect(failures, said).toBe(1);
          const support = scenario.contact ? t('common:supportContact', { contact: scenario.contact }) : t('common:supportContactUnset');
          expect(said).toContain(`${t('account:unavailable')} ${support}`);
          for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
          expect(said).not.toMatch(CASE_IN_TEXT);
          expect(said).not.toMatch(RULE_ID_IN_TEXT);

          // This is the file the bot worked on: its conversation state is in it.
          expect((directoryDb.prepare('SELECT COUNT(*) AS n FROM bot_state').get() as { n: number }).n).toBeGreaterThan(0);
          expect(row()).toEqual(before);
          expect(directoryDb.prepare('SELECT COUNT(*) AS n FROM cases').get()).toEqual({ n: 0 });
          expect(directoryDb.prepare('SELECT COUNT(*) AS n FROM audit_log').get()).toEqual({ n: 0 });
          expect(c.otp.sent).toEqual([]);
        } finally {
          await c.close();
          directoryDb.close();
        }
      },
    );
  });

  describe('the directory stops answering between the pick and the flow: an apology, nothing changed', () => {
    it.each([['anna', 'sub-fjordfika-1', 'cancel'], ['anna', 'sub-fjordfika-1', 'fastRevoke'], ['lena', 'sub-havsbris-1', 'reactivate']] as const)(
      '%s picks %s from a list to %s; the flow cannot read it',
      async (caller, subscriptionId, intent) => {
        const path = join(mkdtempSync(join(tmpdir(), 'flow-')), 'bot.sqlite');
        const directoryDb = openSqliteDatabase(path);
        seedDemoAccounts(directoryDb, NOW);
        const real = createSqliteDirectory(directoryDb);
        // A second subscription (a plan of its own, so its title differs) makes the pick a list, answered in a turn of its own.
        const withSecond = (account: Account): Account => ({ ...account, subscriptions: [...account.subscriptions, { id: 'sub-second', facts: { ...account.subscriptions[0].facts, plan: account.subscriptions[0].facts.plan === 'ENTERPRISE' ? 'SMALL_BUSINESS' : 'ENTERPRISE' } }] });
        let stopped = false;
        const directory: AccountDirectory = {
          async verify(answers) {
            const verdict = await real.verify(answers);
            return verdict.status === 'verified' ? { ...verdict, account: withSecond(verdict.account) } : verdict;
          },
          async findAccount(accountId) {
            if (stopped) throw new DirectoryUnavailableError('test: the directory stopped answering');
            const account = await real.findAccount(accountId);
            return account && withSecond(account);
          },
          close: () => real.close(),
        };
        const c = await startConversation({ language, config: { sqlitePath: path, storage: { kind: 'sqlite', path } }, overrides: { directory } });
        const t = c.runtime.i18n.getFixedT(language);
        try {
          const before = directoryDb.prepare(ROW_SQL).get(subscriptionId) as Row;
          const words = WORDS[language];
          await c.say(words[intent], ...answersOf(DEMO_CALLERS[caller]));
          const pick = await c.send({ text: words.yes });
          const list = pick.flatMap((reply) => titles(reply));
          expect(list, 'the pick is a list').toHaveLength(2);
          stopped = true;
          const said = (await c.say(list[0])).join('\n');
          expect(said).toContain(t('account:unavailable'));
          for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
          expect(said).not.toMatch(CASE_IN_TEXT);
          expect(directoryDb.prepare(ROW_SQL).get(subscriptionId)).toEqual(before);
          expect(directoryDb.prepare('SELECT COUNT(*) AS n FROM cases').get()).toEqual({ n: 0 });
          expect(c.otp.sent).toEqual([]);
        } finally {
          await c.close();
          directoryDb.close();
        }
      },
    );
  });

  describe('a subscription bought through Open', () => {
    const open = facts({ plan: 'MIDSIZE_BUSINESS', channel: 'OPEN', billing: 'ANNUAL', assignedLicenses: 15, autoRenew: false, termEnd: '2027-01-22', customDomains: ['bergsbo.se'] });

    it('cancel: it ends by itself on its end date, nothing to cancel (END-3)', async () => {
      const c = await startConversation({ language });
      const t = c.runtime.i18n.getFixedT(language);
      try {
        seedBergsbo(c, open);
        const said = (await verifyAsTove(c, 'cancel')).join('\n');

        expect(said).toContain(t('cancel:endsByItself', { subscription: label(t, open), channel: 'Open', date: dateOf('2027-01-22') }));
        expect(said).toContain(language === 'sv' ? 'köpt via Open-kanalen, så den upphör av sig själv den 22 januari 2027' : 'bought through the Open channel, so it ends by itself on 22 January 2027');
        expect(said).not.toContain('FPP');
        for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
        expect(said).not.toMatch(RULE_ID_IN_TEXT);

        expect(subscriptionById(c, BERGSBO.subscriptionId)).toEqual({ status: 'ACTIVE', autoRenew: 0, cancelledAt: null, termEnd: '2027-01-22', dataDeletionAt: null });
        expect(cases(c)).toEqual([]);
      } finally {
        await c.close();
      }
    });

    it('fast revoke: no fee and no credit from us, ask the partner; then code, name and done (FR-1..FR-3, END-3, EARLY-2, EARLY-3)', async () => {
      const c = await startConversation({ language });
      const t = c.runtime.i18n.getFixedT(language);
      try {
        seedBergsbo(c, open);
        const explained = (await verifyAsTove(c, 'fastRevoke')).join('\n');

        // FR-3: ending a running subscription early: domains and DNS, save the data, and the money side for Open.
        expect(explained).toContain(t('fastRevoke:domains', { domains: 'bergsbo.se' }));
        expect(explained).toContain(t('fastRevoke:saveData', { date: dateOf('2026-11-25'), retentionDays: 90 }));
        expect(explained).toContain(t('fastRevoke:askPartner', { channel: 'Open' }));
        expect(explained).toContain(language === 'sv' ? 'köpt via Open, så det blir ingen avgift för förtida uppsägning och ingen proportionell kredit från oss' : 'bought through Open, so there is no early-termination fee and no prorated credit from us');
        expect(explained).not.toContain('FPP');
        // No fee to accept, no refund promised: straight to the code question.
        expect(explained).not.toContain(t('fastRevoke:feeWarning'));
        expect(explained).not.toContain(t('cancel:refundProrated'));
        expect(explained).toContain(t('fastRevoke:continue', { last: '33' }));

        const codeAsked = (await c.say(c.words.yes)).join('\n');
        expect(codeAsked).toContain(t('fastRevoke:codeSent', { last: '33' }));
        expect(c.otp.sent.map((sms) => sms.to)).toEqual([BERGSBO.phone.stored]);
        const nameAsked = (await c.say(c.otp.lastCode() ?? 'no code was sent')).join('\n');
        expect(nameAsked).toContain(t('fastRevoke:typeName', { organisation: BERGSBO.organisationName }));
        const done = (await c.say(BERGSBO.organisationName, c.words.skip)).join('\n');
        expect(done).toContain(t('action:receipt.fast-revoke', { subscription: label(t, open), dataDeletedOn: dateOf('2026-11-25') }));
        expect(await expectAuditedReferences(c, done)).toHaveLength(1);
        expect([explained, codeAsked, nameAsked, done].join('\n')).not.toMatch(RULE_ID_IN_TEXT);

        expect(subscriptionById(c, BERGSBO.subscriptionId)).toEqual({ status: 'FAST_REVOKED', autoRenew: 0, cancelledAt: '2026-11-22', termEnd: '2027-01-22', dataDeletionAt: '2026-11-25' });
        expect(cases(c)).toEqual([{ kind: 'action', status: 'done', action: 'fast-revoke' }]);
      } finally {
        await c.close();
      }
    });
  });

  it('an EXPIRED (not cancelled) subscription whose data is still kept: reactivated, with the ended-on and until dates (RE-1, DD-1)', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      // It ran out 12 days ago with auto-renew off; the record keeps its data until 15 February 2027 (DD-1: the
      // record's date, not the term's end + 90 days = 8 February, decides).
      const expired = facts({ billing: 'ANNUAL', assignedLicenses: 7, autoRenew: false, status: 'EXPIRED', cancelledAt: null, termEnd: '2026-11-10', dataDeletionAt: '2027-02-15', customDomains: [] });
      seedBergsbo(c, expired);
      const offered = (await verifyAsTove(c, 'reactivate')).join('\n');

      expect(offered).toContain(t('reactivate:allowed', { subscription: label(t, expired), endedOn: dateOf('2026-11-10'), until: dateOf('2027-02-15'), renewsOn: dateOf('2027-11-22') }));
      expect(offered).toContain(language === 'sv' ? 'upphörde den 10 november 2026 och kan återaktiveras till och med den 15 februari 2027' : 'ended on 10 November 2026 and can be reactivated up to and including 15 February 2027');
      expect(offered).toContain(t('reactivate:confirm', { subscription: label(t, expired) }));

      const done = (await c.say(c.words.yes)).join('\n');
      expect(done).toContain(t('action:receipt.reactivate', { subscription: label(t, expired), renewsOn: dateOf('2027-11-22') }));
      expect(await expectAuditedReferences(c, done)).toHaveLength(1);
      expect(`${offered}\n${done}`).not.toMatch(RULE_ID_IN_TEXT);

      expect(subscriptionById(c, BERGSBO.subscriptionId)).toEqual({ status: 'ACTIVE', autoRenew: 1, cancelledAt: null, termEnd: '2027-11-22', dataDeletionAt: null });
      expect(cases(c)).toEqual([{ kind: 'action', status: 'done', action: 'reactivate' }]);
    } finally {
      await c.close();
    }
  });

  it('an EXPIRED trial: refused, the trial has expired; a "yes" afterwards changes nothing (TR-2)', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const trial = facts({ kind: 'TRIAL', billing: 'MONTHLY', assignedLicenses: 5, hasPaymentMethod: false, autoRenew: false, status: 'EXPIRED', cancelledAt: null, termEnd: '2026-11-17', dataDeletionAt: null, customDomains: [] });
      seedBergsbo(c, trial);
      const said = [...(await verifyAsTove(c, 'reactivate')), ...(await c.say(c.words.yes))].join('\n');

      expect(said).toContain(t('verify:verifiedAdmin', { organisation: BERGSBO.organisationName }));
      expect(said).toContain(t('reactivate:trialExpired', { subscription: label(t, trial) }));
      expect(said).toContain(language === 'sv' ? 'var en provperiod som har löpt ut' : 'was a trial that expired');
      expect(said).not.toContain(language === 'sv' ? 'kan återaktiveras till och med' : 'can be reactivated up to and including');
      for (const question of FLOW_QUESTIONS[language]) expect(said).not.toContain(question);
      expect(said).not.toMatch(CASE_IN_TEXT);
      expect(said).not.toMatch(RULE_ID_IN_TEXT);

      expect(subscriptionById(c, BERGSBO.subscriptionId)).toEqual({ status: 'EXPIRED', autoRenew: 0, cancelledAt: null, termEnd: '2026-11-17', dataDeletionAt: null });
      expect(cases(c)).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
