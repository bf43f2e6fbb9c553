import { describe, expect, it } from 'vitest';
import { loadIntentRecognizer, readCorpora, type IntentRecognizer, type NluIntent } from '../../src/understanding/nlu';
import { BEHAVIOUR_TARGET, BLIND_WISH_SET, DEV_WISH_SET, KIND_TARGET, STUDIED_WISH_SETS, readWishSet } from '../../src/understanding/wishSets';
import { evaluateBehaviour, evaluationRuntime } from '../../src/tools/behaviourEvaluation';
import { policyNumbers } from '../../dialogs/replies';
import { policy } from '../support/bot';
import { startConversation } from '../support/conversation';
import { join } from 'node:path';

/**
 * Issue 13, safety before accuracy: a topic next to ours gets its own answer and never an account flow; a clause that
 * says what NOT to do, and a question ABOUT an action, never start one; a wish read with little confidence is asked
 * about first. Both languages, through the whole bot.
 */
describe.each(['sv', 'en'] as const)('understanding, safely (%s)', (language) => {
  const say = {
    sv: { seats: 'Kan vi köpa fler licenser?', difference: 'Vad är skillnaden mellan uppsägning och snabb återkallelse?', notCancel: 'Inte säga upp, vi vill tvärtom ha fler licenser', about: 'Ligger datan kvar en tid efter uppsägningen?' },
    en: { seats: 'We need more seats', difference: "What's the difference between cancelling and a fast revoke?", notCancel: "Not cancelling — we actually want more licences", about: 'Once cancelled, do the staff lose access to Teams immediately?' },
  }[language];

  it('more licences: its own answer, the menu again, no verification', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const said = (await c.say(say.seats)).join('\n');
      expect(said).toContain(t('outOfScope:answers.addLicences'));
      expect(said).not.toContain(t('verify:ask.userId'));
    } finally {
      await c.close();
    }
  });

  it('a policy topic of its own: the difference between cancelling and fast revoke', async () => {
    const c = await startConversation({ language });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      expect((await c.say(say.difference)).join('\n')).toContain(t('policy:answers.differenceQuestion', policyNumbers(policy)));
    } finally {
      await c.close();
    }
  });

  it('"not cancel, but …" and a question about cancelling never start a flow', async () => {
    for (const text of [say.notCancel, say.about]) {
      const c = await startConversation({ language });
      const t = c.runtime.i18n.getFixedT(language);
      try {
        const said = (await c.say(text)).join('\n');
        expect(said, text).not.toContain(t('verify:ask.userId'));
        expect(said, text).not.toContain(t('verify:left.6'));
      } finally {
        await c.close();
      }
    }
  });

  it('a wish read with little confidence is asked about first: yes starts it, no starts nothing', async () => {
    // A recogniser that reads "hmm, kanske stoppa den?" / "hmm, maybe stop it?" as a cancellation, but only half sure.
    const real = await loadIntentRecognizer();
    const unsure: IntentRecognizer = {
      clearLanguage: (text) => real.clearLanguage(text),
      recognize: async (text, lang) => (text.startsWith('hmm') ? { ...(await real.recognize('x', lang)), intent: 'cancel' as NluIntent, score: 0.6, negated: false } : real.recognize(text, lang)),
    };
    for (const answer of ['yes', 'no'] as const) {
      const c = await startConversation({ language, overrides: { recognizer: unsure } });
      const t = c.runtime.i18n.getFixedT(language);
      try {
        expect((await c.say(language === 'sv' ? 'hmm, kanske stoppa den?' : 'hmm, maybe stop it?')).at(-1)).toBe(t('main:confirmWish.cancel'));
        const next = (await c.say(c.words[answer])).join('\n');
        if (answer === 'yes') expect(next).toContain(t('verify:ask.userId'));
        else expect(next).toContain(t('main:whatInstead'));
        if (answer === 'no') expect(next).not.toContain(t('verify:ask.userId'));
      } finally {
        await c.close();
      }
    }
  });
});

describe.each(['sv', 'en'] as const)('a wish to cancel what is already cancelled (%s)', (language) => {
  it('is offered the reactivation the policy allows: yes goes straight into it, no leaves it as it is', async () => {
    for (const answer of ['yes', 'no'] as const) {
      const c = await startConversation({ language });
      const t = c.runtime.i18n.getFixedT(language);
      try {
        const said = await c.verifyFor('cancel', 'lena');
        expect(said.at(-1)).toBe(t('cancel:offerReactivate'));
        const next = (await c.say(c.words[answer])).join('\n');
        if (answer === 'no') {
          expect(next).toContain(t('cancel:notReactivated'));
          continue;
        }
        // The reactivation flow's own summary and confirmation: nothing is done before the caller says yes to it.
        expect(next).not.toContain(t('cancel:notReactivated'));
        const done = (await c.say(c.words.yes)).join('\n');
        expect(done).toMatch(/CX-/);
        const cases = c.db().prepare("SELECT action, status FROM cases WHERE kind = 'action'").all();
        expect(cases).toEqual([{ action: 'reactivate', status: 'done' }]);
      } finally {
        await c.close();
      }
    }
  });
});

describe('the first-message sets through the whole bot', () => {
  const root = join(__dirname, '..', '..');

  it('no message of the development or studied sets that is no request starts a cancellation, fast revoke or reactivation', async () => {
    const runtime = await evaluationRuntime();
    try {
      for (const set of [DEV_WISH_SET, ...STUDIED_WISH_SETS]) {
        // Every message, those the corpus took in too (the studied sets are training data now): none may start a flow.
        const scores = await evaluateBehaviour(runtime, readWishSet(root, set) as never);
        for (const score of scores) expect(score.unsafe, `${set} ${score.language}`).toEqual([]);
      }
    } finally {
      await runtime.close();
    }
  }, 120_000);

  // Issue 13's targets on the blind sets in force (`wishes9` + `wishes10`, frozen, never studied; `npm run eval:nlu`
  // prints the figures): ≥ 95% per language, every kind of message ≥ 85%, and no message that asks for no action
  // starts one.
  it('the blind sets: 95% per language, every kind ≥ 85%, no unsafe start', async () => {
    const runtime = await evaluationRuntime();
    try {
      for (const score of await evaluateBehaviour(runtime, readWishSet(root, BLIND_WISH_SET) as never, readCorpora())) {
        expect(score.unsafe, score.language).toEqual([]);
        expect(score.accuracy, score.language).toBeGreaterThanOrEqual(BEHAVIOUR_TARGET);
        for (const [kind, { correct, total }] of Object.entries(score.byKind)) expect(correct / total, `${score.language} ${kind}`).toBeGreaterThanOrEqual(KIND_TARGET);
      }
    } finally {
      await runtime.close();
    }
  }, 120_000);
});
