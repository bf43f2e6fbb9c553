import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { SubscriptionService } from '../../src/subscriptions/subscriptionService';
import { SubscriptionServiceUnavailableError } from '../../src/subscriptions/subscriptionService';
import { memoryStateStore, type StateStore } from '../../src/storage';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy';
import { formatDate } from '../../src/format';
import { i18n } from '../support/bot';
import { CASE_IN_TEXT, replyText, startConversation } from '../support/conversation';

const count = (c: Awaited<ReturnType<typeof startConversation>>, sql: string) => (c.db().prepare(sql).get() as { n: number }).n;

describe.each(['sv', 'en'] as const)('fast revoke in %s', (language) => {
  const t = i18n.getFixedT(language);
  const annasSubscription = t('account:subscriptionLabel', { plan: t('account:plans.SMALL_BUSINESS'), count: 12 });
  const deletedBy = formatDate('2026-11-25', language);
  const say = {
    explain: t('fastRevoke:explain', { subscription: annasSubscription, date: deletedBy, retentionDays: DEFAULT_POLICY_CONFIG.retentionDays }),
    fees: t('fastRevoke:feeWarning'),
    codeSent: t('fastRevoke:codeSent', { last: '67' }),
    codeRetry: t('fastRevoke:codeRetry'),
    typeName: t('fastRevoke:typeName', { organisation: 'Fjordfika AB' }),
    nameRetry: t('fastRevoke:nameRetry', { organisation: 'Fjordfika AB' }),
    done: t('action:receipt.fast-revoke', { subscription: annasSubscription, dataDeletedOn: deletedBy }),
  };

  it('wrong code, then the right one; wrong name, then the right one: revoked once (FR-1, FR-2)', async () => {
    const c = await startConversation({ language });
    try {
      const intro = (await c.verifyFor('fastRevoke', 'anna')).join('\n');
      expect(intro).toContain(say.explain);
      expect(intro).toContain(say.fees);
      expect((await c.say(c.words.yes, c.words.yes)).join('\n')).toContain(say.codeSent);
      expect(c.otp.sent).toHaveLength(1);
      expect(c.otp.sent[0].to).toBe('+46701234567');
      const code = c.otp.lastCode() as string;
      const wrong = code === '000000' ? '111111' : '000000';
      expect(await c.say(wrong)).toEqual([expect.stringContaining(say.codeRetry)]);
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'FAST_REVOKED' AND id = 'sub-fjordfika-1'")).toBe(0);
      expect((await c.say(code)).join('\n')).toContain(say.typeName);
      expect((await c.say('Fjordfika')).join('\n')).toContain(say.nameRetry);
      const done = (await c.say('fjordfika ab')).join('\n');
      expect(done).toMatch(CASE_IN_TEXT);
      expect(done).toContain(say.done);
      const row = c.db().prepare("SELECT status, data_deletion_at AS deletion FROM subscriptions WHERE id = 'sub-fjordfika-1'").get();
      expect(row).toEqual({ status: 'FAST_REVOKED', deletion: '2026-11-25' });
      expect(count(c, 'SELECT COUNT(*) AS n FROM subscription_changes')).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('a caller who did not get the code can have a new one; the old one stops working', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'anna');
      await c.say(c.words.yes, c.words.yes);
      const first = c.otp.lastCode() as string;
      const resent = await c.say(language === 'sv' ? 'jag fick ingen kod' : "i didn't get the code");
      expect(resent.slice(-2)).toEqual([t('fastRevoke:resent', { last: '67' }), t('fastRevoke:typeCode')]);
      expect(c.otp.sent).toHaveLength(2);
      const second = c.otp.lastCode() as string;
      if (first !== second) expect((await c.say(first)).join('\n')).toContain(say.codeRetry);
      expect((await c.say(second)).join('\n')).toContain(say.typeName);
    } finally {
      await c.close();
    }
  });

  it('restarting the fast revoke does not give an account more codes: six in a day, then none (FR-2)', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'olof');
      const resend = language === 'sv' ? 'skicka igen' : 'send again';
      const stop = language === 'sv' ? 'avbryt' : 'cancel';
      await c.say(c.words.yes, resend, resend, stop);
      await c.say(c.words.fastRevoke, c.words.yes, resend, resend, stop);
      expect(c.otp.sent).toHaveLength(6);
      const said = await c.say(c.words.fastRevoke, c.words.yes);
      expect(said.join('\n')).toContain(t('fastRevoke:codeLimit'));
      expect(c.otp.sent).toHaveLength(6);
    } finally {
      await c.close();
    }
  });

  it('wrong codes count against the account across fast revokes: the ninth in a day ends it (FR-2)', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'olof');
      const wrong = () => (c.otp.lastCode() === '000000' ? '000001' : '000000');
      await c.say(c.words.yes);
      for (let i = 0; i < 4; i++) await c.say(wrong());
      await c.say(c.words.fastRevoke, c.words.yes);
      for (let i = 0; i < 4; i++) await c.say(wrong());
      await c.say(c.words.fastRevoke, c.words.yes);
      const said = await c.say(wrong());
      expect(said.join('\n')).toContain(t('fastRevoke:wrongCodeLimit'));
      expect(count(c, "SELECT COUNT(*) AS n FROM cases")).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('after three codes it says no more can be sent now, and changes nothing', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'anna');
      await c.say(c.words.yes, c.words.yes);
      const resend = language === 'sv' ? 'skicka igen' : 'send it again';
      await c.say(resend, resend);
      expect(c.otp.sent).toHaveLength(3);
      // No fourth code, but the question stays: the last code sent still counts.
      const said = await c.say(resend);
      expect(said).toEqual([t('fastRevoke:noMoreCodes', { minutes: 10 }), t('fastRevoke:typeCode')]);
      expect(c.otp.sent).toHaveLength(3);
      expect((await c.say(c.otp.lastCode() as string)).join('\n')).toContain(t('fastRevoke:typeName', { organisation: 'Fjordfika AB' }));
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('on an already cancelled subscription it brings the deletion forward, and says so', async () => {
    const c = await startConversation({ language });
    try {
      const said = (await c.verifyFor('fastRevoke', 'lena')).join('\n');
      expect(said).toContain(language === 'sv' ? 'är redan uppsagd och dess data sparas till och med den 21 januari 2027' : 'is already cancelled and its data is kept up to and including 21 January 2027');
    } finally {
      await c.close();
    }
  });

  it('three wrong codes stop it; nothing is changed', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'anna');
      await c.say(c.words.yes, c.words.yes);
      const said = await c.say('123123', '234234', '345345', '456456');
      expect(said.join('\n')).toContain(t('fastRevoke:codeFailed'));
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND id = 'sub-fjordfika-1'")).toBe(1);
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });
});

