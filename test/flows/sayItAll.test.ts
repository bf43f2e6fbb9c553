import { describe, expect, it } from 'vitest';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';
import { i18n } from '../support/bot';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

/**
 * A caller who knows what support asks says it all at once. Counted in caller messages, from the first one to the
 * receipt, through the real bot (TestAdapter, a real SQLite file) in both languages.
 */
const EVERYTHING = {
  sv: 'Jag vill säga upp vår prenumeration vid periodens slut. Jag är anna.lindqvist@fjordfika.se, telefon 070-123 45 67, kontaktperson Anna Lindqvist, organisation Fjordfika AB, adress Storgatan 12, 114 55 Stockholm, och jag är admin.',
  en: "I want to cancel my subscription at the end of the term. I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67, contact person Anna Lindqvist, organisation Fjordfika AB, address Storgatan 12, 114 55 Stockholm, and I'm an admin.",
} as const;

describe.each(['sv', 'en'] as const)('say it all at once (%s)', (language) => {
  const t = i18n.getFixedT(language);

  it('Anna, everything and the wish in her first message: three messages to the receipt (details → "yes, that is right" → "yes, do it")', async () => {
    const c = await startConversation({ language });
    try {
      const first = (await c.say(EVERYTHING[language])).join('\n');
      // Understood as a cancellation with all six details: nothing is asked, everything is said back once.
      expect(first).not.toContain(t('main:outOfScope').slice(0, 30));
      expect(first).toContain(t('verify:nothingLeft'));
      expect(first).toContain('anna.lindqvist@fjordfika.se');
      expect(first).toContain('Storgatan 12, 114 55 Stockholm');
      expect(first).toContain('+46 70 123 45 67');
      const second = (await c.say(c.words.yes)).join('\n');
      expect(second).toContain(t('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
      // "vid periodens slut" was in the first message: the next reply after the verdict is the confirmation.
      expect(second).not.toContain(t('cancel:howToCancel', { subscription: '§' }).split('§')[0]);
      expect(second).toContain(t('cancel:confirmEndOfTerm'));
      const third = (await c.say(c.words.yes)).join('\n');
      expect(third).toMatch(CASE_IN_TEXT);
      const done = c.db().prepare("SELECT action, status FROM cases WHERE kind = 'action'").all();
      expect(done).toEqual([{ action: 'turn-off-auto-renew', status: 'done' }]);
    } finally {
      await c.close();
    }
  });

  it('a fast revoke asked for with every detail goes straight to the fast revoke once the details are confirmed', async () => {
    const c = await startConversation({ language });
    try {
      const wish = language === 'sv' ? 'Vi behöver en snabb återkallelse.' : 'We need a fast revoke.';
      const first = (await c.say(`${wish} ${EVERYTHING[language].split('. ').slice(1).join('. ')}`)).join('\n');
      expect(first).toContain(t('verify:nothingLeft'));
      const after = (await c.say(c.words.yes)).join('\n');
      expect(after).toContain(t('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
      // The fast revoke's own first step, not the menu: no "what would you like to do?".
      expect(after).not.toContain(t('main:whatElse'));
      expect(after).not.toContain(t('cancel:confirmEndOfTerm'));
      expect(after).toContain(t('fastRevoke:explain', { subscription: '§' }).split('§')[0]);
    } finally {
      await c.close();
    }
  });

  it('asking for a person with details in the same message still reaches a person', async () => {
    const c = await startConversation({ language });
    try {
      const ask = language === 'sv' ? 'Jag vill prata med en person. Jag är anna.lindqvist@fjordfika.se, tel 070-123 45 67.' : "I'd like to talk to a real person please. I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67.";
      expect((await c.say(ask)).join('\n')).toMatch(CASE_IN_TEXT);
    } finally {
      await c.close();
    }
  });

  it('at the say-back: "no", then "yes, it is right after all" checks the details as they are; the list follows a language switch', async () => {
    const c = await startConversation({ language });
    try {
      await c.say(EVERYTHING[language]);
      expect((await c.say(c.words.no)).join('\n')).toContain(t('verify:whatToCorrect'));
      const afterAll = language === 'sv' ? 'ja det stämmer ändå' : 'yes it is right after all';
      expect((await c.say(afterAll)).join('\n')).toContain(t('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));

      const other = await startConversation({ language });
      try {
        await other.say(EVERYTHING[language]);
        const otherLanguage = language === 'sv' ? 'en' : 'sv';
        const switched = (await other.say(language === 'sv' ? 'English please' : 'kan vi ta det på svenska?')).join('\n');
        expect(switched).toContain(i18n.getFixedT(otherLanguage)('verify:sayBackLine.contactName', { value: 'Anna Lindqvist' }).trim());
      } finally {
        await other.close();
      }
    } finally {
      await c.close();
    }
  });

  it('"ja" is not an organisation name', async () => {
    const c = await startConversation({ language });
    try {
      const [userId, phone, contact] = answersOf(DEMO_CALLERS.anna);
      await c.say(c.words.cancel, userId, phone, contact);
      expect((await c.say(c.words.yes)).join('\n')).toContain(t('verify:retry.organisationName'));
    } finally {
      await c.close();
    }
  });

  it('details given before the wish are kept: the caller is told so, and then asked only what is missing', async () => {
    const c = await startConversation({ language });
    try {
      const first = (await c.say('anna.lindqvist@fjordfika.se, 070-123 45 67, Anna Lindqvist, Fjordfika AB')).join('\n');
      expect(first).toContain(t('main:detailsNoted'));
      const next = (await c.say(c.words.cancel)).join('\n');
      expect(next).toContain(t('verify:left.2'));
      expect(next).toContain(t('verify:ask.postalAddress'));
    } finally {
      await c.close();
    }
  });

  it('one answer per message still takes no more than nine messages', async () => {
    const c = await startConversation({ language });
    try {
      // Sent one by one until the receipt comes: the count is how many the caller needed.
      const messages = [c.words.cancel, ...answersOf(DEMO_CALLERS.anna), c.words.yes, c.words.endOfTerm, c.words.yes, c.words.yes];
      const heard: string[] = [];
      let sent = 0;
      while (sent < messages.length && !CASE_IN_TEXT.test(heard.join('\n'))) heard.push(...(await c.say(messages[sent++])));
      expect(heard.join('\n')).toMatch(CASE_IN_TEXT);
      expect(sent).toBeLessThanOrEqual(9);
      const said = heard.join('\n');
      // Answered one at a time, nothing was picked out of a longer message: nothing to say back.
      expect(said).not.toContain(t('verify:sayBack', { details: '' }).split('\n')[0]);
    } finally {
      await c.close();
    }
  });

  it('at the contact-person question, the name with the rest of the details is all kept', async () => {
    const c = await startConversation({ language });
    try {
      const [userId, phone] = answersOf(DEMO_CALLERS.anna);
      await c.say(c.words.cancel, userId, phone);
      const rest = language === 'sv' ? 'Anna Lindqvist, Fjordfika AB, Storgatan 12, 114 55 Stockholm, och ja, jag är admin' : 'Anna Lindqvist, Fjordfika AB, Storgatan 12, 114 55 Stockholm, and yes I am the admin';
      const said = (await c.say(rest)).join('\n');
      expect(said).not.toContain(t('verify:retry.contactName'));
      expect(said).toContain('Fjordfika AB');
      expect((await c.say(c.words.yes)).join('\n')).toContain(t('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
    } finally {
      await c.close();
    }
  });

  it('details given with the wish leave fewer questions, and the bot says how many', async () => {
    const c = await startConversation({ language });
    try {
      const opening = language === 'sv' ? 'Säga upp. anna.lindqvist@fjordfika.se, 070-123 45 67, Anna Lindqvist, Fjordfika AB' : 'Cancel. anna.lindqvist@fjordfika.se, 070-123 45 67, Anna Lindqvist, Fjordfika AB';
      const said = (await c.say(opening)).join('\n');
      expect(said).toContain(t('verify:left.2'));
      expect(said).toContain(t('verify:ask.postalAddress'));
      const next = (await c.say('Storgatan 12, 114 55 Stockholm')).join('\n');
      expect(next).toContain(t('verify:left.1'));
      expect(next).toContain(t('verify:ask.admin'));
    } finally {
      await c.close();
    }
  });

  it('a misread detail is corrected at the say-back, and the correction costs no attempt', async () => {
    const c = await startConversation({ language });
    try {
      const wrongPhone = EVERYTHING[language].replace('070-123 45 67', '070-123 45 68');
      const first = (await c.say(wrongPhone)).join('\n');
      expect(first).toContain('+46 70 123 45 68');
      const correction = language === 'sv' ? 'nej, numret är 070-123 45 67' : 'no, the number is 070-123 45 67';
      const again = (await c.say(correction)).join('\n');
      expect(again).toContain('+46 70 123 45 67');
      expect(again).not.toContain('+46 70 123 45 68');
      const verdict = (await c.say(c.words.yes)).join('\n');
      expect(verdict).toContain(t('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
      // The wrong number never reached the directory: no rejection was said, no attempt counted.
      expect([first, again, verdict].join('\n')).not.toContain(t('verify:rejected', { count: 2 }).slice(0, 40));
    } finally {
      await c.close();
    }
  });
});

describe('numbers written the way the caller\'s country writes them', () => {
  it('James (en-GB) writes his London number without +44 and is understood', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      const send = async (text: string) => (await c.send({ text, locale: 'en-GB' })).map((a) => a.text ?? '').join('\n');
      await send('Cancel subscription');
      await send(DEMO_CALLERS.james.userId);
      const afterPhone = await send('020 7946 0321');
      expect(afterPhone).toContain(i18n.getFixedT('en')('verify:ask.contactName'));
    } finally {
      await c.close();
    }
  });
});
