import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserialiseModel, linearClassifier, serialiseModel, trainLinearModel } from '../../src/understanding/linearClassifier';
import { examplesDigest, intentExamples, modelFile, readCorpora, trainIntentRecognizer } from '../../src/understanding/nlu';

/** Issue 14, cold start: the build trains the classifier once; a start-up reads it and reads messages exactly as if it had trained. */
describe('a prebuilt intent model', () => {
  const corpora = readCorpora();
  const examples = intentExamples(corpora.sv);
  const model = trainLinearModel(examples);
  const messages = ['vi vill säga upp vårt abonnemang', 'kan vi få tillbaka tjänsten?', 'radera allt direkt', 'hur länge sparas datan', 'asdf'];

  it('reads back to the same classifier, to the last digit', () => {
    const { model: read, about } = deserialiseModel(serialiseModel(model, { digest: 'x' }));
    expect(about).toEqual({ digest: 'x' });
    const [trained, loaded] = [linearClassifier(model), linearClassifier(read)];
    for (const text of messages) expect(loaded.classify(text)).toEqual(trained.classify(text));
  });

  it('is used only when it was trained on exactly these examples; otherwise the language is trained at start-up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intent-model-'));
    try {
      // A model that says "greeting" to everything, labelled as trained on the shipped corpus: it is used.
      const everythingGreets = { ...model, weights: new Float32Array(model.weights.length), bias: Float32Array.from(model.labels, (label) => (label === 'greeting' ? 10 : 0)) };
      writeFileSync(modelFile(dir, 'sv'), serialiseModel(everythingGreets, { digest: examplesDigest(examples) }));
      const used = await trainIntentRecognizer(corpora, { threshold: 0.4, modelDir: dir });
      expect((await used.recognize('vi vill säga upp vårt abonnemang', 'sv')).intent).toBe('greeting');
      // The same file, labelled as trained on other examples: not used, the corpus is trained here.
      writeFileSync(modelFile(dir, 'sv'), serialiseModel(everythingGreets, { digest: examplesDigest(examples.slice(1)) }));
      const trained = await trainIntentRecognizer(corpora, { threshold: 0.4, modelDir: dir });
      expect((await trained.recognize('vi vill säga upp vårt abonnemang', 'sv')).intent).toBe('cancel');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
