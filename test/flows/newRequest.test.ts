import { describe, expect, it } from 'vitest';
import { i18n } from '../support/bot';
import { startConversation } from '../support/conversation';

/**
 * A whole new request said at a flow's question — a caller back after reloading the page, or one who changed their
 * mind — starts that request (nothing of the flow left is done); it is not met with "please answer yes or no".
 */
const REQUESTS = {
  sv: { cancel: 'Jag vill säga upp min prenumeration', reactivate: 'jag vill återaktivera prenumerationen' },
  en: { cancel: 'I want to cancel my subscription', reactivate: 'I want to reactivate my subscription' },
} as const;
const VERIFY_INTRO = /Before I can look at your account|Innan jag kan titta på ditt konto/;

describe.each(['sv', 'en'] as const)('a new request in the middle of a flow (%s)', (language) => {
  const t = i18n.getFixedT(language);

  it('at the confirmation of a cancellation: the flow starts again, nothing was cancelled', async () => {
    const c = await startConversation({ language });
    await c.verifyFor('cancel', 'anna');
    const summary = await c.say(c.words.endOfTerm);
    expect(summary.at(-1)).toBe(t('cancel:confirmEndOfTerm'));
    const again = await c.say(REQUESTS[language].cancel);
    expect(again[0]).toBe(t('interruptions:startingOver'));
    expect(again.join('\n')).not.toContain(t('common:answerYesNo', { question: t('cancel:confirmEndOfTerm') }));
    expect(again.at(-1)).toMatch(language === 'sv' ? /Hur vill du säga upp/ : /How would you like to cancel/);
    const db = c.db();
    expect(db.prepare("SELECT COUNT(*) AS n FROM cases WHERE kind != 'handoff'").get()).toEqual({ n: 0 });
    db.close();
    await c.close();
  });

  it('another request at the same question goes to that request, without verifying again', async () => {
    const c = await startConversation({ language });
    await c.verifyFor('cancel', 'anna');
    await c.say(c.words.endOfTerm);
    const reactivate = await c.say(REQUESTS[language].reactivate);
    expect(reactivate[0]).toBe(t('interruptions:startingOver'));
    expect(reactivate.join('\n')).not.toMatch(VERIFY_INTRO);
    expect(reactivate.join('\n')).toMatch(language === 'sv' ? /inget att återaktivera/ : /nothing to reactivate/);
    await c.close();
  });

  it('during verification a new request is noted, the answers given are kept, and it is where the caller goes', async () => {
    const c = await startConversation({ language });
    await c.say(c.words.cancel, 'anna.lindqvist@fjordfika.se');
    const during = await c.say(REQUESTS[language].reactivate);
    expect(during[0]).toBe(t('verify:requestNoted'));
    expect(during.at(-1)).toMatch(language === 'sv' ? /telefonnummer/ : /phone number/);
    expect(during.join('\n')).not.toMatch(VERIFY_INTRO);
    const verified = await c.say('070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', c.words.yes);
    // Anna's subscription is active: the reactivation she asked for last finds nothing to reactivate (not the cancel flow).
    expect(verified.join('\n')).toMatch(language === 'sv' ? /inget att återaktivera/ : /nothing to reactivate/);
    await c.close();
  });

  if (language === 'sv') {
    it("the help page's own words start a fast revoke, never a switch to English", async () => {
      const c = await startConversation({ language });
      for (const text of ['Jag vill snabbåterkalla', 'Jag vill göra en snabbåterkallelse']) {
        const said = await c.say(text);
        expect(said.join('\n')).not.toContain(i18n.getFixedT('en')('interruptions:languageSwitched'));
        expect(said.join('\n')).toMatch(VERIFY_INTRO);
        await c.say('avbryt');
      }
      await c.close();
    });
  }
});
