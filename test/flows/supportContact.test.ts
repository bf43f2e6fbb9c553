import { describe, expect, it } from 'vitest';
import type { Language } from '../../src/i18n';
import { startConversation } from '../support/conversation';

const CONTACTS = { sv: '08-123 45 67 (mån–fre 8–17)', en: '+46 8 123 45 67 (Mon–Fri 8–17 CET)' };

type Scenario = (c: Awaited<ReturnType<typeof startConversation>>, language: Language) => Promise<string[]>;

/** Every path that sends a caller to support says how to reach it (AS-2): number and hours when configured. */
const SCENARIOS: Array<[string, Scenario]> = [
  ['a fast-revoked subscription cannot be reactivated', (c) => c.verifyFor('reactivate', 'karin')],
  ['data deleted: cannot be reactivated', (c) => c.verifyFor('reactivate', 'peter')],
  ['a question outside what the assistant does', (c, language) => c.say(language === 'sv' ? 'hej' : 'hello', language === 'sv' ? 'vad kostar en pizza' : 'how do I change my e-mail')],
  ['an unverified caller asks for a person', (c, language) => c.say(language === 'sv' ? 'hej' : 'hello', language === 'sv' ? 'jag vill prata med en människa' : 'I want to talk to a person')],
  ['verification given up after three answers of the wrong form', (c) => c.say(c.words.cancel, 'x', 'x', 'x', 'x')],
  [
    'the code did not match, so the fast revoke stopped',
    async (c) => [...(await c.verifyFor('fastRevoke', 'olof')), ...(await c.say(c.words.yes, '000000', '000001', '000002', '000003'))],
  ],
  ['the "why?" after a refusal', async (c, language) => [...(await c.verifyFor('cancel', 'james')), ...(await c.say(language === 'sv' ? 'varför?' : 'why?'))]],
];

describe.each(['sv', 'en'] as const)('the way to support is always named, in %s', (language) => {
  it.each(SCENARIOS)('%s', async (_name, scenario) => {
    const c = await startConversation({ language, config: { supportContact: CONTACTS } });
    try {
      const said = (await scenario(c, language)).join('\n');
      // In the caller's language, in that language's words.
      expect(said).toContain(c.runtime.i18n.getFixedT(language)('common:supportContact', { contact: CONTACTS[language] }));
      expect(said).not.toContain(CONTACTS[language === 'sv' ? 'en' : 'sv']);
    } finally {
      await c.close();
    }
  });

  it('without SUPPORT_CONTACT it says where the number and hours are', async () => {
    const c = await startConversation({ language });
    try {
      const said = (await c.verifyFor('reactivate', 'karin')).join('\n');
      expect(said).toContain(c.runtime.i18n.getFixedT(language)('common:supportContactUnset'));
    } finally {
      await c.close();
    }
  });
});
