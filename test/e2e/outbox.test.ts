import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { createLogger } from '../../src/log';
import type { Language } from '../../src/i18n';
import { switchableSubscriptions } from '../support/billing';
import { i18n, LOCALES, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { CASE_IN_TEXT, replyText, WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, or fails after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await sleep(100);
  }
}

/** A bot over HTTP on its own SQLite file, with a quick outbox worker and, when asked, a billing system that can be switched off. */
async function startBot(options: { intervalMs: number; switchableBilling?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  const path = join(dir, 'bot.sqlite');
  const connector = await startConnectorStub();
  /** The bot's log, kept so that a failure can say what the outbox did. */
  const events: string[] = [];
  const switchable = options.switchableBilling ? switchableSubscriptions(path) : undefined;
  const billing = switchable?.billing ?? { down: false };
  const subscriptions = switchable?.subscriptions;
  const app: App = await createApp(testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, outbox: { intervalMs: options.intervalMs, maxAgeHours: 24, graceMs: 1_500 } }), createLogger('info', (line) => events.push(line)), { now: () => NOW, subscriptions });
  const { url } = await app.listen();
  const say = async (conversationId: string, language: Language, text: string) => {
    const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale: LOCALES[language] })) });
    expect(res.status).toBe(200);
  };
  const db = () => new Database(path, { readonly: true });
  return {
    app,
    connector,
    billing,
    outboxEvents: () => events.filter((line) => /"event":"(?:outbox|turn)\./.test(line)).map((line) => line.slice(0, 300)),
    say,
    texts: (conversationId: string) => connector.replies.filter((r) => r.activity.conversation?.id === conversationId && r.activity.type === 'message').map((r) => replyText(r.activity)),
    outboxRows: () => {
      const handle = db();
      try {
        return handle.prepare('SELECT * FROM outbox').all();
      } finally {
        handle.close();
      }
    },
    caseRows: () => {
      const handle = db();
      try {
        return handle.prepare<[], { reference: string; kind: string; status: string }>('SELECT reference, kind, status FROM cases ORDER BY created_at').all();
      } finally {
        handle.close();
      }
    },
    close: async () => {
      await app.close();
      await connector.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Bot = Awaited<ReturnType<typeof startBot>>;

/** Anna verified, cancelling at the end of the term, at "shall I?". */
async function upToTheConfirmation(bot: Bot, id: string, language: Language) {
  for (const text of [WORDS[language].cancel, ...answersOf(DEMO_CALLERS.anna), WORDS[language].yes, WORDS[language].endOfTerm]) await bot.say(id, language, text);
  expect(bot.texts(id).at(-1)).toBe(i18n.getFixedT(language)('cancel:confirmEndOfTerm'));
}

describe('receipts the connector does not take in the turn come from the outbox', () => {
  let bot: Bot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  it('the connector fails for a minute after the action: the receipt arrives once it is back, once', { timeout: 120_000 }, async () => {
    bot = await startBot({ intervalMs: 500 });
    const id = 'connector-down-a-minute';
    await upToTheConfirmation(bot, id, 'en');
    bot.connector.control.failWith = 503;
    const downSince = Date.now();
    await bot.say(id, 'en', 'yes');
    // The change is made and its case done; the caller has not read it: the outbox owes it.
    expect(bot.caseRows()).toEqual([expect.objectContaining({ kind: 'action', status: 'done' })]);
    expect(bot.texts(id).join('\n')).not.toMatch(CASE_IN_TEXT);
    expect(await bot.app.runtime.outbox.counts()).toEqual({ pending: 1, failed: 0 });

    // A minute of refusals, the worker trying all along.
    while (Date.now() - downSince < 60_000) await sleep(1_000);
    const refusedWhileDown = bot.connector.control.refused;
    expect(refusedWhileDown).toBeGreaterThan(5);
    expect(bot.texts(id).join('\n')).not.toMatch(CASE_IN_TEXT);

    bot.connector.control.failWith = undefined;
    // Within the worker's longest wait (twelve intervals) plus one delivery with its own retries, with room for a busy CI.
    await eventually(() => CASE_IN_TEXT.test(bot!.texts(id).join('\n')), 30_000).catch((error: Error) => {
      throw new Error(`${error.message}; the outbox did:\n${bot!.outboxEvents().join('\n')}`);
    });
    const [{ reference }] = bot.caseRows();
    const receipts = bot.connector.replies.filter((r) => r.activity.conversation?.id === id && (r.activity.summary ?? '').includes(reference));
    expect(receipts).toHaveLength(1);
    // Whatever followed the receipt in the turn (the feedback question) came with it, in order, once.
    // The worker settles the entry once all of it is delivered: the receipt can be read a moment before that.
    await eventually(async () => JSON.stringify(await bot!.app.runtime.outbox.counts()) === JSON.stringify({ pending: 0, failed: 0 }), 10_000);
    const after = bot.texts(id).slice(bot.texts(id).findIndex((text) => text.includes(reference)));
    expect(new Set(after).size).toBe(after.length);
    await sleep(1_500);
    expect(bot.connector.replies.filter((r) => (r.activity.summary ?? '').includes(reference))).toHaveLength(1);
  });

  it('after the action the connector answers 412, 503, 429 without and with Retry-After, then 200: one receipt, nothing twice', async () => {
    bot = await startBot({ intervalMs: 60_000 });
    const id = 'connector-refuses-the-receipt';
    await upToTheConfirmation(bot, id, 'en');
    bot.connector.control.script.push({ status: 412 }, { status: 503 }, { status: 429 }, { status: 429, headers: { 'retry-after': '1' } });
    await bot.say(id, 'en', 'yes');
    const [{ reference }] = bot.caseRows();
    expect(bot.connector.control.refused).toBe(4);
    // Four tries in the turn, all refused: the receipt waits in the outbox, due at once, and goes with the next pass.
    expect(await bot.app.runtime.outbox.counts()).toEqual({ pending: 1, failed: 0 });
    expect(await bot.app.deliverOutbox()).toBe(1);
    // It was then taken once, and what followed it once.
    expect(bot.connector.replies.filter((r) => (r.activity.summary ?? '').includes(reference))).toHaveLength(1);
    const after = bot.texts(id).slice(bot.texts(id).findIndex((text) => text.includes(reference)));
    expect(after.length).toBeGreaterThan(1);
    expect(new Set(after).size).toBe(after.length);
    expect(await bot.app.runtime.outbox.counts()).toEqual({ pending: 0, failed: 0 });
  });

  it('a 500 after the action is not sent again (the connector may have posted it): kept as failed for a person', async () => {
    bot = await startBot({ intervalMs: 200 });
    const id = 'connector-500';
    await upToTheConfirmation(bot, id, 'sv');
    bot.connector.control.failWith = 500;
    await bot.say(id, 'sv', 'ja');
    bot.connector.control.failWith = undefined;
    await bot.app.deliverOutbox();
    await sleep(600);
    expect(bot.connector.control.refused).toBe(1);
    expect(await bot.app.runtime.outbox.counts()).toEqual({ pending: 0, failed: 1 });
    // Kept for a person, without the caller's display name (the channel's "from.name"): only where to reach them.
    const stored = JSON.stringify(bot.outboxRows());
    expect(stored).toMatch(CASE_IN_TEXT);
    expect(stored).not.toContain('Caller');
  });
});

describe.each(['sv', 'en'] as const)('a change the billing system could not make is finished later (%s)', (language) => {
  let bot: Bot | undefined;
  afterEach(async () => {
    await bot?.close();
    bot = undefined;
  });

  it('handed over with the case pending; once billing is back, the worker makes the change once and tells the caller here', async () => {
    bot = await startBot({ intervalMs: 200, switchableBilling: true });
    const t = i18n.getFixedT(language);
    const id = `billing-down-${language}`;
    await upToTheConfirmation(bot, id, language);
    bot.billing.down = true;
    await bot.say(id, language, WORDS[language].yes);
    expect(bot.texts(id).at(-1)).toBe(t('action:unavailable'));
    await bot.say(id, language, WORDS[language].yes); // try again: still down → a colleague, and the assistant keeps trying
    const said = bot.texts(id).join('\n');
    expect(said).toContain(t('action:handedOver'));
    expect(said).toContain(t('action:willKeepTrying'));
    const pending = bot.caseRows().find((row) => row.kind === 'action');
    expect(pending?.status).toBe('pending');

    // Still down: the worker keeps trying, nothing is said, the entry waits.
    await sleep(1_000);
    expect(bot.texts(id).join('\n')).not.toContain(t('action:followUp.done'));
    expect(await bot.app.runtime.outbox.counts()).toEqual({ pending: 1, failed: 0 });
    expect(bot.caseRows().find((row) => row.kind === 'action')?.status).toBe('pending');

    bot.billing.down = false;
    // The follow-up and its receipt are two messages: both, however far apart a busy machine delivers them.
    await eventually(() => bot!.texts(id).join('\n').includes(t('action:followUp.done')) && bot!.texts(id).join('\n').includes(pending!.reference), 20_000).catch((error: Error) => {
      throw new Error(`${error.message}; the outbox did:\n${bot!.outboxEvents().join('\n')}`);
    });
    const after = bot.texts(id).join('\n');
    expect(after).toContain(pending!.reference);
    expect(bot.caseRows().find((row) => row.reference === pending!.reference)?.status).toBe('done');
    await eventually(async () => JSON.stringify(await bot!.app.runtime.outbox.counts()) === JSON.stringify({ pending: 0, failed: 0 }), 10_000);
    // Said once, whatever the worker does next.
    await sleep(600);
    expect(bot.texts(id).filter((text) => text.includes(t('action:followUp.done')))).toHaveLength(1);
  });
});
