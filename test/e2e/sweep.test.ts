import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/server';
import { silentLogger } from '../../src/log';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';
import { conversationState } from '../support/storedState';

describe('abandoned conversations are swept (privacy at rest)', () => {
  it('a verification left half-way keeps its answers only until the conversation has been idle for the retention time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
    const path = join(dir, 'bot.sqlite');
    const connector = await startConnectorStub();
    const app = await createApp(testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, conversationRetentionMinutes: 30 }), silentLogger, { now: () => NOW });
    const { url } = await app.listen();
    const db = new Database(path);
    try {
      const anna = DEMO_CALLERS.anna;
      const say = (conversationId: string, text: string) =>
        fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale: 'en-US' })) });
      // Two conversations stop at the contact-person question: one long ago, one just now.
      for (const id of ['abandoned', 'recent']) for (const text of ['Cancel subscription', anna.userId, anna.phone]) expect((await say(id, text)).status).toBe(200);
      const rowOf = (id: string) => conversationState(db, `${id}/`);
      // The answers given so far are in the dialog's state while the verification is in progress — sealed: the file
      // itself shows none of them...
      for (const answer of [anna.userId, anna.userId.split('@')[0], anna.phone, anna.phone.replace(/\D/g, '')]) expect(rowOf('abandoned')?.stored).not.toContain(answer);
      expect(rowOf('abandoned')?.json).toContain(anna.userId);
      const longAgo = new Date(Date.now() - 31 * 60_000).toISOString();
      db.prepare("UPDATE bot_state SET updated_at = ? WHERE key LIKE '%/conversations/abandoned/%'").run(longAgo);

      // ...and the state is gone once it has been idle for longer than the retention; the recent one is untouched.
      expect(await app.sweepConversations()).toBe(1);
      expect(rowOf('abandoned')).toBeUndefined();
      expect(rowOf('recent')?.json).toContain(anna.userId);

      // A caller who comes back to a swept conversation simply starts again, without an error.
      const before = connector.textsFor('abandoned').length;
      expect((await say('abandoned', 'hello')).status).toBe(200);
      expect(connector.textsFor('abandoned').slice(before).join('\n')).not.toContain('Sorry, something went wrong');
    } finally {
      db.close();
      await app.close();
      await connector.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
