import { describe, expect, it } from 'vitest';
import type { Language } from '../../src/i18n';
import type { Reason } from '../../src/policy';
import { RULE_ID_IN_TEXT } from '../support/branches';
import { startConversation } from '../support/conversation';
import type { DemoCallerName } from '../support/demoCallers';
import { NOW } from '../support/facts';

const WHY = { sv: ['varför inte?', 'varför?', 'men varför då'], en: ['why not?', 'why?', 'but why'] } as const;

async function conversation(language: Language) {
  const c = await startConversation({ language });
  const t = c.runtime.i18n.getFixedT(language);
  /** The reason's explanation as the caller reads it, up to its first placeholder: enough to recognise it. */
  const reasonText = (reason: Reason) => t(`why:reasons.${reason}`, { licenceThreshold: 25, retentionDays: 90, fastRevokeDays: 3, idleMinutes: 15 }).split('{{')[0].split('. ')[0];
  return { c, t, reasonText };
}

describe.each(['sv', 'en'] as const)('"why?" after a refusal or decision (AS-3) in %s', (language) => {
  it.each<[string, DemoCallerName, 'cancel' | 'fastRevoke' | 'reactivate', Reason]>([
    ['a trial (James)', 'james', 'cancel', 'trial'],
    ['an FPP subscription (Olof)', 'olof', 'cancel', 'ends-by-itself'],
    ['a fast-revoked subscription (Karin)', 'karin', 'reactivate', 'reactivation-fast-revoked'],
    ['data already deleted (Peter)', 'peter', 'reactivate', 'reactivation-data-deleted'],
    ['a non-admin (Sara)', 'sara', 'cancel', 'not-admin'],
  ])('after the refusal for %s, "why?" explains it and offers the next steps, a person among them', async (_name, caller, intent, reason) => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor(intent, caller);
      const said = (await c.say(WHY[language][1])).join('\n');
      expect(said).toContain(reasonText(reason));
      expect(said).toContain(t('why:whatYouCanDo'));
      expect(said).toContain(t('why:next.person'));
      expect(said).toContain(t('common:supportContactUnset'));
      expect(said).not.toMatch(RULE_ID_IN_TEXT);
      // Then the conversation goes on: the caller can still ask for something else.
      expect(said).toContain(t('main:whatElse'));
    } finally {
      await c.close();
    }
  });

  it.each<[DemoCallerName, Reason]>([
    ['erik', 'too-many-licences'],
    ['ulf', 'too-many-licences'],
  ])('%s: "why not?" at the offer of a colleague is a question, not a no: explained, then asked again', async (caller, reason) => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor('cancel', caller);
      await c.say(c.words.now);
      const said = await c.say(WHY[language][0]);
      expect(said.join('\n')).toContain(reasonText(reason));
      expect(said.at(-1)).toBe(t('cancel:offerColleague'));
      // Nothing was declined: the answer to the repeated question still counts.
      const after = (await c.say(c.words.yes)).join('\n');
      expect(after).toMatch(/CX-/);
      expect(c.db().prepare("SELECT COUNT(*) AS n FROM cases WHERE kind = 'handoff'").get()).toEqual({ n: 1 });
    } finally {
      await c.close();
    }
  });

  it('"why?" at the fee question explains the fee, then asks it again', async () => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now);
      const said = await c.say(WHY[language][2]);
      expect(said.join('\n')).toContain(reasonText('early-fees'));
      expect(said.at(-1)).toBe(t('cancel:feeWarning'));
    } finally {
      await c.close();
    }
  });

  it('Karin, already fast-revoked, asks to cancel: "why?" never suggests a reactivation (RE-2)', async () => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor('cancel', 'karin');
      const said = (await c.say(WHY[language][1])).join('\n');
      expect(said).toContain(reasonText('already-fast-revoked'));
      expect(said).not.toContain(t('why:next.reactivate'));
    } finally {
      await c.close();
    }
  });

  it('Lena, cancelled, asks to cancel: told until when she can reactivate, and "why?" offers the reactivation (RE-1, DD-1)', async () => {
    const { c, t } = await conversation(language);
    try {
      const said = (await c.verifyFor('cancel', 'lena')).join('\n');
      expect(said).toContain(language === 'sv' ? 'sparas till och med den 21 januari 2027' : 'kept up to and including 21 January 2027');
      expect((await c.say(WHY[language][1])).join('\n')).toContain(t('why:next.reactivate'));
    } finally {
      await c.close();
    }
  });

  it('Olof (FPP) declines the fast revoke: told it ends by itself, never offered an ordinary cancellation (END-3, FR-3)', async () => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor('fastRevoke', 'olof');
      const why = (await c.say(WHY[language][1])).join('\n');
      expect(why).toContain(reasonText('fast-revoke-irreversible-only'));
      expect(why).not.toContain(t('why:next.ordinary-cancellation', { retentionDays: 90 }));
      const declined = (await c.say(c.words.no)).join('\n');
      expect(declined).toContain(t('fastRevoke:declinedPartner', { date: language === 'sv' ? '22 februari 2027' : '22 February 2027', retentionDays: 90 }));
    } finally {
      await c.close();
    }
  });

  it('"why?" at the code question explains the code and asks for it again, without claiming a new one was sent', async () => {
    const { c, t, reasonText } = await conversation(language);
    try {
      await c.verifyFor('fastRevoke', 'olof');
      await c.say(c.words.yes);
      const sent = c.otp.sent.length;
      const said = await c.say(WHY[language][1]);
      expect(said.join('\n')).toContain(reasonText('fast-revoke-irreversible-only'));
      // Bought through FPP: there is no ordinary cancellation to offer instead (END-3).
      expect(said.join('\n')).not.toContain(t('why:next.ordinary-cancellation', { retentionDays: 90 }));
      expect(said.at(-1)).toBe(t('fastRevoke:typeCode'));
      expect(c.otp.sent.length).toBe(sent);
    } finally {
      await c.close();
    }
  });

  it('after the bot stops a fast revoke on wrong codes, "why?" says why (AS-3)', async () => {
    const { c, reasonText } = await conversation(language);
    try {
      await c.verifyFor('fastRevoke', 'olof');
      await c.say(c.words.yes, '000000', '000001', '000002', '000003');
      expect((await c.say(WHY[language][1])).join('\n')).toContain(reasonText('code-not-confirmed'));
    } finally {
      await c.close();
    }
  });

  it('once the verification lapses, "why?" says nothing more about the account', async () => {
    let now = NOW;
    const c = await startConversation({ language, overrides: { now: () => now } });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      await c.verifyFor('reactivate', 'peter');
      now = new Date(NOW.getTime() + 40 * 60_000);
      const said = await c.say(WHY[language][1]);
      expect(said[0]).toBe(t('why:nothingYet'));
    } finally {
      await c.close();
    }
  });

  it('a first message that starts with "why" but asks something else is answered for what it asks', async () => {
    const { c, t } = await conversation(language);
    try {
      const said = (await c.say(language === 'sv' ? 'Varför har ni dragit pengar två gånger från vårt konto?' : 'Why was I charged twice in April?')).join('\n');
      expect(said).toContain(t('outOfScope:answers.invoice'));
      expect(said).not.toContain(t('why:nothingYet'));
    } finally {
      await c.close();
    }
  });

  it('"why?" with nothing refused yet says so and keeps the caller at the menu', async () => {
    const { c, t } = await conversation(language);
    try {
      await c.say(language === 'sv' ? 'hej' : 'hello');
      const said = await c.say(WHY[language][1]);
      expect(said[0]).toBe(t('why:nothingYet'));
    } finally {
      await c.close();
    }
  });
});
