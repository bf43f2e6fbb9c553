import { describe, expect, it } from 'vitest';
import { SubscriptionServiceUnavailableError, type SubscriptionService } from '../../src/subscriptions/subscriptionService';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

/**
 * The hand-off packet (AS-2) for every reason a caller reaches a person — asked for, verified or not; locked out; too
 * many licences; the billing system failing twice — in both languages: what the agent needs is there, and nothing of
 * the caller's phone number, e-mail address, street address or name is there unmasked, whatever they typed on the way.
 */
const NEVER_IN_A_PACKET = [
  '070-123 45 67', '0701234567', '+46701234567', '70 123 45 67', 'anna.lindqvist@fjordfika.se', 'Anna Lindqvist', 'Storgatan 12', '114 55',
  '031-555 01 23', '+46315550123', 'erik.berg@nordkust.se', 'Erik Berg', 'Hamngatan 3', '411 06',
];

/**
 * A caller's own details in free words, before anything else (kept for the verification a wish would start, so only
 * the caller who never verifies says it; the others' details are their verification answers, which are withheld).
 */
const CHATTY = {
  sv: 'Hej! Jag heter Anna Lindqvist, ring mig på 070-123 45 67 eller mejla anna.lindqvist@fjordfika.se. Vi sitter på Storgatan 12, 114 55 Stockholm.',
  en: "Hi! I'm Anna Lindqvist, call me on 070-123 45 67 or mail anna.lindqvist@fjordfika.se. We're at Storgatan 12, 114 55 Stockholm.",
};
const PERSON = { sv: 'Jag vill prata med en person', en: 'I want to talk to a person' };

function failingBilling(): SubscriptionService {
  const fail = async () => {
    throw new SubscriptionServiceUnavailableError('billing API: timeout');
  };
  return { turnOffAutoRenew: fail, cancelNow: fail, fastRevoke: fail, reactivate: fail };
}

describe.each(['sv', 'en'] as const)('hand-off packets for every reason (%s)', (language) => {
  type Conversation = Awaited<ReturnType<typeof startConversation>>;
  const packetOf = (c: Conversation) => {
    const rows = c.db().prepare("SELECT details FROM cases WHERE kind = 'handoff'").all() as Array<{ details: string }>;
    expect(rows).toHaveLength(1);
    return JSON.parse(rows[0].details).packet;
  };
  const checked = (packet: Record<string, unknown>) => {
    const text = JSON.stringify(packet);
    for (const personal of NEVER_IN_A_PACKET) expect(text, `"${personal}" in the packet`).not.toContain(personal);
    expect(packet).toMatchObject({ language, transcript: expect.any(Array) });
    expect((packet.transcript as unknown[]).length).toBeGreaterThan(0);
    return packet;
  };

  it('asked for, not verified: marked so, nobody named, the masked conversation', async () => {
    const c = await startConversation({ language });
    try {
      await c.say(CHATTY[language]);
      expect((await c.say(PERSON[language])).join('\n')).toMatch(CASE_IN_TEXT);
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({ reason: 'caller-asked', caller: { verified: false, isAdmin: null, userId: null, organisationName: null, lockedUntil: null }, subscription: null, unfinishedCase: null });
    } finally {
      await c.close();
    }
  });

  it('asked for by a verified administrator: who (masked), the organisation, what they were doing', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(PERSON[language]);
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({ reason: 'caller-asked', caller: { verified: true, isAdmin: true, userId: 'a***@fjordfika.se', organisationName: 'Fjordfika AB' }, wanted: { choices: { wish: 'cancel' } } });
    } finally {
      await c.close();
    }
  });

  it('locked out of verification: not verified, until when, the rule', async () => {
    const c = await startConversation({ language });
    try {
      const wrong = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', c.words.yes];
      await c.say(c.words.cancel, ...wrong, ...wrong, ...wrong);
      await c.say(PERSON[language]);
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({ reason: 'locked-out', caller: { verified: false, userId: null, lockedUntil: expect.any(String) }, decision: { rules: expect.arrayContaining(['ID-3', 'AS-2']) } });
    } finally {
      await c.close();
    }
  });

  it('too many licences for an early cancellation: the subscription, the choice, the decision with its rules', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'erik');
      await c.say(c.words.now);
      expect((await c.say(c.words.yes)).join('\n')).toMatch(CASE_IN_TEXT);
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({
        reason: 'too-many-licences',
        caller: { verified: true, isAdmin: true, userId: 'e***@nordkust.se', organisationName: 'Nordkust Logistik AB' },
        subscription: { facts: { assignedLicenses: 40 } },
        wanted: { action: 'cancel-now' },
        decision: { rules: expect.arrayContaining(['EARLY-5']) },
      });
    } finally {
      await c.close();
    }
  });

  it('the billing system failing twice: the unfinished (pending) case for the agent to settle', async () => {
    const c = await startConversation({ language, overrides: { subscriptions: failingBilling() } });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.now, c.words.yes, c.words.yes);
      expect((await c.say(c.words.yes)).join('\n')).toMatch(CASE_IN_TEXT);
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({ reason: 'backend-failure', caller: { verified: true, userId: 'a***@fjordfika.se' }, wanted: { action: 'cancel-now' }, unfinishedCase: { reference: expect.stringMatching(/^CX-/), status: 'pending' } });
    } finally {
      await c.close();
    }
  });

  it('asked for at the feedback after a done cancellation: never "nothing changed"; the request is over, the packet says so', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      const done = (await c.say(c.words.endOfTerm, c.words.yes)).join('\n');
      expect(done).toMatch(CASE_IN_TEXT);
      const said = await c.say(PERSON[language]);
      const t = c.runtime.i18n.getFixedT(language);
      expect(said).not.toContain(t('main:personMidFlow'));
      expect(said.join('\n')).toContain(t('action:receipt.handoffTitle'));
      // The cancellation is done (the transcript shows it): the hand-off is about whatever the caller wants next.
      const packet = checked(packetOf(c));
      expect(packet).toMatchObject({ reason: 'caller-asked', caller: { verified: true }, subscription: null, wanted: { action: null }, decision: null, unfinishedCase: null });
    } finally {
      await c.close();
    }
  });
});
