import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { LANGUAGES, LOCALES_DIR } from '../i18n';
import { corpusFile, modelFile, readCorpora, shippedModel, SHIPPED_MODELS } from '../understanding/nlu';

/**
 * Part of `npm run build` (issue 14, cold start): trains the intent classifier of each language on the shipped corpus
 * and writes it to dist/models, so a start-up reads it instead of training — with the corpus's vocabulary (the folded
 * words typos are corrected to), so a start-up need not parse the corpus either. Each file carries the digests of what
 * it was made from (the examples; the corpus file with the code that reads it); a corpus changed since the build is
 * read and trained at start-up as before.
 */
function main(): void {
  const corpora = readCorpora();
  mkdirSync(SHIPPED_MODELS, { recursive: true });
  for (const language of LANGUAGES) {
    const started = performance.now();
    const { bytes, model, utterances } = shippedModel(corpora[language], readFileSync(corpusFile(LOCALES_DIR, language), 'utf8'));
    writeFileSync(modelFile(SHIPPED_MODELS, language), bytes);
    console.log(`intent model (${language}): ${utterances} utterances, ${model.features.length} features, trained in ${Math.round(performance.now() - started)} ms`);
  }
}

main();
