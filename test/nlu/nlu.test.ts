import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, readLabelled } from '../../src/understanding/evaluation';
import { freeTextInterruption, phraseInterruption } from '../../src/understanding/interruptions';
import { NLU_INTENTS, readCorpora } from '../../src/understanding/nlu';
import { normalisePhrase } from '../../src/understanding/phrases';
import { buildKnownWords, editDistance, withinOneEdit } from '../../src/understanding/typos';
import { buildYesNoVocabulary, isOnlyYesNo, recognizeYesNo } from '../../src/understanding/yesNo';
import { recognizer, vocabulary } from '../support/bot';

const ROOT = join(__dirname, '..', '..');
const corpora = readCorpora();

describe('corpora', () => {
  it('have every intent in both languages, with at least 20 utterances each', () => {
    for (const language of ['sv', 'en'] as const) {
      for (const intent of NLU_INTENTS) expect(corpora[language][intent].length, `${language} ${intent}`).toBeGreaterThanOrEqual(20);
    }
  });

  it('never contain a held-out or development utterance', () => {
    for (const set of ['heldout', 'dev'] as const) {
      const labelled = readLabelled(ROOT, set);
      for (const language of ['sv', 'en'] as const) {
        const training = new Set(Object.values(corpora[language]).flat().map(normalisePhrase));
        const leaked = labelled[language].filter(({ text }) => training.has(normalisePhrase(text)));
        expect(leaked, `${set}.${language}`).toEqual([]);
      }
    }
  });
});

describe('intent recognition', () => {
  it('reaches 90% per language on the blind held-out set (npm run eval:nlu prints the details)', async () => {
    for (const score of await evaluate(recognizer, readLabelled(ROOT, 'heldout'))) {
      expect(score.accuracy, `${score.language}: ${score.misses.map((m) => m.text).join(' | ')}`).toBeGreaterThanOrEqual(0.9);
    }
  });

  it.each([
    ['sv', 'jag vill säga upp vårt abonnemang', 'cancel'],
    ['sv', 'vill saga upp vart abonemang', 'cancel'],
    ['sv', 'hur länge sparas min data?', 'dataRetentionQuestion'],
    ['sv', 'kan jag prata med en människa', 'person'],
    ['en', 'can I get my money back?', 'refundQuestion'],
    ['en', 'can i cancle my trial', 'trialQuestion'],
    ['en', 'i want to cancel my subscription', 'cancel'],
    // The bare word of an action is that action, not a question about it.
    ['sv', 'säga upp', 'cancel'],
    ['sv', 'återaktivering', 'reactivate'],
    ['en', 'cancellation', 'cancel'],
    // Numbers are no unknown words: the words around an org. number still say what is wanted.
    ['sv', 'Ny fakturaadress för Bergström Konsult AB: Sveavägen 44, 113 59 Stockholm. Org.nr 556677-8899.', 'billingAddress'],
    // Support named, with the caller's details: a person, though details alone never are.
    ['sv', 'Kan någon på supporten ringa mig? Lena Holm, 073-987 65 43, Holm Bygg AB', 'person'],
    ['en', 'Could someone from support call me back: Lena Holm, 07700 900123, Holm Building Ltd', 'person'],
    // Shouted words are no name: "REAL PERSON" is what is wanted.
    ['en', "I've been going round in circles. REAL PERSON. NOW.", 'person'],
    // A call back is no way back for the subscription.
    ['en', 'Hi, we want to cancel our subscription. Call me back if needed.', 'cancel'],
    ['sv', 'Vi vill säga upp vårt abonnemang. Ring mig tillbaka vid behov.', 'cancel'],
  ] as const)('%s: "%s" → %s', async (language, text, intent) => {
    expect((await recognizer.recognize(text, language)).intent).toBe(intent);
  });

  it('hands the verification the contact details it found, and classifies the rest', async () => {
    const result = await recognizer.recognize("I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67, and I want to cancel", 'en');
    expect(result).toMatchObject({ intent: 'cancel', entities: { userId: 'anna.lindqvist@fjordfika.se', phone: '+46701234567' } });
    expect(result.understood).not.toMatch(/anna|070/);
  });

  it.each([
    ['sv', 'vad kostar en pizza'],
    ['en', 'how do I change my e-mail'],
  ] as const)('%s: "%s" is out of scope', async (language, text) => {
    expect((await recognizer.recognize(text, language)).intent).toBe('outOfScope');
  });

  it.each(['asdf qwerty zxcv', 'xyzzy plugh', '🙂🙂🙂', '', '556677-8899', '123 456'])('does not guess at "%s"', async (text) => {
    expect((await recognizer.recognize(text, 'en')).intent).toBe('none');
  });

  it('tells a message clearly in one language from one that could be either', () => {
    expect(recognizer.clearLanguage('I want to cancel my subscription please')).toBe('en');
    expect(recognizer.clearLanguage('jag vill säga upp vår prenumeration')).toBe('sv');
    expect(recognizer.clearLanguage('ok')).toBeUndefined();
    expect(recognizer.clearLanguage('Anna Lindqvist')).toBeUndefined();
    expect(recognizer.clearLanguage('Storgatan 12, 114 55 Stockholm')).toBeUndefined();
  });
});

