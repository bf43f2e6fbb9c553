import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { z } from 'zod';
import { LANGUAGES, LOCALES_DIR, type Language } from '../i18n';
import { withBoundedWords } from './phrases';
import { buildKnownWords, casedWords, foldWord, knownWordList, knownWordsOf, words, type KnownWords } from './typos';
import type { PartialAnswers } from '../verification/answers';
import { extractDetails } from './details';
import { withoutNegatedActions } from './negation';
import { namesAnotherCompanysSubscription } from './notOurs';
import { nearbyChangeAskedFor } from './nearbyChange';
import { isAccountWish } from './actionWords';
import { asksForAFact, asksForTheAction } from './questionForm';
import { isQuestionTopic } from './interruptions';
import { deserialiseModel, linearClassifier, serialiseModel, trainLinearClassifier, trainLinearModel, type Classification, type LinearClassifier, type LinearModel } from './linearClassifier';

export const NLU_INTENTS = [
  'cancel', 'fastRevoke', 'reactivate',
  'refundQuestion', 'trialQuestion', 'dataRetentionQuestion', 'termLengthQuestion',
  'noticePeriodQuestion', 'differenceQuestion', 'consequencesQuestion', 'reactivationQuestion', 'general',
  'person', 'help', 'startOver', 'switchLanguage', 'greeting', 'thanksGoodbye',
  'addLicences', 'changePlan', 'invoice', 'password', 'billingAddress', 'technicalProblem', 'outOfScope',
] as const;
export type NluIntent = (typeof NLU_INTENTS)[number];

/** Intents a message that carries two or more verification details is never read as, unless its words say so outright. */
export const NOT_WITH_DETAILS = ['person', 'switchLanguage', 'outOfScope'] as const satisfies readonly NluIntent[];
const SAID_OUTRIGHT: Partial<Record<(typeof NOT_WITH_DETAILS)[number], RegExp>> = {
  person: /(?<![\p{L}])(?:person|människa|handläggare|(?:era|någon\s+av\s+era)\s+medarbetare|someone|somebody|human|real person|agent|operator|(?:one\s+of\s+)?your\s+(?:colleagues?|staff|people)|kundtjänst|customer service|support\w*|någon\s+(?:hos|från|på)\s+(?:er|supporten|kundtjänst)|någon\s+(?:som\s+)?(?:kan\s+)?ring\w*|ring(?:a|er)?\s+(?:upp\s+)?mig|call\s+me(?:\s+back)?|(?:arrange|request)\s+a\s+call\s*-?\s*back|phone\s+me)(?![\p{L}])/iu,
  // A request ("kan vi ta det på engelska?", "English please"), not a statement ("vi skriver på svenska").
  switchLanguage: /(?<![\p{L}])(?:(?:kan vi|can we|could we|byt|byta|switch|change|continue|fortsätt|please|snälla)[^.!?\n]{0,30}(?:svenska|engelska|english|swedish)|(?:english|engelska|svenska|swedish)\s+(?:please|tack|istället|instead))(?![\p{L}])/iu,
};

const CALL_BACK = /(?<![\p{L}])(?:(?:call|ring|phone)\s+(?:me|us)\s+back|call\s*-?\s*back|ring\s+(?:mig|oss)\s+tillbaka)(?![\p{L}])/giu;

/** A person asked for in so many words: "REAL PERSON. NOW.", "kan jag få prata med en människa?". */
// Not when refused ("I do not want to talk to someone, just …") nor in "a human error".
const ASKS_FOR_A_PERSON = /(?<!(?:not|n't|dont|inte|ej|no|never|aldrig|without|utan)\s+(?:[\p{L}']+\s+){0,3})(?<![\p{L}])(?!(?:a|an)\s+human\s+(?:error|mistake))(?:real\s+(?:person|human|people)|(?:a|an)\s+human(?:\s+being)?|human\s+(?:agent|being)|riktig\s+(?:person|människa|handläggare)|en\s+människa|(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+person|someone|somebody|an?\s+agent)|prata\s+med\s+(?:en\s+(?:person|människa|handläggare)|någon))(?![\p{L}])/iu;

