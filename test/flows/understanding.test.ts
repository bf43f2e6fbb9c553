import { describe, expect, it } from 'vitest';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';
import { NOW } from '../support/facts';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

const anna = answersOf(DEMO_CALLERS.anna);

describe.each(['sv', 'en'] as const)('"cancel right away instead?" in %s', (language) => {
  it('is answered with a plain yes (now) or no (keep it)', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm, c.words.yes, c.words.skip);
      await c.say(c.words.cancel);
      const yes = (await c.say(c.words.yes)).join('\n');
      expect(yes).toContain(t('cancel:feeWarning'));
      expect(yes).not.toContain(t('cancel:howRetry'));
    } finally {
      await c.close();
    }
  });
});

describe('free text is routed in both languages', () => {
  it.each([
    ['sv', 'jag vill säga upp vårt abonnemang', 'Innan jag kan titta på ditt konto'],
    ['en', 'i need to cancel our subscription', 'Before I can look at your account'],
    ['sv', 'vi vill radera all data direkt', 'Innan jag kan titta på ditt konto'],
    ['en', 'we changed our mind, can we get the subscription back', 'Before I can look at your account'],
    ['sv', 'hur länge sparas min data?', 'dina data sparas i 90 dagar och raderas sedan för gott.'],
    ['en', 'can I get my money back?', 'prorated credit is returned to you within the next billing cycle.'],
    ['en', 'can i cancel a trial?', "A trial can't be cancelled: there is nothing to cancel."],
    ['sv', 'hur lång är bindningstiden', 'Small Business på ett år eller månad för månad.'],
    ['sv', 'vad kostar en pizza', 'Tyvärr kan jag bara hjälpa till med prenumerationer'],
    ['en', 'how do I change my e-mail', "I'm afraid I can only help with subscriptions"],
    ['sv', 'jag vill prata med en människa', 'Uppge ärendenumret när du ringer vår support'],
    ['en', 'what can you do', 'I can cancel your subscription'],
  ] as const)('%s: "%s"', async (language, text, expected) => {
    const c = await startConversation({ language });
    try {
      await c.say(language === 'sv' ? 'hej' : 'hello');
      expect((await c.say(text)).join('\n')).toContain(expected);
    } finally {
      await c.close();
    }
  });

  it.each([
    ['sv', 'jag vill säga upp, jag är anna.lindqvist@fjordfika.se, telefon 070-123 45 67', 'Vad heter din organisations kontaktperson'],
    ['en', "I want to cancel. I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67", "What are the first and last names of your organisation's contact person?"],
  ] as const)('%s: a request with contact details is understood, and the details are not asked for again', async (language, text, next) => {
    const c = await startConversation({ language });
    try {
      await c.say(language === 'sv' ? 'hej' : 'hello');
      const said = await c.say(text);
      expect(said.at(-1)).toContain(next);
    } finally {
      await c.close();
    }
  });

  it('a general question is answered without verification, then the bot offers to act on the account', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej');
      const said = await c.say('får jag pengarna tillbaka om jag säger upp?');
      expect(said[0]).toContain('proportionell kredit');
      expect(said[0]).not.toMatch(/EARLY-6/);
      expect(said[1]).toBe('Vill du att jag tittar på din egen prenumeration? Välj vad du vill göra, så kontrollerar jag först vem du är.');
      expect((await c.say('Säg upp prenumerationen'))[0]).toContain('Innan jag kan titta på ditt konto');
    } finally {
      await c.close();
    }
  });

  it('does not guess: nonsense shows the menu, and twice in a row offers a person', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.say('hello');
      expect((await c.say('qwfp zxcv'))[0]).toContain("Sorry, I didn't catch that.");
      expect((await c.say('blorp glorp'))[0]).toContain('Would you rather talk to a person?');
    } finally {
      await c.close();
    }
  });

  it('a message clearly in the other language switches the conversation and is understood', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej');
      const said = (await c.say('I want to cancel my subscription please')).join('\n');
      expect(said).toContain('Before I can look at your account');
    } finally {
      await c.close();
    }
  });

  it('"English" at the menu switches, and the choice outlives the channel locale', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej');
      expect((await c.say('English')).join('\n')).toContain("Sure, let's continue in English.");
      expect((await c.say('qwfp zxcv'))[0]).toContain("Sorry, I didn't catch that.");
    } finally {
      await c.close();
    }
  });
});