describe('typo correction', () => {
  const vocab = buildKnownWords(['cancel my subscription', 'hello there', 'help me', 'säga upp abonnemanget']);

  it('corrects a word to its nearest known word', () => {
    expect(vocab.correct('cancle')).toBe('cancel');
    expect(vocab.correct('subscrption')).toBe('subscription');
    expect(vocab.correct('abonemanget')).toBe('abonnemanget');
    expect(vocab.correct('saga')).toBe('saga');
  });

  it('prefers a missing letter to a wrong one, and squeezes stretched words', () => {
    expect(vocab.correct('helo')).toBe('hello');
    expect(vocab.correct('hellooo')).toBe('hello');
  });

  it('leaves short, numeric and far-off words alone', () => {
    expect(vocab.correct('xyz')).toBeUndefined();
    expect(vocab.correct('12345')).toBeUndefined();
    expect(vocab.correct('pizza')).toBeUndefined();
  });

  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('form', 'from')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('says "at most one edit apart" exactly as the edit distance does, without its rows', () => {
    expect(withinOneEdit('adress', 'address')).toBe(true);
    expect(withinOneEdit('telefon', 'telefno')).toBe(true);
    expect(withinOneEdit('postnummer', 'postnumre')).toBe(false);
    // Every pair of short words over a small alphabet (where edits collide most): the same answer as editDistance.
    const words = [''];
    for (let length = 1; length <= 4; length++) for (const word of words.filter((w) => w.length === length - 1)) for (const letter of 'abå') words.push(word + letter);
    for (const a of words) for (const b of words) expect(withinOneEdit(a, b), `${a} / ${b}`).toBe(editDistance(a, b, 1) <= 1);
  });
});

describe('Swedish and English yes/no', () => {
  const yesNo = buildYesNoVocabulary(['ja', 'japp', 'jo', 'yes', 'ok', 'okej'], ['nej', 'nej tack', 'nä', 'no', 'inte']);
  it.each([
    ['ja', true], ['Ja!', true], ['japp', true], ['jo', true], ['yes', true], ['okej', true],
    ['nej', false], ['nej tack', false], ['nä', false], ['no', false], ['nej, inte ok', false], ['ja... nej', false],
  ] as const)('"%s" → %s', (text, answer) => {
    expect(recognizeYesNo(yesNo, { text })).toBe(answer);
  });

  it('reads a card submit with no text', () => {
    expect(recognizeYesNo(yesNo, { value: { answer: 'yes' } })).toBe(true);
    expect(recognizeYesNo(yesNo, { value: { answer: 'no' } })).toBe(false);
  });

  it('does not read a yes into something else', () => {
    expect(recognizeYesNo(yesNo, { text: 'kanske' })).toBeUndefined();
  });

  // With no yes/no question open, only a bare answer is one: the rest of the words say what the caller wants.
  it.each([
    ['nej tack', true], ['ja', true], ['Ok!', true], ['yes please', true],
    ['lösenordet fungerar inte', false], ['ok tack hejdå', false], ['Teams startar inte', false], ['kanske', false],
  ] as const)('"%s" is only a yes or a no: %s', (text, only) => {
    expect(isOnlyYesNo(yesNo, text)).toBe(only);
  });
});

describe('interruptions', () => {
  it.each([
    ['avbryt', { kind: 'cancel' }],
    ['Cancel', { kind: 'cancel' }],
    ['hjälp', { kind: 'help' }],
    ['börja om', { kind: 'startOver' }],
    ['svenska', { kind: 'switchLanguage', to: 'sv' }],
    ['English', { kind: 'switchLanguage', to: 'en' }],
    ['prata med en person', { kind: 'person' }],
  ] as const)('"%s" is an interruption', (text, expected) => {
    expect(phraseInterruption(vocabulary.interruptions, text)).toEqual(expected);
  });

  it('a request in the caller’s own words interrupts too', async () => {
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'kan jag få prata med en riktig människa', 'sv')).toEqual({ kind: 'person' });
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'can we do this in swedish please', 'en')).toEqual({ kind: 'switchLanguage', to: 'sv' });
  });

  it('a message clearly in the other language switches to it', async () => {
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'sorry I do not understand what you mean', 'sv')).toEqual({ kind: 'switchLanguage', to: 'en' });
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'sorry I do not understand what you mean', 'en')).toEqual({ kind: 'help' });
  });

  it('an answer is not an interruption', async () => {
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'Anna Lindqvist', 'sv')).toBeUndefined();
    expect(await freeTextInterruption(recognizer, vocabulary.interruptions, 'Storgatan 12, 114 55 Stockholm', 'sv')).toBeUndefined();
  });
});