/** A message full of details may still ask for one of these outright ("Ring mig på 070-…, /Micke"): then it is that. */
export function asksOutrightFor(intent: string, text: string): boolean {
  return SAID_OUTRIGHT[intent as (typeof NOT_WITH_DETAILS)[number]]?.test(text) ?? false;
}

export const corpusSchema = z.object(Object.fromEntries(NLU_INTENTS.map((intent) => [intent, z.array(z.string().min(1)).min(5)])) as Record<NluIntent, z.ZodArray<z.ZodString>>);
export type Corpus = Record<NluIntent, string[]>;

export interface Recognition {
  intent: NluIntent | 'none';
  score: number;
  /** The text as the classifier saw it: contact details taken out, typos corrected. */
  understood: string;
  /** The verification details found in the message (see details.ts), for the verification to use. */
  entities: PartialAnswers;
  /** Words of the message the corpus knows as they are, without typo correction. */
  exactWords: number;
  /** A clause said NOT to cancel, delete or end something was taken out before recognition (see negation.ts). */
  negated: boolean;
}

export interface IntentRecognizer {
  recognize(text: string, language: Language): Promise<Recognition>;
  /** The language a message is *clearly* written in, or undefined when it could be either (or neither). */
  clearLanguage(text: string): Language | undefined;
}

export interface RecognizerOptions {
  /** Below this score the bot does not guess. */
  threshold: number;
  /**
   * Where the build left the models it trained on the shipped corpora (`intents.<lang>.bin`, see
   * src/tools/trainIntentModels.ts): a model is used only when it was trained on exactly these examples, else the
   * language is trained here. Either way the classifier is the same.
   */
  modelDir?: string;
}

/** The classifier's training examples of one language: each utterance folded as a message's words are read. */
export function intentExamples(corpus: Corpus): Array<{ text: string; label: string }> {
  // Folded (lower case, no marks), so "säga" and "saga" are one word.
  return NLU_INTENTS.flatMap((intent) => corpus[intent].map((utterance) => ({ text: words(utterance).map(foldWord).join(' '), label: intent })));
}

/** What a prebuilt model must have been trained on to be used: these examples, by this training. */
export function examplesDigest(examples: Array<{ text: string; label: string }>): string {
  return createHash('sha256').update(`linear-v2 (rate 6, l2 1e-4)\n${JSON.stringify(examples)}`).digest('hex');
}

export const modelFile = (dir: string, language: Language) => join(dir, `intents.${language}.bin`);

/** A language's training corpus under the locales. */
export const corpusFile = (dir: string, language: Language) => join(dir, language, 'nlu', 'intents.json');

/** A model file as the build wrote it, or undefined when it cannot be read as one (cut short, damaged): then the corpus is trained. */
function readModel(file: string): ReturnType<typeof deserialiseModel> | undefined {
  try {
    return deserialiseModel(readFileSync(file));
  } catch {
    return undefined;
  }
}

function classifierFor(language: Language, corpus: Corpus, modelDir: string | undefined): LinearClassifier {
  const examples = intentExamples(corpus);
  const file = modelDir && modelFile(modelDir, language);
  if (file && existsSync(file)) {
    const read = readModel(file);
    if (read && read.about.digest === examplesDigest(examples)) return linearClassifier(read.model);
  }
  return trainLinearClassifier(examples);
}

/** A message's words as the classifier reads them: typos corrected to known words, capitalised words (names) as written. */
function readWords(text: string, vocabulary: KnownWords): { tokens: string[]; corrected: Array<string | undefined>; understood: string } {
  const tokens = casedWords(text).slice(0, 40);
  // A capitalised word is a name more often than a typo: it is read as written, never corrected.
  const corrected = tokens.map((token) => (/^\p{Lu}/u.test(token) ? (vocabulary.has(token) ? foldWord(token) : undefined) : vocabulary.correct(token)));
  return { tokens, corrected, understood: corrected.map((word, i) => word ?? foldWord(tokens[i])).join(' ') };
}

