import { describe, expect, it } from 'vitest';
import type { HandoffPacket } from '../../src/cases/handoffPacket';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';
import { DEMO_CALLERS } from '../support/demoCallers';

const PERSON = { sv: 'prata med en person', en: 'talk to a person' } as const;

describe.each(['sv', 'en'] as const)('hand-off packets (AS-2) in %s', (language) => {
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
      const packet = JSON.parse((c.db().prepare("SELECT details FROM cases WHERE kind = 'handoff'").get() as { details: string }).details).packet as HandoffPacket;
      expect(packet).toMatchObject({ wanted: { action: 'fast-revoke', choices: { wish: 'fastRevoke', consequencesAccepted: true, codeConfirmed: true } }, subscription: { id: 'sub-vintergatan-1' } });
      expect(JSON.stringify(packet)).not.toContain(code);
    } finally {
      await c.close();
    }
  });
});
