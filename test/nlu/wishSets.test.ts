import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCorpora } from '../../src/understanding/nlu';
import { BLIND_WISH_SET, DEV_WISH_SET, EXPECTED_BEHAVIOURS, MESSAGE_KINDS, readWishSet } from '../../src/understanding/wishSets';
import { normalisePhrase } from '../../src/understanding/phrases';
import { inCorpus } from '../../src/tools/behaviourEvaluation';

const ROOT = join(__dirname, '..', '..');

/**
 * The first-message sets of issue 13: the blind set (written without sight of the corpus, frozen) and the development
 * set. What they must be for their figures to mean anything.
 */
describe('first-message sets', () => {
  const blind = readWishSet(ROOT, BLIND_WISH_SET);
  const dev = readWishSet(ROOT, DEV_WISH_SET);

  it('are there, in both languages, blind ≥ 200 messages each, with every behaviour and kind', () => {
    expect(blind && dev).toBeTruthy();
    for (const language of ['sv', 'en'] as const) {
      expect(blind?.[language].length).toBeGreaterThanOrEqual(200);
      expect(new Set(blind?.[language].map((item) => item.expect))).toEqual(new Set(EXPECTED_BEHAVIOURS));
      expect(new Set(blind?.[language].map((item) => item.kind))).toEqual(new Set(MESSAGE_KINDS));
    }
  });

  it('do not share a message: tuning on the development set never touches the blind one', () => {
    for (const language of ['sv', 'en'] as const) {
      const blindTexts = new Set(blind?.[language].map((item) => normalisePhrase(item.text)));
      expect(dev?.[language].filter((item) => blindTexts.has(normalisePhrase(item.text))).map((item) => item.text)).toEqual([]);
    }
  });

  /**
   * Set phrases every writer writes ("hej", "help") were in the corpus before the blind set was: those are left out of
   * its figure. This list is frozen: a corpus that took in another blind message would quietly drop a hard one.
   */
  it('leave out only the blind messages the corpus already had word for word', () => {
    const corpora = readCorpora();
    const overlap = (language: 'sv' | 'en') => blind?.[language].filter((item) => inCorpus(corpora, language, item.text)).map((item) => item.text);
    expect(overlap('sv')).toEqual(['snabbåterkallelse tack', 'Hur funkar uppsägning hos er?', 'Vad behöver jag veta innan jag säger upp?', 'Berätta ett skämt', 'Hej', 'Hallå!', 'God morgon', 'Hejsan 👋', 'tjena', 'Goddag', 'Tack för hjälpen!', 'toppen tack 👍', 'Vad kan du hjälpa till med?', 'hjälp', 'Börja om', 'Kan vi ta det från början?', 'Kan vi ta det på engelska?', 'English please']);
    expect(overlap('en')).toEqual(['Fast revoke please', 'How does cancellation work?', 'I forgot my password.', 'Tell me a joke', 'speak to someone', 'Hello', 'hi there', 'Good morning!', 'hey', 'Hiya 👋', 'bye 👋', 'What can you do?', 'help', 'start over']);
  });
});