/** Reads the training corpus of both languages (locales/<lang>/nlu/intents.json), validated. */
export function readCorpora(dir = LOCALES_DIR): Record<Language, Corpus> {
  const read = (language: Language) => corpusSchema.parse(JSON.parse(readFileSync(corpusFile(dir, language), 'utf8'))) as Corpus;
  return { sv: read('sv'), en: read('en') };
}

/**
 * The classifier of each language, trained on its corpus once, at start-up (a few hundred milliseconds for both) —
 * or read from the model the build trained on the same corpus. It replaced NLP.js's network (issue 13): on the development sets and by
 * cross-validation it reads first messages better, and a blend of the two measured no better than it alone.
 */
export async function trainIntentRecognizer(corpora: Record<Language, Corpus>, options: RecognizerOptions): Promise<IntentRecognizer> {
  const classifiers = Object.fromEntries(LANGUAGES.map((language) => [language, classifierFor(language, corpora[language], options.modelDir)])) as Record<Language, LinearClassifier>;
  const knownWords: Record<Language, KnownWords> = {
    sv: buildKnownWords(Object.values(corpora.sv).flat()),
    en: buildKnownWords(Object.values(corpora.en).flat()),
  };
  return recognizerOf(classifiers, knownWords, options.threshold);
}

/**
 * What a prebuilt model and its vocabulary were made from: the corpus file as it is on disk, with the code that reads
 * its words and makes its features (this file, typos, linearClassifier), the training's settings and Node's Unicode
 * version. A digest of the file's bytes, not of the examples derived from them: deriving those (and the vocabulary)
 * took a fifth of a start-up, which is what the build saves.
 */
export function corpusDigest(corpusText: string): string {
  // This file's siblings as they run (.js when built, .ts under the tests): the words' reading, the features' making.
  const code = [__filename, ...['typos', 'linearClassifier'].map((name) => join(__dirname, `${name}${extname(__filename)}`))].map((file) => readFileSync(file, 'utf8'));
  // The words are split and folded by Unicode's rules, which come with Node (a model built on another Node is checked).
  return createHash('sha256').update(`linear-v2 (rate 6, l2 1e-4), Unicode ${process.versions.unicode}\n${code.join('\n')}\n${corpusText}`).digest('hex');
}

/**
 * A language's model file as the build writes it (src/tools/trainIntentModels.ts): the classifier trained on the
 * corpus, with the digests of what it was made from and the corpus's vocabulary (the folded words typos are corrected
 * to), so that a start-up need not parse the corpus. `corpusText`: the corpus file as read.
 */
export function shippedModel(corpus: Corpus, corpusText: string): { bytes: Buffer; model: LinearModel; utterances: number } {
  const examples = intentExamples(corpus);
  const model = trainLinearModel(examples);
  const about = { digest: examplesDigest(examples), corpusDigest: corpusDigest(corpusText), knownWords: knownWordList(Object.values(corpus).flat()) };
  return { bytes: serialiseModel(model, about), model, utterances: examples.length };
}

/**
 * The recogniser from the build's models alone — each language's classifier and vocabulary read from its file, the
 * corpus not parsed — when every model was made from the corpus files as they are now (corpusDigest); else undefined,
 * and the corpora are read and trained as before.
 */
export function prebuiltIntentRecognizer(options: Required<RecognizerOptions> & { localesDir?: string }): IntentRecognizer | undefined {
  const classifiers = {} as Record<Language, LinearClassifier>;
  const knownWords = {} as Record<Language, KnownWords>;
  for (const language of LANGUAGES) {
    const file = modelFile(options.modelDir, language);
    const corpus = corpusFile(options.localesDir ?? LOCALES_DIR, language);
    if (!existsSync(file) || !existsSync(corpus)) return undefined;
    const read = readModel(file);
    if (!read) return undefined;
    const { model, about } = read;
    const vocabulary = about.knownWords;
    if (about.corpusDigest !== corpusDigest(readFileSync(corpus, 'utf8')) || !Array.isArray(vocabulary) || !vocabulary.every((word) => typeof word === 'string')) return undefined;
    classifiers[language] = linearClassifier(model);
    knownWords[language] = knownWordsOf(vocabulary as string[]);
  }
  return recognizerOf(classifiers, knownWords, options.threshold);
}

