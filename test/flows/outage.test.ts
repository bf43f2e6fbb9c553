import { describe, expect, it } from 'vitest';
import { startConversation } from '../support/conversation';
import { flakyStore } from '../support/flakyStore';
import { DEMO_CALLERS } from '../support/demoCallers';


describe.each(['sv', 'en'] as const)('the state store fails in the middle of a conversation (%s)', (language) => {
  it('the caller reads only the apology, not the next question; once it is back, the same question goes on', async () => {
    const { store, control } = flakyStore();
    const c = await startConversation({ language, overrides: { store } });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      expect((await c.say(c.words.cancel)).at(-1)).toBe(t('verify:ask.userId'));
      control.down = true;
      expect(await c.say(DEMO_CALLERS.anna.userId)).toEqual([t('errors:turn')]);
      control.down = false;
      // Nothing was kept, so the user ID is asked for again: the answer is given again and the questions go on.
      expect((await c.say(DEMO_CALLERS.anna.userId)).at(-1)).toBe(t('verify:ask.phone'));
    } finally {
      await c.close();
    }
  });

  it('when the save fails after the action was done, the caller reads the receipt, never "nothing has been changed"', async () => {
    const { store, control } = flakyStore();
    const c = await startConversation({ language, overrides: { store } });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm);
      control.down = true;
      const said = (await c.say(c.words.yes)).join('\n');
      control.down = false;
      expect(said).toMatch(/CX-/);
      expect(said).not.toContain(t('errors:turn'));
      // The place was not kept: the same "yes" again finds the same case, and changes nothing twice.
      const again = (await c.say(c.words.yes)).join('\n');
      expect(again).toContain((said.match(/CX-[A-Z0-9]{4}-[0-9]{2}/) as RegExpMatchArray)[0]);
      expect(c.db().prepare("SELECT COUNT(*) AS n FROM subscription_changes").get()).toEqual({ n: 1 });
    } finally {
      await c.close();
    }
  });
});
