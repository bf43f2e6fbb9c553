import { describe, expect, it } from 'vitest';
import type { InsightEvent } from '../../src/insights/events';
import { startConversation } from '../support/conversation';
import { flakyStore } from '../support/flakyStore';
import { DEMO_CALLERS } from '../support/demoCallers';

/**
 * What a real conversation notes for the insights page, through the whole bot (TestAdapter, a real SQLite file): each
 * step once, in order, under one anonymous conversation key; a turn that is not kept (the apology) notes nothing, so
 * the message said again is not counted twice; a change found already made (a "yes" again) is no second action.
 */
const EVERYTHING = { from: new Date('2000-01-01T00:00:00Z'), to: new Date('2100-01-01T00:00:00Z') };


const steps = (events: InsightEvent[]) =>
  events.map((event) => (event.kind === 'verification-question' ? `question:${event.question}` : event.kind === 'verification' ? `verdict:${event.outcome}` : event.kind === 'action' ? `action:${event.action}` : event.kind));

describe('insights noted by a conversation', () => {
  it('an end-of-term cancellation: each step once, in order, one conversation key, the conversation\'s language', async () => {
    const c = await startConversation({ language: 'en' });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm, c.words.yes);
      const events = await c.runtime.insights.log.read(EVERYTHING);
      expect(steps(events)).toEqual([
        'conversation-started',
        'question:userId',
        'question:phone',
        'question:contactName',
        'question:organisationName',
        'question:postalAddress',
        'question:admin',
        'verdict:verified',
        'action:turn-off-auto-renew',
        'receipt',
      ]);
      expect(new Set(events.map((e) => e.conversation)).size).toBe(1);
      expect(events.every((e) => e.language === 'en' && e.channel === 'test')).toBe(true);
      expect(events.at(-1)).toMatchObject({ kind: 'receipt', of: 'action', messages: 9 });
    } finally {
      await c.close();
    }
  });

  it('a turn that is not kept notes nothing: the answer said again is counted once', async () => {
    const { store, control } = flakyStore();
    const c = await startConversation({ language: 'sv', overrides: { store } });
    try {
      await c.say(c.words.cancel);
      control.down = true;
      await c.say(DEMO_CALLERS.anna.userId);
      control.down = false;
      await c.say(DEMO_CALLERS.anna.userId);
      expect(steps(await c.runtime.insights.log.read(EVERYTHING))).toEqual(['conversation-started', 'question:userId', 'question:phone']);
    } finally {
      await c.close();
    }
  });

  it('a change made in a turn whose state was not saved is noted (its receipt was said), and the "yes" again is no second one', async () => {
    const { store, control } = flakyStore();
    const c = await startConversation({ language: 'sv', overrides: { store } });
    try {
      await c.verifyFor('cancel', 'anna');
      await c.say(c.words.endOfTerm);
      control.down = true;
      expect((await c.say(c.words.yes)).join('\n')).toMatch(/CX-/);
      control.down = false;
      expect((await c.say(c.words.yes)).join('\n')).toMatch(/CX-/);
      const events = await c.runtime.insights.log.read(EVERYTHING);
      expect(events.filter((e) => e.kind === 'action')).toHaveLength(1);
      expect(events.filter((e) => e.kind === 'receipt')).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it('a refusal is noted with its reason and rules; asking for a person is a hand-off with a receipt', async () => {
    const c = await startConversation({ language: 'sv' });
    try {
      await c.verifyFor('cancel', 'sara');
      await c.say('Jag vill prata med en person');
      const events = await c.runtime.insights.log.read(EVERYTHING);
      expect(events.filter((e) => e.kind === 'refusal')).toMatchObject([{ reason: 'not-admin', rules: ['ID-2', 'AS-3'] }]);
      expect(events.filter((e) => e.kind === 'handoff')).toMatchObject([{ reason: 'caller-asked' }]);
      expect(events.filter((e) => e.kind === 'receipt')).toMatchObject([{ of: 'handoff', messages: 8 }]);
    } finally {
      await c.close();
    }
  });
});