describe('short answers at the menu', () => {
  it('"avbryt" with nothing in progress says so, and shows how to cancel the subscription', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej');
      const said = await c.say('avbryt');
      expect(said[0]).toContain('Det pågår inget just nu som kan avbrytas.');
      expect(said[1]).toBe('Vad vill du göra?');
    } finally {
      await c.close();
    }
  });

  it('"nej" to "anything else?" says goodbye, and the next message is not greeted from scratch', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej', 'Allmänna frågor');
      await c.say('nej');
      const offered = await c.say('Allmänna frågor');
      expect(offered.at(-1)).toBe('Vill du att jag tittar på din egen prenumeration? Välj vad du vill göra, så kontrollerar jag först vem du är.');
      expect(await c.say('nej')).toEqual(['Finns det något mer jag kan hjälpa dig med?']);
      expect(await c.say('nej')).toEqual(['Tack för att du hörde av dig. Ha en fin dag!']);
      expect(await c.say('hej')).toEqual(['Hej igen!', 'Vad vill du göra?']);
    } finally {
      await c.close();
    }
  });

  it('"ja" after "would you rather talk to a person?" means exactly that', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.say('hello', 'qwfp zxcv', 'blorp glorp');
      const said = await c.say('yes');
      expect(said).toHaveLength(3);
      expect(said[0]).toMatch(/Your case is with a colleague\. Case reference: CX-/);
      expect(said[1]).toBe("You're number 1 in the queue. If a colleague is free, they'll take over right here in the chat; otherwise we'll get in touch as described above. If you'd rather not wait, you can leave a message for the colleague instead.");
      expect(said[2]).toBe('Is there anything else I can help you with?');
    } finally {
      await c.close();
    }
  });

  it('a polite yes answers the question asked: "ja tack" to "anything else?" shows the menu', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej', 'Allmänna frågor', 'nej');
      expect(await c.say('ja tack')).toEqual(['Vad vill du göra?']);
    } finally {
      await c.close();
    }
  });

  it('a bare yes or no with no question open only brings the menu back', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.say('hello');
      expect(await c.say('yes')).toEqual(['What would you like to do?']);
      expect(await c.say('no')).toEqual(['What would you like to do?']);
      expect(await c.say('nope')).toEqual(['What would you like to do?']);
    } finally {
      await c.close();
    }
  });

  it('after a goodbye no options are showing, so a number picks nothing', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('hej', 'tack hej då');
      expect((await c.say('1'))[0]).toContain('Förlåt, det uppfattade jag inte.');
    } finally {
      await c.close();
    }
  });

  it.each(['sv', 'en'] as const)('%s: a caller locked out of verification who asks for a person gets a real hand-off, marked not verified (ID-3, AS-2)', async (language) => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const wrong = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', c.words.yes];
      await c.say(c.words.cancel, ...wrong, ...wrong, ...wrong);
      const said = await c.say(language === 'sv' ? 'prata med en person' : 'talk to a person');
      expect(said[0]).toBe(t('main:personLocked'));
      expect(said[1]).toMatch(CASE_IN_TEXT);
      expect(said[1]).toContain(t('common:supportContactUnset'));
      const packet = JSON.parse((c.db().prepare("SELECT details FROM cases WHERE kind = 'handoff'").get() as { details: string }).details).packet;
      expect(packet).toMatchObject({ reason: 'locked-out', caller: { verified: false, userId: null }, decision: { rules: ['AS-2', 'ID-3'] }, language });
      expect(packet.caller.lockedUntil).toBe(new Date(NOW.getTime() + 15 * 60_000).toISOString());
      // The answers given during verification never reach the packet: the transcript withholds them.
      const transcript = JSON.stringify(packet.transcript);
      for (const answer of [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99']) expect(transcript).not.toContain(answer);
      expect(transcript).toContain('[withheld]');
    } finally {
      await c.close();
    }
  });

  it.each(['sv', 'en'] as const)('%s: "which one was wrong?" after a lockout is answered with why the bot cannot say (ID-3, AS-3)', async (language) => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const wrong = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', c.words.yes];
      await c.say(c.words.cancel, ...wrong, ...wrong, ...wrong);
      const said = await c.say(language === 'sv' ? 'vilken var fel?' : 'which one was wrong?');
      expect(said[0]).toContain(t('why:reasons.locked-out'));
      expect(said[0]).toContain(t('why:next.try-later'));
      expect(said[0]).toContain(t('why:next.person'));
      expect(said.join('\n')).not.toContain(t('policy:answers.termLengthQuestion'));
    } finally {
      await c.close();
    }
  });

  it('with SUPPORT_CONTACT set, the way to a person names it', async () => {
    const c = await startConversation({ language: 'sv', config: { supportContact: { sv: '08-123 45 67 (vardagar 8–17)' } } });
    try {
      await c.say('hej');
      expect((await c.say('jag vill prata med en människa')).join('\n')).toContain('Du når vår support på 08-123 45 67 (vardagar 8–17).');
    } finally {
      await c.close();
    }
  });

  it('a verified caller is not told they will be checked first', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Keep it');
      const said = await c.say('can I get my money back?');
      expect(said.at(-1)).toBe('Would you like me to do something with your subscription? Choose below.');
    } finally {
      await c.close();
    }
  });
});

