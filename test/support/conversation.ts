import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TestAdapter, type Activity } from 'botbuilder';
import type { RuntimeOverrides } from '../../src/composition/runtime';
import { createBotRuntime } from '../../src/composition/runtime';
import { createTurnErrorHandler } from '../../src/bot/turnError';
import type { AppConfig } from '../../src/config';
import type { Language } from '../../src/i18n';
import { createLogger } from '../../src/log';
import type { OtpSender } from '../../src/verification/otp';
import { LOCALES, testConfig } from './bot';
import { answersOf, DEMO_CALLERS, type DemoCallerName } from './demoCallers';
import { NOW } from './facts';

/** The words a caller clicks or types, per language. */
export const WORDS = {
  sv: { cancel: 'Säg upp prenumerationen', fastRevoke: 'Snabb återkallelse', reactivate: 'Återaktivera', yes: 'ja', no: 'nej', endOfTerm: 'Vid periodens slut', now: 'Nu', keep: 'Behåll den', skip: 'Hoppa över', price: 'För dyrt' },
  en: { cancel: 'Cancel subscription', fastRevoke: 'Fast revoke', reactivate: 'Reactivate', yes: 'yes', no: 'no', endOfTerm: 'At the end of the term', now: 'Now', keep: 'Keep it', skip: 'Skip', price: 'Too expensive' },
} as const;

/** An SMS gateway stand-in that keeps what was sent, so a test can read the code like a person reads their phone. */
export function recordingOtpSender() {
  const sent: Array<{ to: string; text: string }> = [];
  const sender: OtpSender = { send: async (to, text) => void sent.push({ to, text }) };
  return { sender, sent, lastCode: () => sent.at(-1)?.text.match(/\b(\d{6})\b/)?.[1] };
}

/**
 * The whole bot on a real SQLite file (directory, subscriptions, cases) in a temp folder, driven through the SDK's
 * TestAdapter one activity at a time. `db` opens the same file for assertions.
 */
export async function startConversation(options: { language: Language; channelId?: string; config?: Partial<AppConfig>; overrides?: RuntimeOverrides } = { language: 'sv' }) {
  const dir = mkdtempSync(join(tmpdir(), 'flow-'));
  const path = join(dir, 'bot.sqlite');
  const otp = recordingOtpSender();
  const logLines: string[] = [];
  const runtime = await createBotRuntime(
    testConfig({ storage: { kind: 'sqlite', path: path }, sqlitePath: path, ...options.config }),
    createLogger('debug', (line) => logLines.push(line)),
    { now: () => NOW, otpSender: otp.sender, ...options.overrides },
  );
  const adapter = new TestAdapter((context) => runtime.bot.run(context), { channelId: options.channelId ?? 'test' } as never);
  adapter.onTurnError = createTurnErrorHandler(runtime, 'sv');
  const locale = LOCALES[options.language];

  /** Sends one activity and returns everything the bot said in that turn. */
  async function send(activity: Partial<Activity>): Promise<Partial<Activity>[]> {
    await adapter.processActivity({ type: 'message', locale, ...activity } as Activity);
    return adapter.activeQueue.splice(0);
  }

  async function say(...texts: string[]): Promise<string[]> {
    const said: string[] = [];
    for (const text of texts) for (const reply of await send({ text })) if (reply.type === 'message') said.push(replyText(reply));
    return said;
  }

  /** Asks for an account action and answers the six verification questions as a demo caller. */
  async function verifyFor(intent: 'cancel' | 'fastRevoke' | 'reactivate', caller: DemoCallerName): Promise<string[]> {
    const words = WORDS[options.language];
    return say(words[intent], ...answersOf(DEMO_CALLERS[caller]), words.yes);
  }

  const db = () => new Database(path, { readonly: true });
  const auditFor = (reference: string) => runtime.cases.auditFor(reference);
  return { runtime, adapter, send, say, verifyFor, otp, db, auditFor, logLines, words: WORDS[options.language], close: () => runtime.close() };
}

/** A reply's words: its text, or for a card its summary and the text of its blocks and facts. */
export function replyText(reply: Partial<Activity>): string {
  if (reply.text) return reply.text;
  if (reply.summary) return [reply.summary, cardText(reply)].join('\n');
  return cardText(reply);
}

function cardText(reply: Partial<Activity>): string {
  const card = reply.attachments?.[0]?.content as { body?: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }> } | undefined;
  return (card?.body ?? []).flatMap((block) => [block.text ?? '', ...(block.facts ?? []).map((f) => `${f.title}: ${f.value}`)]).filter(Boolean).join('\n');
}

export const CASE_IN_TEXT = /CX-[2346789A-Z]{4}-[2346789]{2}/;
