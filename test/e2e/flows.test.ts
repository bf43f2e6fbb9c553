import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { CASE_IN_TEXT, recordingOtpSender, replyText } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';

/** The account flows over real HTTP, with replies (cards in Web Chat) received by a stub Bot Connector. */
describe('account flows over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flows-e2e-'));
  const path = join(dir, 'bot.sqlite');
  const otp = recordingOtpSender();
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(testConfig({ storage: { kind: 'sqlite', path: path }, sqlitePath: path }), silentLogger, { now: () => NOW, otpSender: otp.sender });
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function walk(conversationId: string, locale: string, channelId: string, turns: Array<string | Record<string, unknown>>) {
    for (const turn of turns) {
      const fields = typeof turn === 'string' ? { text: turn } : { value: turn };
      const res = await fetch(`${base}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', locale, channelId, ...fields })),
      });
      expect(res.status).toBe(200);
    }
    return connector.replies.filter((r) => r.activity.conversation?.id === conversationId && r.activity.type === 'message').map((r) => r.activity);
  }

  const db = () => new Database(path, { readonly: true });

  it('Swedish, Web Chat: Anna cancels now; the receipt is a card whose case reference is in the audit log', async () => {
    const replies = await walk('e2e-sv-anna', 'sv-SE', 'webchat', ['hej', 'Säg upp prenumerationen', ...answersOf(DEMO_CALLERS.anna), 'ja', { choice: 'now' }, 'ja', 'ja', { choice: 'skip' }]);
    const receipt = replies.find((r) => r.attachments?.length && replyText(r).includes('Ärendenummer'));
    expect(receipt?.attachments?.[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    const reference = replyText(receipt ?? {}).match(CASE_IN_TEXT)?.[0] as string;
    expect(reference).toBeDefined();
    const audit = db().prepare('SELECT action FROM audit_log WHERE case_reference = ? ORDER BY id').all(reference);
    expect(audit).toEqual([{ action: 'cancel-now:requested' }, { action: 'cancel-now:done' }]);
    expect(db().prepare("SELECT status FROM subscriptions WHERE id = 'sub-fjordfika-1'").get()).toEqual({ status: 'CANCELLED' });
    expect(db().prepare("SELECT COUNT(*) AS n FROM subscription_changes WHERE subscription_id = 'sub-fjordfika-1'").get()).toEqual({ n: 1 });
  });

  it('English, plain channel: Lena reactivates; Karin is refused', async () => {
    const lena = await walk('e2e-en-lena', 'en-US', 'test', ['hello', 'Reactivate', ...answersOf(DEMO_CALLERS.lena), 'yes', 'yes']);
    const text = lena.map(replyText).join('\n');
    expect(text).toMatch(/Done\. Case reference: CX-/);
    expect(db().prepare("SELECT status FROM subscriptions WHERE id = 'sub-havsbris-1'").get()).toEqual({ status: 'ACTIVE' });

    const karin = await walk('e2e-en-karin', 'en-US', 'test', ['hello', 'Reactivate', ...answersOf(DEMO_CALLERS.karin), 'yes']);
    expect(karin.map(replyText).join('\n')).toContain("its data is being deleted (by 23 November 2026 at the latest) and it can't be reactivated.");
  });

  it('English: Olof fast-revokes with the code from his phone', async () => {
    await walk('e2e-en-olof', 'en-US', 'test', ['hello', 'Fast revoke', ...answersOf(DEMO_CALLERS.olof), 'yes', 'yes']);
    const code = otp.lastCode() as string;
    const replies = await walk('e2e-en-olof', 'en-US', 'test', [code, 'Vintergatan Bygg AB', 'Skip']);
    expect(replies.map(replyText).join('\n')).toMatch(/Done\. Case reference: CX-.*deleted by 25 November 2026/s);
    expect(db().prepare("SELECT status, data_deletion_at AS deletion FROM subscriptions WHERE id = 'sub-vintergatan-1'").get()).toEqual({ status: 'FAST_REVOKED', deletion: '2026-11-25' });
  });
});
