import { TestAdapter, type Activity } from 'botbuilder';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTurnErrorHandler } from '../../src/bot/turnError';
import type { Language } from '../../src/i18n';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy';
import { LOCALES } from '../support/bot';
import { startConversation, WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

/** Text a hostile or careless caller might send: any Unicode, control and direction marks, emoji, markup, SQL, huge runs. */
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', ' ', '\u200f\u202eabc', '🙂🙂🙂', '<script>alert(1)</script>', "'; DROP TABLE cases; --", '{{t}}', '%s%s%n', '\u0000\u0007', '9'.repeat(400), 'ja'.repeat(300)),
  fc.string({ unit: fc.constantFrom('a', 'å', ' ', '-', '1', '@', '.'), maxLength: 3000 }),
);

/** Where the caller is when the hostile text arrives: the steps that lead there. */
const PLACES: Record<string, (language: Language) => string[]> = {
  menu: () => [],
  'a verification question': (language) => [WORDS[language].cancel, DEMO_CALLERS.anna.userId],
  'the admin question': (language) => [WORDS[language].cancel, ...answersOf(DEMO_CALLERS.anna)],
  'how to cancel': (language) => [WORDS[language].cancel, ...answersOf(DEMO_CALLERS.anna), WORDS[language].yes],
  'the fee question': (language) => [WORDS[language].cancel, ...answersOf(DEMO_CALLERS.anna), WORDS[language].yes, WORDS[language].now],
  'the code question': (language) => [WORDS[language].fastRevoke, ...answersOf(DEMO_CALLERS.olof), WORDS[language].yes, WORDS[language].yes],
};

describe.each(['sv', 'en'] as const)('hostile input at every kind of question (%s)', (language) => {
  let conversations = 0;

  it.each(Object.keys(PLACES))('at %s: never an error, always an answer, and the caller can carry on', async (place) => {
    // One bot per place; the account limits on codes are raised so every run reaches the code question.
    const c = await startConversation({ language, config: { policy: { ...DEFAULT_POLICY_CONFIG, maxOneTimeCodesPerWindow: 1000, maxWrongCodesPerWindow: 1000 } } });
    const apology = c.runtime.i18n.getFixedT(language)('errors:turn');
    await fc.assert(
      fc.asyncProperty(fc.array(hostileText, { minLength: 1, maxLength: 3 }), async (messages) => {
        // A conversation of its own for every run, on the same bot.
        const adapter = new TestAdapter((context) => c.runtime.bot.run(context), { channelId: 'test', conversation: { id: `hostile-${++conversations}` } } as never);
        const errors: Error[] = [];
        const onError = createTurnErrorHandler(c.runtime, 'sv');
        adapter.onTurnError = async (context, error) => {
          errors.push(error);
          await onError(context, error);
        };
        const send = async (text: string) => {
          await adapter.processActivity({ type: 'message', text, locale: LOCALES[language] } as Activity);
          return adapter.activeQueue.splice(0);
        };
        for (const step of PLACES[place](language)) await send(step);
        for (const text of messages) {
          const replies = await send(text);
          expect(replies.length, JSON.stringify(text).slice(0, 80)).toBeGreaterThan(0);
          expect(replies.map((r) => r.text ?? '')).not.toContain(apology);
        }
        expect(errors).toEqual([]);
        // Still listening: help is answered wherever the caller ended up.
        expect((await send(language === 'sv' ? 'hjälp' : 'help')).length).toBeGreaterThan(0);
      }),
      { numRuns: 12, seed: 20261201 },
    ).finally(() => c.close());
  });
});
