import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCorpora } from '../../src/understanding/nlu';
import { BLIND_WISH_SET, DEV_WISH_SET, EXPECTED_BEHAVIOURS, STUDIED_WISH_SETS, MESSAGE_KINDS, readWishSet } from '../../src/understanding/wishSets';
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
      expect(new Set(blind?.[language].map((item) => item.expect))).toEqual(new Set(EXPECTED_BEHAVIOURS));
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
    expect(overlap('sv')).toEqual(['Vi vill återaktivera vårt abonnemang.', 'Vad händer när gratisperioden tar slut?', 'Vad är skillnaden mellan uppsägning och snabb återkallelse?', 'Vilka regler gäller för återaktivering?', 'Var hittar jag våra fakturor?', 'Vad kan jag fråga dig om?', 'Kan vi börja om från början?', 'Jag vill göra en snabb återkallelse av vår prenumeration.', 'Hur återställer jag lösenordet för en anställd?']);
    expect(overlap('en')).toEqual(['hey there 👋', 'how does this work?', "What's the difference between cancelling and a fast revoke?"]);
  });
});
