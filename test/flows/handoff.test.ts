import { describe, expect, it } from 'vitest';
import type { HandoffPacket } from '../../src/cases/handoffPacket';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';
import { DEMO_CALLERS } from '../support/demoCallers';

const PERSON = { sv: 'prata med en person', en: 'talk to a person' } as const;

/** The packet of the only hand-off case in the conversation's database. */
function onlyPacket(c: Awaited<ReturnType<typeof startConversation>>): HandoffPacket {
  return JSON.parse((c.db().prepare("SELECT details FROM cases WHERE kind = 'handoff'").get() as { details: string }).details).packet;
}

describe.each(['sv', 'en'] as const)('hand-off packets (AS-2) in %s', (language) => {
  it('a name and an address in free words before verification never reach the transcript', async () => {
    const c = await startConversation({ language });
    try {
      const intro = language === 'sv' ? 'Hej, jag heter Anna Lindqvist på Fjordfika AB, Storgatan 12, 114 55 Stockholm' : "Hi, I'm Anna Lindqvist of Fjordfika AB, Storgatan 12, 114 55 Stockholm";
      await c.say(intro, PERSON[language]);
      const said = onlyPacket(c).transcript.filter((line) => line.from === 'caller').map((line) => line.text);
      // The details are kept for the verification the caller may start: the message itself is withheld.
      expect(said[0]).toBe('[withheld]');
      for (const secret of ['Lindqvist', 'Storgatan', '114 55']) expect(said.join('\n'), secret).not.toContain(secret);
    } finally {
      await c.close();
    }
  });

  it('verification answers and one-time codes are withheld from the transcript, right or wrong', async () => {
    const c = await startConversation({ language });
    try {
      // Answers of the wrong form first (re-asked), then right ones; then a fast revoke with a wrong code.
      await c.say(c.words.fastRevoke, 'anna.lindqvist', 'anna.lindqvist@fjordfika.se', '070-123', '070-123 45 67', 'Anna', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12 Stockholm', 'Storgatan 12, 114 55 Stockholm', c.words.yes);
      await c.say(c.words.yes, c.words.yes);
      const code = c.otp.lastCode() as string;
      const wrongCode = code.slice(0, 5) + (code[5] === '9' ? '8' : '9');
      await c.say(wrongCode, PERSON[language]);
      const said = onlyPacket(c).transcript.filter((line) => line.from === 'caller').map((line) => line.text).join('\n');
      for (const secret of ['Lindqvist', 'Storgatan', 'anna.lindqvist', '070-123', code.slice(0, 5)]) expect(said, secret).not.toContain(secret);
      expect(said).toContain('[withheld]');
      expect(said).toContain(PERSON[language]);
    } finally {
      await c.close();
    }
  });

  it('a caller who is not verified gets one case a day, however many conversations they open', async () => {
    const first = await startConversation({ language });
    try {
      await first.say(PERSON[language]);
      const reference = (first.db().prepare("SELECT reference FROM cases WHERE kind = 'handoff'").get() as { reference: string }).reference;
      // The same channel user in a new conversation on the same bot.
      const again = await first.send({ text: PERSON[language], conversation: { id: 'second-conversation' } as never });
      const said = again.map((a) => a.text ?? '').join('\n');
      expect(said).toContain(reference);
      expect(said).toContain(first.runtime.i18n.getFixedT(language)('main:alreadyHandedOverUnverified', { reference }));
      expect(first.db().prepare("SELECT COUNT(*) AS n FROM cases WHERE kind = 'handoff'").get()).toEqual({ n: 1 });
    } finally {
      await first.close();
    }
  });

  it('a person asked for at the "cancel now?" confirmation gets who, which subscription, what was chosen, the decision and the conversation', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now, c.words.yes);
      const said = await c.say(PERSON[language]);
      expect(said.join('\n')).toMatch(CASE_IN_TEXT);
      const row = c.db().prepare("SELECT account_id AS accountId, subscription_id AS subscriptionId, action, rules, details FROM cases WHERE kind = 'handoff'").get() as { accountId: string; subscriptionId: string; action: string; rules: string; details: string };
      expect(row).toMatchObject({ accountId: 'acc-fjordfika', subscriptionId: 'sub-fjordfika-1', action: 'cancel-now' });
      expect(JSON.parse(row.rules)).toEqual(expect.arrayContaining(['AS-2', 'EARLY-1', 'EARLY-2', 'EARLY-3']));
      const packet = JSON.parse(row.details).packet as HandoffPacket;
      expect(packet).toMatchObject({
        reason: 'caller-asked',
        caller: { verified: true, isAdmin: true, userId: 'a***@fjordfika.se', organisationName: 'Fjordfika AB', lockedUntil: null },
        subscription: { id: 'sub-fjordfika-1', facts: { assignedLicenses: 12, customDomains: ['fjordfika.se'] } },
        wanted: { action: 'cancel-now', choices: { wish: 'cancel', how: 'now', feesAccepted: true } },
        decision: { outcome: 'cancellable' },
        language,
        unfinishedCase: null,
      });
      // The conversation so far: what the bot said, what the caller chose; the verification answers withheld.
      const transcript = packet.transcript.map((line) => `${line.from}: ${line.text}`).join('\n');
      expect(transcript).toContain(`caller: ${c.words.now}`);
      expect(transcript).toContain(`caller: ${PERSON[language]}`);
      // (The organisation's name is no secret: the packet names it, and the bot said it when verifying.)
      const { userId, phone, contactName, postalAddress } = DEMO_CALLERS.anna;
      for (const answer of [userId, phone, contactName, postalAddress]) expect(transcript).not.toContain(answer);
      expect(transcript).not.toContain('anna.lindqvist');
      // Asking again points to the same case instead of opening another.
      const reference = (said.join('\n').match(CASE_IN_TEXT) as RegExpMatchArray)[0];
      expect((await c.say(PERSON[language])).join('\n')).toContain(reference);
      expect(c.db().prepare("SELECT COUNT(*) AS n FROM cases WHERE kind = 'handoff'").get()).toEqual({ n: 1 });
    } finally {
      await c.close();
    }
  });

  it('a person asked for during the fast revoke, after the code, knows the code was confirmed (and never sees it)', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('fastRevoke', 'olof');
      await c.say(c.words.yes);
      const code = c.otp.lastCode() as string;
      await c.say(code);
      await c.say(PERSON[language]);
      const packet = onlyPacket(c);
      expect(packet).toMatchObject({ wanted: { action: 'fast-revoke', choices: { wish: 'fastRevoke', consequencesAccepted: true, codeConfirmed: true } }, subscription: { id: 'sub-vintergatan-1' } });
      expect(JSON.stringify(packet)).not.toContain(code);
    } finally {
      await c.close();
    }
  });
});
