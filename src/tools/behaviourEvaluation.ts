import { randomUUID } from 'node:crypto';
import { TestAdapter } from 'botbuilder';
import type { Activity } from 'botbuilder';
import type { TFunction } from 'i18next';
import { loadConfig } from '../config';
import { createBotRuntime, type BotRuntime } from '../composition/runtime';
import { LANGUAGES, type Language } from '../i18n';
import { createLogger } from '../log';
import { policyNumbers, policyOverviewReply } from '../../dialogs/replies';
import type { Corpus } from '../understanding/nlu';
import { normalisePhrase } from '../understanding/phrases';
import { ACTION_BEHAVIOURS, EXPECTED_BEHAVIOURS, QUESTION_BEHAVIOURS, type ExpectedBehaviour, type WishSet } from '../understanding/wishSets';

/**
 * Issue 13's measure: a caller's first message is judged by what the bot DOES with it — the real bot, every layer
 * (menu words, interruption phrases, yes/no, the recogniser, the main dialog's routing), each message the first of a
 * fresh conversation — not by the recogniser's label alone.
 */
export type Behaviour = ExpectedBehaviour | 'notUnderstood';

/**
 * What the bot did: a behaviour, and whether it asked first ("Vill du säga upp prenumerationen?") instead of starting
 * the flow — right when the flow asked about is the one expected (the caller says yes and is there), never unsafe.
 */
interface Did {
  behaviour: Behaviour;
  asked: boolean;
}

export interface BehaviourScore {
  language: Language;
  total: number;
  correct: number;
  accuracy: number;
  /** Per kind of message (indirect, negation, …): how many, how many right. */
  byKind: Record<string, { total: number; correct: number }>;
  /** expected → did → count. */
  confusion: Record<string, Record<string, number>>;
  /** A message that is no request of one started a cancellation, fast revoke or reactivation: never acceptable. */
  unsafe: Array<{ text: string; expected: ExpectedBehaviour; did: Behaviour }>;
  /** How many times the bot asked "do you want to …?" instead of starting a flow (right or wrong). */
  asked: number;
  /** Messages left out because the corpus has them word for word. */
  inCorpus: number;
  misses: Array<{ text: string; kind: string; expected: ExpectedBehaviour; did: Behaviour }>;
}

const LOCALES: Record<Language, string> = { sv: 'sv-SE', en: 'en-GB' };
const ACTIONS: ReadonlySet<string> = new Set(ACTION_BEHAVIOURS);

/** The bot as `npm start` builds it, on an in-memory database with the demo accounts, verdicts unpadded. */
export async function evaluationRuntime(): Promise<BotRuntime> {
  // NLU_THRESHOLD as the bot would read it, so a threshold can be tried on the whole bot (`NLU_THRESHOLD=0.4 npm run eval:nlu`).
  const config = loadConfig({ STORAGE: 'memory', VERIFICATION_MIN_RESPONSE_MS: '0', LOG_LEVEL: 'error', ...(process.env.NLU_THRESHOLD ? { NLU_THRESHOLD: process.env.NLU_THRESHOLD } : {}) });
  if (!config.ok) throw new Error(`evaluation config: ${config.problems.join('; ')}`);
  return createBotRuntime(config.config, createLogger('error', () => undefined));
}

/**
 * A message the corpus holds word for word ("hej", "help": short set phrases every writer writes) says nothing of how
 * the bot generalises: it is left out, and counted apart. Which ones those are is frozen by a test, so the corpus
 * cannot swallow a set's hard messages.
 */
export function inCorpus(corpora: Record<Language, Corpus>, language: Language, text: string): boolean {
  const known = corpusPhrases.get(corpora) ?? new Map(LANGUAGES.map((l) => [l, new Set(Object.values(corpora[l]).flat().map(normalisePhrase))]));
  corpusPhrases.set(corpora, known);
  return known.get(language)?.has(normalisePhrase(text)) ?? false;
}
const corpusPhrases = new WeakMap<Record<Language, Corpus>, Map<Language, Set<string>>>();

