import { describe, expect, it } from 'vitest';
import { startConversation } from '../support/conversation';

describe.each(['sv', 'en'] as const)('input bounds in %s', (language) => {
  it('a message over the limit is not read: the caller is told, and answers the same question next', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const asked = await c.say(c.words.cancel);
      expect(asked.at(-1)).toBe(t('verify:ask.userId'));
      expect(await c.say('x'.repeat(250_000))).toEqual([t('errors:tooLong', { max: 2000 })]);
      expect((await c.say('anna.lindqvist@fjordfika.se')).at(-1)).toBe(t('verify:ask.phone'));
    } finally {
      await c.close();
    }
  });

  it('one word as long as the limit allows is answered at once, at the menu and at a question (no quadratic matching)', async () => {
    const c = await startConversation({ language });
    try {
      await c.say(language === 'sv' ? 'hej' : 'hello');
      const word = 'å'.repeat(2000);
      // A hang guard, not a benchmark: quadratic matching took seconds on words this long.
      const started = performance.now();
      const said = [...(await c.say(word)), ...(await c.say(c.words.cancel)), ...(await c.say(word))];
      expect(performance.now() - started).toBeLessThan(2000);
      expect(said.length).toBeGreaterThan(2);
      expect(said.join('\n')).not.toContain(c.runtime.i18n.getFixedT(language)('errors:turn'));
    } finally {
      await c.close();
    }
  });
});