/** Reads messages with these classifiers and vocabularies (trained here or read from the build's models). */
function recognizerOf(classifiers: Record<Language, LinearClassifier>, knownWords: Record<Language, KnownWords>, threshold: number): IntentRecognizer {
  const classify = (language: Language, understood: string): Classification[] => classifiers[language].classify(understood);
  const options = { threshold };

  return {
    async recognize(raw, language) {
      const text = withBoundedWords(raw);
      const vocabulary = knownWords[language];
      // The caller's details are cut out first: a name or a street is never read as a word of a wish ("Anna" is not
      // "wanna", "annat" or "annan").
      const details = extractDetails(text, { region: language === 'sv' ? 'SE' : undefined });
      const entities = details.answers;
      // "Inte säga upp, vi vill ha fler licenser": the clause that says what is NOT wanted goes before anything reads it.
      const { text: negationFree, negated } = withoutNegatedActions(details.rest, language);
      // "…cancel our subscription. Call me back if needed.": that way back is a phone call, not the subscription's.
      const wanted = negationFree.replace(CALL_BACK, ' call me ');
      const { tokens, corrected, understood } = readWords(wanted, vocabulary);
      // The classifier is confident about nonsense too: a message must be made mostly of words the corpus knows, and
      // a name that happens to be one edit from a corpus word ("Anna" → "annan") is not enough.
      // Numbers (an org. number, an order number) are no words of any language: they count neither way.
      const wordCount = tokens.filter((token) => !/\d/u.test(token)).length;
      const known = corrected.filter((word) => word !== undefined).length;
      const exact = tokens.filter((token) => vocabulary.has(token)).length;
      if (wordCount === 0 || known * 2 < wordCount || (exact === 0 && known < Math.min(2, wordCount))) return { intent: 'none', score: 0, understood, entities, exactWords: exact, negated };

      let classifications = classify(language, understood);
      // "Vi vill inte återaktivera nu, men fram till när går det?": without its negated clause a question can lose its
      // topic. The whole message is read too — for anything but an account flow — and the surer reading wins.
      const wholeReading = negated ? classify(language, readWords(details.rest, vocabulary).understood) : undefined;
      if (wholeReading) {
        const whole = wholeReading.filter((c) => !isAccountWish(c.intent));
        if ((whole[0]?.score ?? 0) > (classifications[0]?.score ?? 0)) classifications = whole;
      }
      const reading = (intent: NluIntent | 'none', score: number): Recognition => ({ intent, score, understood, entities, exactWords: exact, negated });
      // A reading decided by the message's own words, as sure as the classifier was of it and never below the threshold.
      const outright = (intent: NluIntent): Recognition => reading(intent, Math.max(options.threshold, classifications.find((c) => c.intent === intent)?.score ?? 0));
      // A message full of the caller's details is "here is who I am": never a request for a person, another language
      // or something out of scope, whatever its leftover words look like.
      // Unless the words around the details ask for exactly that ("…prata med en person", "…in English please").
      const fullOfDetails = Object.keys(entities).length >= 2;
      const blocked = (intent: string) => fullOfDetails && (NOT_WITH_DETAILS as readonly string[]).includes(intent) && !SAID_OUTRIGHT[intent as (typeof NOT_WITH_DETAILS)[number]]?.test(details.rest);
      const best = classifications.find((c) => !blocked(c.intent));
      // "Is it possible to do this in Swedish instead?" asks for the other language in so many words, whatever else
      // the message resembles ("…my colleague will take over" reads like a wish for a person); so does "REAL PERSON"
      // for a person. Unless the message also asks for an account flow, by the reading or in its own words: then the
      // reading decides, and that wish is never dropped for the language or the person.
      const wantsAccountFlow = classifications.some((c) => isAccountWish(c.intent) && c.score >= options.threshold) || asksForTheAction(wanted, language);
      if (SAID_OUTRIGHT.switchLanguage?.test(details.rest) && !wantsAccountFlow) return outright('switchLanguage');
      if (ASKS_FOR_A_PERSON.test(wanted) && !wantsAccountFlow) return outright('person');
      if (!best || best.score < options.threshold) return reading('none', best?.score ?? 0);
      // "Jag vill säga upp vår prenumeration. Jag är anna@…, telefon …": the labels left around the details blur the
      // wish. How sure the recogniser is of it is read where it is said, sentence by sentence, for that same wish.
      let score = best.score;
      const sentences = fullOfDetails ? wanted.split(/[.!?\n]+/u).filter((sentence) => casedWords(sentence).length >= 2) : [];
      if (sentences.length > 1) {
        for (const sentence of sentences) {
          const top = classify(language, readWords(sentence, vocabulary).understood)[0];
          if (top?.intent === best.intent) score = Math.max(score, top.score);
        }
      }
      // "Hur långt i förväg måste vi säga upp?" is read as a cancellation by its words, but it asks for a fact: the
      // answer is the question's topic, the likeliest of the policy questions in a reading of the whole message (its
      // score is that reading's share among the questions — how sure it is, given that it is a question — capped).
      if (isAccountWish(best.intent) && asksForAFact(details.rest, language)) {
        const questions = (wholeReading ?? classifications).filter((c) => isQuestionTopic(c.intent));
        const total = questions.reduce((sum, c) => sum + c.score, 0);
        // Never surer than the reading was of anything: a mid-flow interruption needs the same confidence as ever.
        if (questions[0] && total > 0) return reading(questions[0].intent as NluIntent, Math.min(best.score, questions[0].score / total));
      }
      // "Not cancelling, just drop one seat", "downgrade us to E3 at renewal": a change of the licence count or of the
      // plan is a topic near ours, not an account flow.
      const change = isAccountWish(best.intent) ? nearbyChangeAskedFor(wanted, language) : undefined;
      if (change) return outright(change);
      // Ending a subscription that is plainly another company's is a topic we do not handle, however it is worded.
      // So is how to end one ("Hur säger jag upp Spotify?" is no question about our rules).
      const aboutEnding = isAccountWish(best.intent) || isQuestionTopic(best.intent);
      return reading(aboutEnding && namesAnotherCompanysSubscription(details.rest, language) ? 'outOfScope' : (best.intent as NluIntent), score);
    },

    clearLanguage(text) {
      const tokens = [...new Set(words(withBoundedWords(text)))].filter((token) => token.length > 1 && !/\d/.test(token));
      const onlyIn = (language: Language, other: Language) => tokens.filter((t) => knownWords[language].has(t) && !knownWords[other].has(t)).length;
      const sv = onlyIn('sv', 'en');
      const en = onlyIn('en', 'sv');
      if (sv >= 2 && en === 0) return 'sv';
      if (en >= 2 && sv === 0) return 'en';
      return undefined;
    },
  };
}

const trained = new Map<number, Promise<IntentRecognizer>>();

/** Where `npm run build` leaves the models of the shipped corpora: dist/models, beside dist/src. */
export const SHIPPED_MODELS = join(__dirname, '..', '..', 'models');

/** The recogniser of the shipped corpora, once per process (and threshold): the build's models, or trained here. */
export function loadIntentRecognizer(options: RecognizerOptions = { threshold: 0.4 }): Promise<IntentRecognizer> {
  let recognizer = trained.get(options.threshold);
  if (!recognizer) {
    const prebuilt = prebuiltIntentRecognizer({ modelDir: SHIPPED_MODELS, ...options });
    recognizer = prebuilt ? Promise.resolve(prebuilt) : trainIntentRecognizer(readCorpora(), { modelDir: SHIPPED_MODELS, ...options });
    trained.set(options.threshold, recognizer);
  }
  return recognizer;
}