export async function evaluateBehaviour(runtime: BotRuntime, sets: Record<Language, WishSet>, corpora?: Record<Language, Corpus>): Promise<BehaviourScore[]> {
  const scores: BehaviourScore[] = [];
  // Fresh conversations every call: a second set on the same runtime must not continue the first set's conversations.
  const run = randomUUID().slice(0, 8);
  let conversation = 0;
  for (const language of LANGUAGES) {
    const score: BehaviourScore = { language, total: 0, correct: 0, accuracy: 0, byKind: {}, confusion: {}, unsafe: [], misses: [], asked: 0, inCorpus: 0 };
    for (const { text, expect: expected, kind } of sets[language]) {
      if (corpora && inCorpus(corpora, language, text)) {
        score.inCorpus++;
        continue;
      }
      const { behaviour: did, asked } = await firstMessage(runtime, `eval-${run}-${++conversation}`, language, text);
      if (asked) score.asked++;
      const right = did === expected;
      score.total++;
      if (right) score.correct++;
      const byKind = (score.byKind[kind] ??= { total: 0, correct: 0 });
      byKind.total++;
      if (right) byKind.correct++;
      const row = (score.confusion[expected] ??= {});
      row[did] = (row[did] ?? 0) + 1;
      if (!right) score.misses.push({ text, kind, expected, did });
      if (ACTIONS.has(did) && !asked && !ACTIONS.has(expected)) score.unsafe.push({ text, expected, did });
    }
    score.accuracy = score.total === 0 ? 0 : score.correct / score.total;
    scores.push(score);
  }
  return scores;
}

/** One message as the first of a conversation: what the bot did with it. */
async function firstMessage(runtime: BotRuntime, conversationId: string, language: Language, text: string): Promise<Did> {
  // A caller of their own, too: a language one of them chose must not carry over to the next (user state).
  const caller = { id: `caller-${conversationId}`, name: 'Caller' };
  const adapter = new TestAdapter((context) => runtime.bot.run(context), { channelId: 'test', conversation: { id: conversationId }, user: caller } as never);
  await adapter.processActivity({ type: 'message', text, locale: LOCALES[language], conversation: { id: conversationId }, from: caller } as Activity);
  const replies = adapter.activeQueue.splice(0).filter((reply) => reply.type === 'message');
  // Where ConversationState keeps this conversation (its key ends in a slash).
  const key = `test/conversations/${conversationId}/`;
  const state = (await runtime.store.read([key]))[key] as { currentRequest?: { wish?: string } } | undefined;
  const t = runtime.i18n.getFixedT(language);
  const numbers = policyNumbers(runtime.policy);
  const askedAbout = ACTION_BEHAVIOURS.find((wish) => replies.some((reply) => textOf(reply).includes(t(`main:confirmWish.${wish}`, numbers))));
  if (askedAbout) return { behaviour: askedAbout, asked: true };
  return { behaviour: classify(runtime, language, replies, state?.currentRequest?.wish), asked: false };
}

function textOf(reply: Partial<Activity>): string {
  return [reply.text ?? '', reply.summary ?? ''].join('\n');
}

function classify(runtime: BotRuntime, language: Language, replies: Array<Partial<Activity>>, wish: string | undefined): Behaviour {
  if (wish && ACTIONS.has(wish)) return wish as Behaviour;
  const { i18n, policy } = runtime;
  const t = i18n.getFixedT(language);
  const other = i18n.getFixedT(language === 'sv' ? 'en' : 'sv');
  const texts = replies.map(textOf);
  const said = (text: string) => texts.some((reply) => reply.includes(text));
  if (texts.some((reply) => /CX-[2346789A-Z]{4}-[2346789]{2}/.test(reply)) || said(t('main:personLocked'))) return 'person';
  const numbers = policyNumbers(policy);
  for (const question of QUESTION_BEHAVIOURS) {
    if (i18n.exists(`policy:answers.${question}`, { lng: language }) && said(t(`policy:answers.${question}`, numbers))) return question;
  }
  const overview = textOf(policyOverviewReply(t, policy)).trim();
  if (overview && said(overview)) return 'general';
  // A topic near ours with an answer of its own (issue 13), once there is one; else what the bot says of all others.
  for (const topic of EXPECTED_BEHAVIOURS) {
    if (i18n.exists(`outOfScope:answers.${topic}`, { lng: language }) && said(t(`outOfScope:answers.${topic}`))) return topic;
  }
  if (said(t('main:outOfScope'))) return 'outOfScope';
  if (said(t('main:help'))) return 'help';
  if (said(t('interruptions:startingOver'))) return 'startOver';
  if (said(other('interruptions:languageSwitched'))) return 'switchLanguage';
  if (said(t('main:goodbye'))) return 'thanksGoodbye';
  return onlyGreeted(t, texts) ? 'greeting' : 'notUnderstood';
}

/** The greeting and the menu's first question, nothing more: what a "hej" gets (and a message not understood, too). */
function onlyGreeted(t: TFunction, texts: string[]): boolean {
  return texts.length === 2 && texts[1].trim() === t('main:whatToDo');
}