describe('interruptions at a verification question', () => {
  it('switching language keeps the answers given so far and asks the same question again', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('Säg upp prenumerationen', anna[0], anna[1]);
      const switched = await c.say('English');
      expect(switched).toEqual(["Sure, let's continue in English.", "What are the first and last names of your organisation's contact person?"]);
      const rest = await c.say(anna[2], anna[3], anna[4], 'yes');
      expect(rest.join('\n')).toContain("You're now verified as an administrator of Fjordfika AB.");
    } finally {
      await c.close();
    }
  });

  it('writing in the other language switches too, and the question is asked again in it', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('Säg upp prenumerationen', anna[0]);
      const said = await c.say('sorry can we do this in english please');
      expect(said.at(-1)).toBe('What phone number is registered on the account?');
    } finally {
      await c.close();
    }
  });

  it.each([
    ['sv', 'hjälp', 'Telefonnumret som din organisation har registrerat', 'Vilket telefonnummer är registrerat på kontot?'],
    ['en', 'help', 'The phone number your organisation registered', 'What phone number is registered on the account?'],
  ] as const)('%s: "%s" explains the question and asks it again', async (language, word, help, question) => {
    const c = await startConversation({ language });
    try {
      await c.say(c.words.cancel, anna[0]);
      expect(await c.say(word)).toEqual([expect.stringContaining(help), question]);
    } finally {
      await c.close();
    }
  });

  it.each([
    ['sv', 'börja om', 'Okej, vi börjar om. Ingenting har ändrats.', 'Vad vill du göra?'],
    ['en', 'start over', "OK, let's start over. Nothing has been changed.", 'What would you like to do?'],
  ] as const)('%s: "%s" goes back to the start', async (language, word, said0, said1) => {
    const c = await startConversation({ language });
    try {
      await c.say(c.words.cancel, anna[0], anna[1]);
      expect(await c.say(word)).toEqual([said0, said1]);
    } finally {
      await c.close();
    }
  });

  it.each([
    ['sv', 'avbryt', 'Okej, jag avbryter. Ingenting har ändrats.'],
    ['en', 'cancel', "OK, I've stopped. Nothing has been changed."],
  ] as const)('%s: "%s" stops the flow', async (language, word, said0) => {
    const c = await startConversation({ language });
    try {
      await c.say(c.words.cancel, anna[0]);
      expect((await c.say(word))[0]).toBe(said0);
    } finally {
      await c.close();
    }
  });

  it('asking for a person mid-verification stops the questions and says how to reach one', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('Säg upp prenumerationen', anna[0]);
      const said = await c.say('kan jag få prata med en riktig människa');
      expect(said[0]).toMatch(/Ärendet är överlämnat till en kollega\. Ärendenummer: CX-/);
    } finally {
      await c.close();
    }
  });

  it('an answer that contains a trigger word is still an answer ("Kundtjänst" is a name here)', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.say('Säg upp prenumerationen', anna[0], anna[1], anna[2]);
      expect((await c.say('Kundtjänst Norden AB'))[0]).toContain('Vilken är organisationens fullständiga postadress?');
    } finally {
      await c.close();
    }
  });
});

