import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Activity } from 'botbuilder';
import { afterAll, describe, expect, it } from 'vitest';
import type { Language } from '../../src/i18n';
import { silentLogger } from '../../src/log';
import { createApp } from '../../src/server';
import { LOCALES, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { CASE_IN_TEXT, recordingOtpSender, replyText, WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';

/**
 * MERGE_REPLIES (the default): a turn's messages reach the Bot Connector in one post where they were two or three —
 * the same words, in the same order, the last message's buttons or card kept. The same conversation is held with a
 * bot that posts each message on its own, and the two are compared turn by turn.
 */
async function postsPerTurn(language: Language, mergeReplies: boolean, lines: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'reply-posts-'));
  const path = join(dir, 'bot.sqlite');
  const connector = await startConnectorStub();
  const app = await createApp(testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, mergeReplies }), silentLogger, { now: () => NOW, otpSender: recordingOtpSender().sender });
  const { url } = await app.listen();
  const turns: Array<Array<Partial<Activity>>> = [];
  try {
    for (const text of lines) {
      const before = connector.replies.length;
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, 'posts', { type: 'message', text, locale: LOCALES[language] })) });
      expect(res.status).toBe(200);
      turns.push(connector.replies.slice(before).map((reply) => reply.activity).filter((activity) => activity.type === 'message'));
    }
  } finally {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return turns;
}

/** What a turn's posts say, paragraph by paragraph (a card's words after the text before it); case references aside. */
const words = (posts: Array<Partial<Activity>>) =>
  posts.flatMap((post) => [...(post.text ? post.text.split('\n\n') : []), ...(post.attachments?.length ? [replyText({ ...post, text: undefined, summary: undefined })] : [])]).map((text) => text.replace(CASE_IN_TEXT, 'CX-…'));

describe.each(['sv', 'en'] as Language[])('one post per turn (%s)', (language) => {
  const w = WORDS[language];
  const lines = ['hej', w.cancel, ...answersOf(DEMO_CALLERS.anna), w.yes, w.endOfTerm, w.yes, w.price, w.skip];
  const separate = postsPerTurn(language, false, lines);
  const merged = postsPerTurn(language, true, lines);
  afterAll(async () => {
    await Promise.allSettled([separate, merged]);
  });

  it('says the same words in the same order, in one post a turn, the last message\'s buttons kept', async () => {
    const [apart, together] = await Promise.all([separate, merged]);
    expect(together.map(words)).toEqual(apart.map(words));
    // The bot said more than one message in several turns (the greeting and menu, the verdict and the next question);
    // merged, a turn posts once, unless a message carries more than words (a receipt's card): that one ends a post.
    expect(apart.filter((posts) => posts.length > 1).length).toBeGreaterThanOrEqual(3);
    const count = (turns: Array<Array<Partial<Activity>>>) => turns.reduce((n, posts) => n + posts.length, 0);
    expect(count(together)).toBeLessThanOrEqual(lines.length + 1);
    expect(count(apart) - count(together)).toBeGreaterThanOrEqual(4);
    for (const [turn, posts] of together.entries()) {
      for (const post of posts.slice(0, -1)) expect(Boolean(post.attachments?.length || post.suggestedActions)).toBe(true);
      const last = apart[turn].at(-1);
      expect(posts.at(-1)?.suggestedActions).toEqual(last?.suggestedActions);
      expect(posts.at(-1)?.attachments?.map((attachment) => attachment.contentType)).toEqual(last?.attachments?.map((attachment) => attachment.contentType));
    }
  });
});
