import type { Language } from '../i18n';
import { normalisePhrase } from './phrases';
import type { IntentRecognizer } from './nlu';

export const POLICY_QUESTIONS = [
  'refundQuestion',
  'trialQuestion',
  'dataRetentionQuestion',
  'termLengthQuestion',
  'noticePeriodQuestion',
  'differenceQuestion',
  'consequencesQuestion',
  'reactivationQuestion',
] as const;
export type PolicyQuestion = (typeof POLICY_QUESTIONS)[number];
/** What a question may be about: a policy topic, or cancelling in general. */
export const QUESTION_TOPICS = [...POLICY_QUESTIONS, 'general'] as const;
export function isQuestionTopic(intent: string): boolean {
  return (QUESTION_TOPICS as readonly string[]).includes(intent);
}

/**
 * Topics next to ours that the assistant does not handle (more licences, another plan, invoices, passwords, the billing
 * address, technical problems): each gets an answer of its own saying where it is done, and never starts a flow.
 */
export const NEAR_SCOPE_TOPICS = ['addLicences', 'changePlan', 'invoice', 'password', 'billingAddress', 'technicalProblem'] as const;
export type NearScopeTopic = (typeof NEAR_SCOPE_TOPICS)[number];

/** What a caller can say at any question, instead of answering it. */
export type Interruption =
  | { kind: 'cancel' | 'help' | 'startOver' | 'person' }
  /** "why?", "varför inte?", "which one was wrong?": the reason behind the last decision, at more length (AS-3). */
  | { kind: 'why' }
  | { kind: 'switchLanguage'; to: Language }
  /** A policy question asked in the middle of a flow: answered, then the flow's question is asked again. */
  | { kind: 'question'; question: PolicyQuestion }
  /**
   * A whole new request for an account action ("I want to reactivate my subscription") where it is no answer: the
   * caller starts again (back after a page reload, or changed their mind); the flow left has changed nothing.
   */
  | { kind: 'newRequest'; wish: AccountWish };

export const ACCOUNT_WISHES = ['cancel', 'fastRevoke', 'reactivate'] as const;
export type AccountWish = (typeof ACCOUNT_WISHES)[number];

/** A new request leaves a flow only when it says enough to be one: "säg upp" alone may be a muddled answer. */
const NEW_REQUEST_MIN_WORDS = 3;

type PhraseKind = 'cancel' | 'help' | 'startOver' | 'person' | 'why' | 'swedish' | 'english';
export interface InterruptionVocabulary {
  phrases: ReadonlyMap<string, PhraseKind>;
  /** A short question that starts like this asks why ("varför kan jag inte det?"). */
  whyStarters: readonly string[];
}

/** Longest message, in words, that a "why…" opening makes a why-question rather than a request of its own. */
const WHY_QUESTION_WORDS = 7;

export function buildInterruptionVocabulary(phrases: Record<PhraseKind, string[]>, whyStarters: string[]): InterruptionVocabulary {
  const vocabulary = new Map<string, PhraseKind>();
  for (const [kind, list] of Object.entries(phrases) as Array<[PhraseKind, string[]]>) {
    for (const phrase of list) vocabulary.set(normalisePhrase(phrase) || phrase.trim(), kind);
  }
  return { phrases: vocabulary, whyStarters: whyStarters.map(normalisePhrase).filter(Boolean) };
}

/** What an exact phrase can mean: everything but a question or a new request. */
export type PhraseInterruption = Exclude<Interruption, { kind: 'question' } | { kind: 'newRequest' }>;

const fromPhrase = (kind: PhraseKind): PhraseInterruption =>
  kind === 'swedish' ? { kind: 'switchLanguage', to: 'sv' } : kind === 'english' ? { kind: 'switchLanguage', to: 'en' } : { kind };

/** A whole message that is one of the interruption phrases, in either language. */
export function phraseInterruption(vocabulary: InterruptionVocabulary, text: string | undefined): PhraseInterruption | undefined {
  if (!text) return undefined;
  const normalised = normalisePhrase(text);
  const kind = vocabulary.phrases.get(normalised || text.trim());
  if (kind) return fromPhrase(kind);
  const isWhy = normalised.split(' ').length <= WHY_QUESTION_WORDS && vocabulary.whyStarters.some((starter) => normalised === starter || normalised.startsWith(`${starter} `));
  return isWhy ? { kind: 'why' } : undefined;
}

/** Below this the recogniser's guess does not interrupt a question: a wrong interruption costs the caller their place. */
const INTERRUPT_CONFIDENCE = 0.8;

/**
 * An interruption said in the caller's own words ("kan jag få prata med en människa?", "can we do this in english"),
 * or a message clearly written in the other language. Only asked when the text is not an answer to the question.
 */
export async function freeTextInterruption(recognizer: IntentRecognizer, vocabulary: InterruptionVocabulary, text: string, language: Language): Promise<Interruption | undefined> {
  const clear = recognizer.clearLanguage(text);
  if (clear && clear !== language) return { kind: 'switchLanguage', to: clear };
  const result = await recognizer.recognize(text, language);
  // A guess built only from typo-corrected words ("anna" → "annan") never interrupts.
  if (result.score < INTERRUPT_CONFIDENCE || result.exactWords === 0) return undefined;
  if (result.intent === 'person' || result.intent === 'help' || result.intent === 'startOver') return { kind: result.intent };
  if ((POLICY_QUESTIONS as readonly string[]).includes(result.intent)) return { kind: 'question', question: result.intent as PolicyQuestion };
  if ((ACCOUNT_WISHES as readonly string[]).includes(result.intent) && result.exactWords >= 2 && text.trim().split(/\s+/).length >= NEW_REQUEST_MIN_WORDS) {
    return { kind: 'newRequest', wish: result.intent as AccountWish };
  }
  if (result.intent === 'switchLanguage') {
    const named = languageNamedIn(vocabulary, text);
    return named && named !== language ? { kind: 'switchLanguage', to: named } : undefined;
  }
  return undefined;
}

/**
 * "kan vi ta det på engelska" names English; "svenska tack" names Swedish. A message naming both ("min kollega förstår
 * inte svenska – kan du skriva på engelska?", "Can we switch to English? My Swedish is not good enough") asks for the
 * one it names after "på"/"in"/"till"/"to", or before "tack"/"please"/"istället"/"instead".
 */
export function languageNamedIn(vocabulary: InterruptionVocabulary, text: string): Language | undefined {
  const words = normalisePhrase(text).split(' ');
  const named = words.flatMap((word, at): Array<{ language: Language; at: number }> => {
    const kind = vocabulary.phrases.get(word);
    return kind === 'swedish' ? [{ language: 'sv', at }] : kind === 'english' ? [{ language: 'en', at }] : [];
  });
  const askedFor = named.find(({ at }) => ASKED_FOR_BEFORE.has(words[at - 1] ?? '') || ASKED_FOR_AFTER.has(words[at + 1] ?? ''));
  return (askedFor ?? named[0])?.language;
}
const ASKED_FOR_BEFORE = new Set(['på', 'pa', 'in', 'till', 'to', 'into']);
const ASKED_FOR_AFTER = new Set(['tack', 'please', 'pls', 'istället', 'istallet', 'instead']);