describe('interruptions at a confirmation', () => {
  async function atConfirmation(language: 'sv' | 'en') {
    const c = await startConversation({ language });
    await c.verifyFor('cancel', 'anna');
    await c.say(c.words.now, c.words.yes);
    return c;
  }

  it('switching language asks the confirmation again in the new language; the flow goes on', async () => {
    const c = await atConfirmation('sv');
    try {
      const said = await c.say('English');
      expect(said).toEqual(["Sure, let's continue in English.", 'Shall I cancel Office 365 Small Business (12 licences) now? Answer yes once the domains are removed and you have saved what you want to keep.']);
      expect((await c.say('yes')).join('\n')).toContain('Done. Case reference: CX-');
    } finally {
      await c.close();
    }
  });

  it('start over at a confirmation changes nothing and goes back to the menu', async () => {
    const c = await atConfirmation('sv');
    try {
      expect(await c.say('börja om')).toEqual(['Okej, vi börjar om. Ingenting har ändrats.', 'Vad vill du göra?']);
      expect(c.db().prepare('SELECT COUNT(*) AS n FROM cases').get()).toEqual({ n: 0 });
    } finally {
      await c.close();
    }
  });

  it('a policy question asked at the fee question is answered, then the question is asked again', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say('Nu');
      const said = await c.say('får jag pengarna tillbaka då?');
      expect(said[0]).toContain('proportionell kredit');
      expect(said[1]).toContain('Godkänner du det?');
    } finally {
      await c.close();
    }
  });

  it('help at a yes/no question explains what a yes does', async () => {
    const c = await atConfirmation('en');
    try {
      const said = await c.say('help');
      expect(said[0]).toContain('If you answer yes, I cancel the subscription right away');
      expect(said[1]).toBe('Shall I cancel Office 365 Small Business (12 licences) now? Answer yes once the domains are removed and you have saved what you want to keep.');
    } finally {
      await c.close();
    }
  });

  it('asking for a person again points to the case already open', async () => {
    const c = await atConfirmation('en');
    try {
      const first = (await c.say('talk to a person')).join('\n').match(/CX-[2-9A-Z]{4}-[2-9]{2}/)?.[0];
      const t = c.runtime.i18n.getFixedT('en');
      expect((await c.say('talk to a person'))[0]).toBe(`${t('main:alreadyHandedOver', { reference: first })} ${t('common:supportContactUnset')}`);
      expect(c.db().prepare("SELECT COUNT(*) AS n FROM cases WHERE kind = 'handoff'").get()).toEqual({ n: 1 });
    } finally {
      await c.close();
    }
  });

  it('a verified caller who asks for a person is handed over with a case (AS-2)', async () => {
    const c = await atConfirmation('en');
    try {
      const said = (await c.say('talk to a person')).join('\n');
      expect(said).toMatch(/Your case is with a colleague\. Case reference: CX-/);
      expect(c.db().prepare("SELECT kind, status FROM cases WHERE kind = 'handoff'").all()).toEqual([{ kind: 'handoff', status: 'open' }]);
      expect(c.db().prepare("SELECT status FROM subscriptions WHERE id = 'sub-fjordfika-1'").get()).toEqual({ status: 'ACTIVE' });
    } finally {
      await c.close();
    }
  });

  it.each([
    ['japp', true], ['nej tack', false], ['nej, inte ok', false],
  ] as const)('Swedish "%s" answers the confirmation (%s)', async (answer, confirmed) => {
    const c = await atConfirmation('sv');
    try {
      const said = (await c.say(answer)).join('\n');
      if (confirmed) expect(said).toContain('Klart. Ärendenummer: CX-');
      else expect(said).toContain('Okej, ingenting har ändrats.');
    } finally {
      await c.close();
    }
  });
});
