import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserialiseModel, linearClassifier, serialiseModel, trainLinearModel } from '../../src/understanding/linearClassifier';
import { LANGUAGES, LOCALES_DIR } from '../../src/i18n';
import { knownWordList } from '../../src/understanding/typos';
import { corpusDigest, corpusFile, examplesDigest, intentExamples, modelFile, prebuiltIntentRecognizer, readCorpora, shippedModel, trainIntentRecognizer } from '../../src/understanding/nlu';

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

  describe('read without the corpus (the build keeps the vocabulary and a digest of the corpus file with each model)', () => {
    const corpusText = (language: 'sv' | 'en') => readFileSync(corpusFile(LOCALES_DIR, language), 'utf8');
    const withModels = (write: (dir: string) => void, check: (dir: string) => Promise<void> | void) => async () => {
      const dir = mkdtempSync(join(tmpdir(), 'intent-models-'));
      try {
        write(dir);
        await check(dir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const writeShipped = (dir: string) => {
      for (const language of LANGUAGES) writeFileSync(modelFile(dir, language), shippedModel(corpora[language], corpusText(language)).bytes);
    };

    it(
      'reads every message exactly as a recogniser trained on the parsed corpora, typos and the language included',
      withModels(writeShipped, async (dir) => {
        const prebuilt = prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4 });
        expect(prebuilt).toBeDefined();
        const trained = await trainIntentRecognizer(corpora, { threshold: 0.4 });
        const said: Array<[string, 'sv' | 'en']> = [
          ['vi vill säga upp vårt abonemang', 'sv'],
          ['kan vi få tillbaka tjänsten?', 'sv'],
          ['hur länge sparas datan', 'sv'],
          ['we want to cancle our subscripton', 'en'],
          ['please reactivate the subscription', 'en'],
          ['asdf', 'en'],
        ];
        for (const [text, language] of said) expect(await prebuilt!.recognize(text, language)).toEqual(await trained.recognize(text, language));
        for (const [text] of said) expect(prebuilt!.clearLanguage(text)).toBe(trained.clearLanguage(text));
      }),
    );

    it(
      'is what is used when its digest matches the corpus file: a model that greets everything, labelled so, greets',
      withModels(
        (dir) => {
          writeShipped(dir);
          const everythingGreets = { ...model, weights: new Float32Array(model.weights.length), bias: Float32Array.from(model.labels, (label) => (label === 'greeting' ? 10 : 0)) };
          writeFileSync(modelFile(dir, 'sv'), serialiseModel(everythingGreets, { corpusDigest: corpusDigest(corpusText('sv')), knownWords: knownWordList(Object.values(corpora.sv).flat()) }));
        },
        async (dir) => expect((await prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4 })!.recognize('vi vill säga upp vårt abonnemang', 'sv')).intent).toBe('greeting'),
      ),
    );

    it(
      'is not used when a corpus file changed since the build, a model file is damaged or lacks its vocabulary: the corpora are read and trained',
      withModels(writeShipped, (dir) => {
        expect(prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4 })).toBeDefined();
        // The English corpus with one more utterance than the build saw.
        const locales = join(dir, 'locales');
        for (const language of LANGUAGES) mkdirSync(join(locales, language, 'nlu'), { recursive: true });
        const changed = { ...corpora.en, greeting: [...corpora.en.greeting, 'good day to you'] };
        writeFileSync(corpusFile(locales, 'sv'), corpusText('sv'));
        writeFileSync(corpusFile(locales, 'en'), JSON.stringify(changed));
        expect(prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4, localesDir: locales })).toBeUndefined();
        writeFileSync(corpusFile(locales, 'en'), corpusText('en'));
        expect(prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4, localesDir: locales })).toBeDefined();
        // A model file cut short (a disk that filled up during the build): not read, and nothing thrown.
        writeFileSync(modelFile(dir, 'en'), readFileSync(modelFile(dir, 'en')).subarray(0, 1000));
        expect(prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4, localesDir: locales })).toBeUndefined();
        // A model of an earlier build: the examples' digest only, no vocabulary.
        writeFileSync(modelFile(dir, 'en'), serialiseModel(model, { digest: examplesDigest(intentExamples(corpora.en)), corpusDigest: corpusDigest(corpusText('en')) }));
        expect(prebuiltIntentRecognizer({ modelDir: dir, threshold: 0.4, localesDir: locales })).toBeUndefined();
      }),
    );
  });

  it('a damaged model file is trained over at start-up, not a start that fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'intent-model-'));
    try {
      writeFileSync(modelFile(dir, 'sv'), Buffer.from('not a model'));
      const recognizer = await trainIntentRecognizer(corpora, { threshold: 0.4, modelDir: dir });
      expect((await recognizer.recognize('vi vill säga upp vårt abonnemang', 'sv')).intent).toBe('cancel');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
