import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { describe, expect, it } from 'vitest';
import type { Language } from '../../src/i18n';
import { silentLogger } from '../../src/log';
import { createApp } from '../../src/server';
import { i18n, LOCALES, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { replyText, WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';
import { freshPostgresSchema, PG_URL } from '../support/postgres';
import { startTcpProxy } from '../support/tcpProxy';

/**
 * PostgreSQL going away under a running bot. The shared test server cannot be stopped (other files use it), so the bot
 * reaches it through a TCP proxy on loopback that can refuse (down), stall (hang) and forward again (up).
 */

/** The health probe's own budget is 1 s (src/server.ts); the rest is scheduling slack on a busy CI machine. */
const HEALTH_BUDGET_MS = 1_200;
const anna = DEMO_CALLERS.anna;
const [, phone, contactName, organisationName, postalAddress] = answersOf(anna);

/** The bot (restify on an ephemeral port) on a schema of its own, with its database connections through a proxy. */
async function startOutageRig(language: Language) {
  const target = new URL(PG_URL);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(PG_URL);
  viaProxy.host = `127.0.0.1:${proxy.port}`; // same user, database and parameters; only the host:port changes
  const database = freshPostgresSchema(viaProxy.toString());
  const connector = await startConnectorStub();
  const app = await createApp(testConfig({ storage: database.storage }), silentLogger, { now: () => NOW });
  const { url } = await app.listen();
  const conversationId = `outage-${randomUUID()}`;
  const t = i18n.getFixedT(language);

  /** One message; everything the bot said in reply to it (messages only), and the HTTP status. */
  async function say(text: string): Promise<{ status: number; said: string[]; ms: number }> {
    const before = connector.replies.length;
    const started = performance.now();
    const res = await fetch(`${url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale: LOCALES[language], channelId: 'test' })),
    });
    await res.arrayBuffer();
    const ms = performance.now() - started;
    const said = connector.replies.slice(before).filter((r) => r.activity.type === 'message').map((r) => replyText(r.activity));
    return { status: res.status, said, ms };
  }

  /** GET /healthz, timed by the wall clock. A probe that has not answered in 5 s counts as status 0. */
  async function health(): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      return { status: res.status, ms: performance.now() - started };
    } catch {
      return { status: 0, ms: performance.now() - started };
    }
  }

  /** Polls /healthz until it answers 200; how long that took. */
  async function untilHealthy(limitMs = 5_000): Promise<number> {
    const started = performance.now();
    for (;;) {
      const { status } = await health();
      const waited = performance.now() - started;
      if (status === 200) return waited;
      if (waited > limitMs) throw new Error(`/healthz still ${status} after ${Math.round(waited)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts a cancellation and answers the user ID question: the bot now waits for the phone number. */
  async function answerUpToPhone() {
    expect((await say(WORDS[language].cancel)).said.join('\n')).toContain(t('verify:ask.userId'));
    expect((await say(anna.userId)).said.join('\n')).toContain(t('verify:ask.phone'));
  }

  /** After the outage: the phone number (said again) is taken, and the rest of verification succeeds on the user ID given before it. */
  async function resumeAtPhone() {
    const again = await say(phone);
    expect(again.status).toBe(200);
    expect(again.said.join('\n')).toContain(t('verify:ask.contactName'));
    expect(again.said.join('\n')).not.toContain(t('errors:turn'));
    await say(contactName);
    await say(organisationName);
    expect((await say(postalAddress)).said.join('\n')).toContain(t('verify:ask.admin'));
    expect((await say(anna.admin[language])).said.join('\n')).toContain(t('verify:verifiedAdmin', { organisation: organisationName }));
  }

  return {
    proxy,
    schema: database.schema,
    t,
    say,
    health,
    untilHealthy,
    answerUpToPhone,
    resumeAtPhone,
    async close() {
      // The proxy first: whatever still waits on a stalled connection fails now instead of holding the pools open.
      await proxy.close();
      await app.close();
      await connector.close();
      await database.drop();
    },
  };
}

/** /healthz answers 503, by its own timeout, well before a load balancer's probe would give up. */
async function expectUnhealthyWithinBudget(rig: Awaited<ReturnType<typeof startOutageRig>>, timings: number[]) {
  const { status, ms } = await rig.health();
  timings.push(Math.round(ms));
  // Together, so a failure shows both: a probe without its own timeout answers late (or not at all: status 0).
  expect({ status, withinBudget: ms < HEALTH_BUDGET_MS, ms: Math.round(ms) }).toMatchObject({ status: 503, withinBudget: true });
}


describe.each(['sv', 'en'] as const)('PostgreSQL unavailable (%s)', (language) => {
  it('database down mid-verification: one apology, 503 health within 1 s, the process keeps serving, and recovery keeps the caller’s place', { timeout: 30_000 }, async () => {
    const rig = await startOutageRig(language);
    const healthMs: number[] = [];
    try {
      await rig.answerUpToPhone();
      expect((await rig.health()).status).toBe(200);

      rig.proxy.down();
      await expectUnhealthyWithinBudget(rig, healthMs);

      const during = await rig.say(phone);
      expect(during.status).toBe(200);
      // Exactly one reply, the apology, in the caller's language; not the next question.
      expect(during.said).toEqual([rig.t('errors:turn')]);

      // Still serving: another message is another apology (not a crash, not a hang), and the probe still answers.
      const again = await rig.say(phone);
      expect(again.status).toBe(200);
      expect(again.said).toEqual([rig.t('errors:turn')]);
      await expectUnhealthyWithinBudget(rig, healthMs);

      rig.proxy.up();
      await rig.untilHealthy();
      await rig.resumeAtPhone();
    } finally {
      await rig.close();
    }
  });

  it('database goes away while the turn’s save waits: the question already computed is not said, only the apology', { timeout: 30_000 }, async () => {
    const rig = await startOutageRig(language);
    const admin = new Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await rig.answerUpToPhone();
      // Writers wait, readers do not: the turn reads its state, runs the dialog (which asks the next question), and
      // then waits in its save; that is when the database goes away.
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE "${rig.schema}".bot_state IN EXCLUSIVE MODE`);
      const pending = rig.say(phone);
      const waitingStarted = performance.now();
      for (;;) {
        const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted', [`"${rig.schema}".bot_state`]);
        if (rows[0].n > 0) break;
        if (performance.now() - waitingStarted > 5_000) throw new Error('the turn never waited for its save');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      rig.proxy.down();
      await admin.query('ROLLBACK');

      const during = await pending;
      expect(during.status).toBe(200);
      expect(during.said).toEqual([rig.t('errors:turn')]);

      rig.proxy.up();
      await rig.untilHealthy();
      await rig.resumeAtPhone();
    } finally {
      await admin.query('ROLLBACK').catch(() => undefined);
      await admin.end();
      await rig.close();
    }
  });

  it('database hangs (a stalled network): /healthz still answers 503 within 1 s while a turn waits out the pg timeouts, then its apology, then recovery', { timeout: 60_000 }, async () => {
    const rig = await startOutageRig(language);
    const healthMs: number[] = [];
    try {
      await rig.answerUpToPhone();

      rig.proxy.hang();
      await expectUnhealthyWithinBudget(rig, healthMs);

      // The turn waits on connections that never answer (connectionTimeoutMillis 5 s, query_timeout 10 s); meanwhile
      // the server keeps answering its probe on time.
      let settled = false;
      const pending = rig.say(phone).finally(() => (settled = true));
      while (!settled) {
        await expectUnhealthyWithinBudget(rig, healthMs);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const during = await pending;
      expect(during.status).toBe(200);
      expect(during.said).toEqual([rig.t('errors:turn')]);
      // Inside a channel's 15-second budget: the apology must arrive before the channel gives up on the turn.
      expect(during.ms).toBeLessThan(15_000);
      await expectUnhealthyWithinBudget(rig, healthMs);

      rig.proxy.up();
      await rig.untilHealthy();
      await rig.resumeAtPhone();
    } finally {
      await rig.close();
    }
  });
});
