import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCorpora } from '../../src/understanding/nlu';
import { BLIND_WISH_SET, CONVERSATION_BEHAVIOURS, DEV_WISH_SET, EXPECTED_BEHAVIOURS, STUDIED_WISH_SETS, MESSAGE_KINDS, readWishSet } from '../../src/understanding/wishSets';
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
  const studied = STUDIED_WISH_SETS.map((set) => readWishSet(ROOT, set));

  it('are there, in both languages, blind ≥ 200 messages each, with every behaviour and kind', () => {
    expect(blind && dev && studied.every(Boolean)).toBeTruthy();
    for (const language of ['sv', 'en'] as const) {
      expect(blind?.[language].length).toBeGreaterThanOrEqual(200);
      // Every behaviour but the bare conversational ones: a writer's "hi" is already in another set and leaves this one.
      const behaviours = new Set(blind?.[language].map((item) => item.expect));
      expect(EXPECTED_BEHAVIOURS.filter((behaviour) => !behaviours.has(behaviour) && !(CONVERSATION_BEHAVIOURS as readonly string[]).includes(behaviour))).toEqual([]);
      expect(new Set(blind?.[language].map((item) => item.kind))).toEqual(new Set(MESSAGE_KINDS));
    }
  });

  it('do not share a message: tuning on the development and studied sets never touches the blind one', () => {
    for (const language of ['sv', 'en'] as const) {
      const blindTexts = new Set(blind?.[language].map((item) => normalisePhrase(item.text)));
      for (const tuning of [dev, ...studied]) expect(tuning?.[language].filter((item) => blindTexts.has(normalisePhrase(item.text))).map((item) => item.text)).toEqual([]);
    }
  });

  /**
   * Set phrases every writer writes ("hej", "help") were in the corpus before the blind set was: those are left out of
   * its figure. This list is frozen: a corpus that took in another blind message would quietly drop a hard one.
   */
  it('leave out only the blind messages the corpus already had word for word', () => {
    const corpora = readCorpora();
    const overlap = (language: 'sv' | 'en') => blind?.[language].filter((item) => inCorpus(corpora, language, item.text)).map((item) => item.text);
    // wishes7 was merged without the messages the corpus already had: none is left out, and none may become so.
    expect(overlap('sv')).toEqual([]);
    expect(overlap('en')).toEqual([]);
  });
});
