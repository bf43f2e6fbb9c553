import { describe, expect, it } from 'vitest';
import { startConversation } from '../support/conversation';
import { conversationState } from '../support/storedState';

/**
 * What a conversation keeps in the state every turn reads and writes (issue 14): keys and values, not rendered words,
 * not ids nobody reads. A whole cancellation run through, then the row the conversation left behind is read.
 */
describe.each(['sv', 'en'] as const)('the state a conversation keeps (%s)', (language) => {
  it('a finished cancellation keeps well under a kilobyte: the menu by name, no waterfall instance ids, no rendered words', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      const reasons = { sv: 'För dyrt', en: 'Too expensive' };
      const questions = { sv: 'Hur länge sparas datan?', en: 'How long is the data kept?' };
      await c.say(c.words.endOfTerm, c.words.yes, reasons[language], questions[language], c.words.no);
      expect(c.db().prepare("SELECT key FROM bot_state WHERE key LIKE '%/conversations/%'").all()).toHaveLength(1);
      const { key, json: doc, stored } = conversationState(c.db())!;
      const stack = JSON.parse(doc).dialogState.dialogStack[0].state.dialogs.dialogStack;
      expect(stack.at(-1).state.options.validations.question).toMatchObject({ named: 'menu', ask: { key: expect.stringMatching(/^main:/) } });
      expect(doc).not.toContain('instanceId');
      // The handled message ids: one string of short fingerprints, not a list of ids.
      expect(JSON.parse(doc).handledActivityIds).toMatch(/^[\w-]{60}$/);
      // Words the caller read are not kept: the menu's button titles, for one.
      expect(doc).not.toMatch(language === 'sv' ? /Säg upp prenumerationen/ : /Cancel subscription/);
      // Measured: 730 bytes, before sealing; shortened by the state dictionary and sealed, 392 are stored (580 deflated).
      expect(Buffer.byteLength(key) + Buffer.byteLength(doc)).toBeLessThan(780);
      expect(Buffer.byteLength(key) + Buffer.byteLength(stored)).toBeLessThan(440);
    } finally {
      await c.close();
    }
  });

  it('mid-flow, the questions with fixed options are kept by name, and no component keeps a version hash', async () => {
    const c = await startConversation({ language });
    try {
      await c.verifyFor('cancel', 'anna');
      const doc = () => conversationState(c.db())!.json;
      const question = () => {
        let entries = JSON.parse(doc()).dialogState.dialogStack;
        // Down the stack of components to the prompt waiting on top.
        while (entries.at(-1).state.dialogs) entries = entries.at(-1).state.dialogs.dialogStack;
        return entries.at(-1).state.options.validations.question;
      };
      expect(question()).toMatchObject({ named: 'cancelHow', ask: { key: 'cancel:howToCancel' } });
      expect(doc()).not.toContain('"version"');
      // The options' titles are not kept: "Vid periodens slut" / "At the end of the term" is rendered when asked.
      expect(doc()).not.toContain('cancel:options.');
      // The subscription's facts are kept once, in the current request (the flow keeps its id), and its label not at all
      // outside the question that names it.
      expect(doc().match(/"termEnd"/g)).toHaveLength(1);
      expect(doc().match(/account:subscriptionLabel/g)).toHaveLength(1);
      // Measured: 1,685 bytes.
      expect(Buffer.byteLength(doc())).toBeLessThan(1_750);
      await c.say(c.words.endOfTerm, c.words.yes);
      expect(question()).toMatchObject({ named: 'feedbackReason', ask: { key: 'feedback:ask' } });
      expect(doc()).not.toContain('"version"');
      // The cancellation is done: the request is over, and nothing of the subscription is kept any more.
      expect(JSON.parse(doc()).currentRequest).toBeUndefined();
      expect(doc()).not.toContain('"termEnd"');
      // Measured: 1,009 bytes.
      expect(Buffer.byteLength(doc())).toBeLessThan(1_050);
    } finally {
      await c.close();
    }
  });
});