describe.each(['sv', 'en'] as const)('confirmations in %s', (language) => {
  const t = i18n.getFixedT(language);
  const annasSubscription = t('account:subscriptionLabel', { plan: t('account:plans.SMALL_BUSINESS'), count: 12 });
  it('a declined confirmation changes nothing', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      const said = await c.say(c.words.now, c.words.yes, c.words.no);
      expect(said.at(-2)).toBe(t('cancel:declined'));
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND auto_renew = 1 AND id = 'sub-fjordfika-1'")).toBe(1);
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
      expect(count(c, 'SELECT COUNT(*) AS n FROM subscription_changes')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('declining the early-termination fees changes nothing (EARLY-1)', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      const said = await c.say(c.words.now, c.words.no);
      expect(said.join('\n')).toContain(t('cancel:feeDeclined'));
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it(`"${language === 'sv' ? 'avbryt' : 'cancel'}" at a confirmation stops and changes nothing`, async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now, c.words.yes);
      const said = await c.say(language === 'sv' ? 'avbryt' : 'cancel');
      expect(said[0]).toBe(t('interruptions:cancelled'));
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('an option said with a few more words is understood; not understanding three times changes nothing', async () => {
    const words = {
      sv: { nowWithMore: 'nu direkt tack', unclear: ['kanske', 'tja', 'hmm', 'blä'] },
      en: { nowWithMore: 'right now please', unclear: ['maybe', 'well', 'hmm', 'blah'] },
    }[language];
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      expect(await c.say(words.nowWithMore)).toContain(t('cancel:feeWarning'));
    } finally {
      await c.close();
    }
    const d = await startConversation({ language });
    try {
      await d.verifyFor('cancel', 'anna');
      const said = await d.say(...words.unclear);
      expect(said).toContain(t('cancel:notUnderstood'));
      expect(count(d, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND auto_renew = 1 AND id = 'sub-fjordfika-1'")).toBe(1);
      expect(count(d, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await d.close();
    }
  });

  it('a typed number picks among the options actually shown', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm, c.words.yes, c.words.skip);
      // Auto-renew is now off: only "Now" and "Keep it" are offered, so "2" means "Keep it".
      const said = await c.say(c.words.cancel, '2');
      expect(said.join('\n')).toContain(t('cancel:kept', { subscription: annasSubscription }));
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND id = 'sub-fjordfika-1'")).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('the same confirmation delivered twice creates one case', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now, c.words.yes);
      const confirm = { id: 'confirm-activity-1', text: c.words.yes };
      const first = await c.send(confirm);
      const second = await c.send(confirm);
      expect(first.map(replyText).join('\n')).toMatch(CASE_IN_TEXT);
      expect(second).toEqual([]);
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(1);
      expect(count(c, 'SELECT COUNT(*) AS n FROM subscription_changes')).toBe(1);
    } finally {
      await c.close();
    }
  });
});

/** A state store whose next write of conversation state fails, as when a turn dies after acting but before saving. */
function failingOnce(store: StateStore) {
  let armed = false;
  const wrapped: StateStore = {
    ...store,
    write: async (changes) => {
      if (armed && Object.keys(changes).some((key) => key.includes('/conversations/'))) {
        armed = false;
        throw new Error('database went away');
      }
      return store.write(changes);
    },
  };
  return { store: wrapped, arm: () => void (armed = true) };
}

describe('a subscription that changes between the summary and the "yes"', () => {
  it('is not acted on: the caller is told and nothing is done', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Now', 'yes');
      const db = new Database(c.db().name);
      db.prepare("UPDATE subscriptions SET term_end = '2027-01-15' WHERE id = 'sub-fjordfika-1'").run();
      db.close();
      const said = (await c.say('yes')).join('\n');
      expect(said).toContain('changed while we were talking');
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND id = 'sub-fjordfika-1'")).toBe(1);
    } finally {
      await c.close();
    }
  });
});

describe('a verification that lapses before the confirmation', () => {
  it('changes nothing: the caller must prove who they are again (ID-1)', async () => {
    let now = new Date('2026-11-22T10:30:00Z');
    const c = await startConversation({ language: 'en', overrides: { now: () => now } });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Now', 'yes');
      now = new Date('2026-11-22T11:00:00Z');
      const said = (await c.say('yes')).join('\n');
      expect(said).toContain("It's been a while since you verified");
      expect(count(c, "SELECT COUNT(*) AS n FROM subscriptions WHERE status = 'ACTIVE' AND id = 'sub-fjordfika-1'")).toBe(1);
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });
});

describe('a question answered after the verification lapsed (the request forgotten with it, ID-1)', () => {
  it('"keep it" still says the subscription is kept, by name, and changes nothing', async () => {
    let now = new Date('2026-11-22T10:30:00Z');
    const c = await startConversation({ language: 'en', overrides: { now: () => now } });
    try {
      await c.verifyFor('cancel', 'anna');
      now = new Date('2026-11-22T11:00:00Z');
      const said = (await c.say(c.words.keep)).join('\n');
      expect(said).toContain("Fine, I've left Office 365 Small Business (12 licences) as it is.");
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('yes to a colleague still hands over with the subscription (too many licences, EARLY-5)', async () => {
    let now = new Date('2026-11-22T10:30:00Z');
    const c = await startConversation({ language: 'en', overrides: { now: () => now } });
    try {
      await c.verifyFor('cancel', 'erik');
      await c.say(c.words.now);
      now = new Date('2026-11-22T11:00:00Z');
      expect((await c.say(c.words.yes)).join('\n')).toMatch(/CX-/);
      const [{ details }] = c.db().prepare("SELECT details FROM cases WHERE kind = 'handoff'").all() as Array<{ details: string }>;
      expect(JSON.parse(details).packet).toMatchObject({ reason: 'too-many-licences', subscription: { facts: { assignedLicenses: 40 } } });
    } finally {
      await c.close();
    }
  });
});

describe('a turn that dies after acting', () => {
  it('still says the receipt; the caller repeats the yes and finds the same case: the subscription changes once', async () => {
    const flaky = failingOnce(memoryStateStore());
    const c = await startConversation({ language: 'sv', overrides: { store: flaky.store } });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Nu', 'ja');
      flaky.arm();
      // The action was done before the save failed: the receipt is said (never "nothing has been changed").
      const failed = (await c.say('ja')).join('\n');
      expect(failed).not.toContain('Förlåt, något gick fel hos mig.');
      const reference = failed.match(CASE_IN_TEXT)?.[0];
      expect(reference).toBeDefined();
      // The place was not kept: the caller says yes again and finds the same case.
      const retried = (await c.say('ja')).join('\n');
      expect(retried).toContain(reference as string);
      expect(count(c, 'SELECT COUNT(*) AS n FROM cases')).toBe(1);
      expect(count(c, 'SELECT COUNT(*) AS n FROM subscription_changes')).toBe(1);
      const audit = await c.runtime.cases.auditFor(reference as string);
      expect(audit.map((record) => record.action)).toEqual(['cancel-now:requested', 'cancel-now:done']);
    } finally {
      await c.close();
    }
  });
});

describe('a billing backend that fails', () => {
  function flakySubscriptions(failures: number, real: () => SubscriptionService): SubscriptionService {
    let left = failures;
    const call = (name: keyof SubscriptionService): SubscriptionService[typeof name] => async (request) => {
      if (left-- > 0) throw new SubscriptionServiceUnavailableError('billing API: timeout');
      return real()[name](request);
    };
    return { turnOffAutoRenew: call('turnOffAutoRenew'), cancelNow: call('cancelNow'), fastRevoke: call('fastRevoke'), reactivate: call('reactivate') };
  }

  it('gets an apology and one retry, which succeeds; the caller keeps their place', async () => {
    let realService: SubscriptionService | undefined;
    const c = await startConversation({ language: 'en', overrides: { subscriptions: flakySubscriptions(1, () => realService as SubscriptionService) } });
    const { createSqliteSubscriptions } = await import('../../src/subscriptions/sqliteSubscriptions');
    realService = createSqliteSubscriptions(new Database(c.db().name), () => new Date());
    try {
      await c.verifyFor('cancel', 'anna');
      const failed = await c.say('Now', 'yes', 'yes');
      expect(failed.at(-1)).toContain("I'm sorry, I couldn't reach our billing system just now, so nothing has been changed yet. Shall I try again?");
      const retried = (await c.say('yes')).join('\n');
      expect(retried).toContain('Done. Case reference: CX-');
      expect(count(c, "SELECT COUNT(*) AS n FROM cases WHERE status = 'done'")).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('failing again goes to a person with the context (AS-2)', async () => {
    const c = await startConversation({ language: 'sv', overrides: { subscriptions: flakySubscriptions(99, () => { throw new Error('unused'); }) } });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Nu', 'ja', 'ja');
      const said = (await c.say('ja')).join('\n');
      expect(said).toContain('Jag kunde inte slutföra det själv');
      expect(said).toContain('Ärendet är överlämnat till en kollega. Ärendenummer: CX-');
      const cases = c.db().prepare('SELECT kind, status, action, details FROM cases ORDER BY created_at').all() as Array<{ kind: string; status: string; action: string; details: string }>;
      expect(cases.map(({ kind, status, action }) => ({ kind, status, action }))).toEqual([
        { kind: 'action', status: 'pending', action: 'cancel-now' },
        { kind: 'handoff', status: 'open', action: 'cancel-now' },
      ]);
      const packet = JSON.parse(cases[1].details).packet;
      expect(packet).toMatchObject({ reason: 'backend-failure', caller: { userId: 'a***@fjordfika.se', organisationName: 'Fjordfika AB' }, unfinishedCase: { status: 'pending' } });
      expect(packet.unfinishedCase.reference).toMatch(/^CX-/);
    } finally {
      await c.close();
    }
  });
});

describe('several subscriptions and cards', () => {
  it('the caller picks one from an Adaptive Card in Web Chat, and the receipt is a card with the case reference', async () => {
    const c = await startConversation({ language: 'sv', channelId: 'webchat' });
    const db = new Database(c.db().name);
    db.prepare(
      `INSERT INTO subscriptions (id, account_id, plan, kind, channel, billing, assigned_licenses, term_end, auto_renew, has_payment_method, custom_domains, status, cancelled_at, data_deletion_at)
       VALUES ('sub-fjordfika-2', 'acc-fjordfika', 'ENTERPRISE', 'PAID', 'DIRECT', 'ANNUAL', 3, '2027-05-01', 1, 1, '[]', 'ACTIVE', NULL, NULL)`,
    ).run();
    db.close();
    try {
      await c.say('Säg upp prenumerationen', 'anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm');
      const verified = await c.send({ text: 'ja' });
      const picker = verified.at(-1);
      const card = picker?.attachments?.[0];
      expect(card?.contentType).toBe('application/vnd.microsoft.card.adaptive');
      const actions = (card?.content as { actions: Array<{ title: string; data: { choice: string } }> }).actions;
      expect(actions.map((a) => a.title)).toEqual(['Office 365 Small Business (12 licenser) – aktiv', 'Office 365 Enterprise (3 licenser) – aktiv']);
      // The card's button sends its data and no text.
      const how = await c.send({ value: actions[1].data });
      expect(replyText(how.at(-1) ?? {})).toContain('Hur vill du säga upp Office 365 Enterprise (3 licenser)?');
      // What a button chose is said, so the chat shows it (the click itself sends no words).
      expect(how.map((reply) => replyText(reply))).toContain('Du valde: Office 365 Enterprise (3 licenser) – aktiv.');
      const chosen = await c.send({ value: { choice: 'endOfTerm' } });
      expect(replyText(chosen[0] ?? {})).toBe('Du valde: Vid periodens slut.');
      const receipt = (await c.send({ text: 'ja' })).find((reply) => reply.attachments?.length);
      const text = replyText(receipt ?? {});
      expect(text).toMatch(/Ärendenummer: CX-/);
      expect(text).toContain('Office 365 Enterprise (3 licenser)');
      const changed = c.db().prepare("SELECT id FROM subscriptions WHERE auto_renew = 0 AND account_id = 'acc-fjordfika'").all();
      expect(changed).toEqual([{ id: 'sub-fjordfika-2' }]);
    } finally {
      await c.close();
    }
  });
});
