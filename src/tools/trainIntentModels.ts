import { mkdirSync, writeFileSync } from 'node:fs';
import { LANGUAGES } from '../i18n';
import { examplesDigest, intentExamples, modelFile, readCorpora, SHIPPED_MODELS } from '../understanding/nlu';
import { serialiseModel, trainLinearModel } from '../understanding/linearClassifier';

/**
 * Part of `npm run build` (issue 14, cold start): trains the intent classifier of each language on the shipped corpus
 * and writes it to dist/models, so a start-up reads it instead of training. Each file carries the digest of what it
 * was trained on; a corpus changed since the build is trained at start-up as before.
 */
function main(): void {
  const corpora = readCorpora();
  mkdirSync(SHIPPED_MODELS, { recursive: true });
  for (const language of LANGUAGES) {
    const examples = intentExamples(corpora[language]);
    const started = performance.now();
    const model = trainLinearModel(examples);
    writeFileSync(modelFile(SHIPPED_MODELS, language), serialiseModel(model, { digest: examplesDigest(examples) }));
    console.log(`intent model (${language}): ${examples.length} utterances, ${model.features.length} features, trained in ${Math.round(performance.now() - started)} ms`);
  }
}

main();
