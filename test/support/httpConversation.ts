import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { AppConfig } from '../../src/config';
import type { Language } from '../../src/i18n';
import { silentLogger } from '../../src/log';
import { createApp } from '../../src/server';
import { LOCALES, testConfig } from './bot';
import type { Conversation } from './branches';
import { inbound, startConnectorStub } from './connectorStub';
import { recordingOtpSender, replyText, WORDS } from './conversation';
import { answersOf, DEMO_CALLERS } from './demoCallers';
import { NOW } from './facts';

/** A conversation over real HTTP: the restify server on an ephemeral port, replies collected by a stub connector. */
export async function startHttpConversation(language: Language, channelId = 'webchat', config: Partial<AppConfig> = {}): Promise<Conversation> {
  const dir = mkdtempSync(join(tmpdir(), 'http-conv-'));
  const path = join(dir, 'bot.sqlite');
  const connector = await startConnectorStub();
  const otp = recordingOtpSender();
  const app = await createApp(testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, ...config }), silentLogger, { now: () => NOW, otpSender: otp.sender });
  const { url } = await app.listen();
  const conversationId = `http-${randomUUID()}`;
  const locale = LOCALES[language];

  async function say(...texts: string[]): Promise<string[]> {
    const before = connector.replies.length;
    for (const text of texts) {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale, channelId })),
      });
      if (res.status !== 200) throw new Error(`POST /api/messages answered ${res.status}`);
    }
    return connector.replies.slice(before).filter((r) => r.activity.type === 'message').map((r) => replyText(r.activity));
  }

  return {
    say,
    verifyFor: (intent, caller) => say(WORDS[language][intent], ...answersOf(DEMO_CALLERS[caller]), WORDS[language].yes),
    words: WORDS[language],
    db: () => new Database(path, { readonly: true }),
    auditFor: (reference) => app.runtime.cases.auditFor(reference),
    close: async () => {
      await app.close();
      await connector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
