import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { addAgent } from '../../src/tools/agentAdd';
import { hashApiKey } from '../../src/console/auth/sessions';
import { CHART_JS_PATH, csvCell } from '../../src/console/insightsRoutes';
import type { Insights } from '../../src/insights/computeInsights';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';
import { WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';

/**
 * The insights page over real HTTP: closed without a session or an integration's key; real conversations through the
 * bot (a cancellation with feedback, a caller who is not an administrator, one who stops half-way through the
 * questions, one who asks for a person and is taken by an agent) show up in /api/insights and the CSV with the numbers
 * they should give — and the events table holds nothing of the callers. Malformed filters are refused with 400.
 */
const PASSWORD = 'correct horse battery staple';
const API_KEY = 'insights-key-0123456789abcdef0123456789';
const en = i18n.getFixedT('en');

describe('insights over HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'insights-'));
  const accountsFile = join(dir, 'agents.json');
  const path = join(dir, 'bot.sqlite');
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  let cookie: string;

  beforeAll(async () => {
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    connector = await startConnectorStub();
    const config = testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, apiKeys: [{ name: 'reports', hash: hashApiKey(API_KEY) }] } }, silentLogger, { now: () => NOW });
    url = (await app.listen()).url;
    cookie = await signIn();
  }, 60_000);

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn(): Promise<string> {
    const page = await fetch(`${url}/agent/login`);
    const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('agent_login_csrf='))?.split(';')[0] ?? '';
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const res = await fetch(`${url}/agent/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ id: 'maja', password: PASSWORD, _csrf: csrf }).toString() });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie().find((c) => c.startsWith('agent_session='))?.split(';')[0] ?? '';
  }

  async function say(conversation: string, locale: string, ...texts: string[]): Promise<void> {
    for (const text of texts) {
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversation, { type: 'message', text, locale })) });
      expect(res.status).toBe(200);
    }
  }

  const api = async (query = '', headers: Record<string, string> = { cookie }) => fetch(`${url}/api/insights${query}`, { headers });

  it('is closed without a session or a key: the page and the CSV go to the sign-in, the API says 401', async () => {
    for (const path of ['/agent/insights', '/agent/insights.csv']) {
      const res = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe('/agent/login');
    }
    expect((await api('', {})).status).toBe(401);
    expect((await api('', { authorization: 'Bearer not-the-key-at-all' })).status).toBe(401);
    // The integration's key opens the API, and only the API.
    expect((await api('', { authorization: `Bearer ${API_KEY}` })).status).toBe(200);
    expect((await fetch(`${url}/agent/insights.csv`, { redirect: 'manual', headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(303);
  });

  it('real conversations show up in the figures, and nothing in the events table says who the callers were', async () => {
    const sv = WORDS.sv;
    // Anna cancels at the end of the term (9 messages to the receipt) and says why: "too expensive".
    await say('insights-anna', 'sv-SE', sv.cancel, ...answersOf(DEMO_CALLERS.anna), sv.yes, sv.endOfTerm, sv.yes, sv.price, sv.skip);
    // Sara is verified, but not as an administrator: refused (ID-2).
    await say('insights-sara', 'sv-SE', sv.cancel, ...answersOf(DEMO_CALLERS.sara), sv.yes);
    // Someone gives the user ID and leaves at the phone question.
    await say('insights-stops', 'sv-SE', sv.cancel, DEMO_CALLERS.anna.userId);
    // An English caller asks for a person; Maja takes the hand-off in the console.
    await say('insights-person', 'en-US', 'I want to talk to a person');
    const [entry] = (await app.runtime.liveHandoffs.queue.list({ status: 'waiting' })).filter((e) => e.conversationKey === 'webchat/insights-person');
    expect(entry).toBeDefined();
    const view = await (await fetch(`${url}/agent/handoffs/${entry.id}`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(view)?.[1] ?? '';
    const take = await fetch(`${url}/agent/handoffs/${entry.id}/take`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }).toString() });
    expect(take.headers.get('location')).toBe(`/agent/handoffs/${entry.id}`);

    // The default period is the last 28 days up to today: these conversations are in it.
    const res = await api();
    expect(res.status).toBe(200);
    const insights = (await res.json()) as Insights;
    expect(insights.filter.language).toBe('all');
    expect(insights.conversations.total).toBe(4);
    expect(insights.conversations.byLanguage).toEqual({ sv: 3, en: 1 });
    expect(insights.conversations.perDay.at(-1)).toEqual({ day: new Date().toISOString().slice(0, 10), conversations: 4 });
    expect(insights.containment).toEqual({ conversations: 4, contained: 3, handedOver: 1, rate: 0.75 });
    expect(insights.handoffs.byReason.find((r) => r.reason === 'caller-asked')).toEqual({ reason: 'caller-asked', handoffs: 1, conversations: 1, rate: 0.25 });
    expect(insights.verification.started).toBe(3);
    expect(insights.verification.outcomes).toEqual({ verified: 2, rejected: 0, locked: 0, abandoned: 1 });
    expect(insights.verification.funnel.slice(0, 3)).toEqual([
      { question: 'userId', reached: 3, abandoned: 0 },
      { question: 'phone', reached: 3, abandoned: 1 },
      { question: 'contactName', reached: 2, abandoned: 0 },
    ]);
    expect(insights.actions.byKind.filter((a) => a.actions > 0)).toEqual([{ action: 'turn-off-auto-renew', actions: 1 }]);
    expect(insights.refusals.byReason).toEqual([{ reason: 'not-admin', rules: ['ID-2', 'AS-3'], refusals: 1 }]);
    expect(insights.refusals.byRule).toEqual([{ rule: 'ID-2', refusals: 1 }]);
    expect(insights.feedback.byReason.filter((r) => r.answers > 0)).toEqual([{ reason: 'price', answers: 1 }]);
    expect(insights.timeToReceipt.action).toMatchObject({ count: 1, medianMessages: 9 });
    expect(insights.timeToReceipt.handoff).toMatchObject({ count: 1, medianMessages: 1 });
    expect(insights.agentResponse.taken).toBe(1);

    // The language filter: the English conversation alone.
    const english = (await (await api('?language=en')).json()) as Insights;
    expect(english.conversations.total).toBe(1);
    expect(english.containment).toEqual({ conversations: 1, contained: 0, handedOver: 1, rate: 0 });
    // The integration's key gets the same numbers.
    expect(await (await api('', { authorization: `Bearer ${API_KEY}` })).json()).toEqual(insights);

    // Nothing personal in the table: no user ID, phone number, name, organisation, address or conversation ID.
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM insights_events').all();
      expect(rows.length).toBeGreaterThan(20);
      const table = JSON.stringify(rows).toLowerCase();
      for (const caller of [DEMO_CALLERS.anna, DEMO_CALLERS.sara]) {
        for (const detail of [caller.userId, caller.phone, '701234567', caller.contactName, 'lindqvist', 'holm', caller.organisationName, 'fjordfika', 'storgatan', '114 55']) expect(table, detail).not.toContain(detail.toLowerCase());
      }
      for (const conversation of ['insights-anna', 'insights-sara', 'insights-stops', 'insights-person']) expect(table).not.toContain(conversation);
      expect(Object.keys(rows[0] as object).sort()).toEqual(['at', 'channel', 'conversation', 'data', 'demo', 'id', 'kind', 'language']);
    } finally {
      db.close();
    }
  });

  it('the CSV has the same figures, as an attachment, one figure a line', async () => {
    const res = await fetch(`${url}/agent/insights.csv?language=all`, { headers: { cookie, 'accept-language': 'en' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    const from = new Date(Date.now() - 27 * 86_400_000).toISOString().slice(0, 10);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="insights-${from}-${today}-all.csv"`);
    const text = await res.text();
    const lines = text.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('Figure,Item,Label,Value');
    expect(lines).toContain(`period,from,From,${from}`);
    expect(lines).toContain('conversations,total,Total,4');
    expect(lines).toContain(`actions,turn-off-auto-renew,${en('insights:action.turn-off-auto-renew')},1`);
    expect(lines).toContain('containment,rate,Share,0.75');
    expect(lines).toContain('refusals-by-reason,not-admin,"Not an administrator (ID-2, AS-3)",1');
    expect(lines).toContain('time-to-receipt,action-median-messages,Changes made: Median messages,9');
    expect(lines).toContain(`conversations-per-day,${today},Conversations,4`);
  });

  it('CSV cells are quoted when they must be, and never start a formula', () => {
    expect(csvCell('=HYPERLINK("http://evil.test","click")')).toBe(`"'=HYPERLINK(""http://evil.test"",""click"")"`);
    expect(csvCell('+46 70')).toBe("'+46 70");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(0.75)).toBe('0.75');
    expect(csvCell(null)).toBe('');
  });

  it('refuses a malformed filter with 400, on the page, the CSV and the API alike', async () => {
    const malformed = ['?from=2026-13-01', '?from=2026-02-30', '?from=2026-11-10&to=2026-11-01', '?from=2025-01-01&to=2026-11-01', '?language=de', '?from=2026-11-01&from=2026-11-02', '?to=yesterday'];
    for (const query of malformed) {
      expect((await api(query)).status, `api ${query}`).toBe(400);
      expect(await (await api(query)).json()).toEqual({ error: 'InvalidFilter' });
      expect((await fetch(`${url}/agent/insights.csv${query}`, { headers: { cookie } })).status, `csv ${query}`).toBe(400);
      const page = await fetch(`${url}/agent/insights${query}`, { headers: { cookie, 'accept-language': 'en' } });
      expect(page.status, `page ${query}`).toBe(400);
      expect(await page.text()).toContain(en('insights:filter.invalid'));
    }
    // A whole year, and an explicit period with a language, are fine.
    expect((await api('?from=2025-11-02&to=2026-11-02')).status).toBe(200);
    const explicit = (await (await api('?from=2026-11-01&to=2026-11-07&language=sv')).json()) as Insights;
    expect(explicit.filter).toEqual({ from: '2026-11-01', to: '2026-11-07', language: 'sv' });
    expect(explicit.conversations.perDay).toHaveLength(7);
  });

  it('the page has a chart (and a table) per figure, its data as JSON, and Chart.js served by the bot', async () => {
    const res = await fetch(`${url}/agent/insights`, { headers: { cookie, 'accept-language': 'en' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain(`<a href="/agent/insights">${en('insights:nav')}</a>`);
    for (const chart of ['perDay', 'containment', 'handoffs', 'verification', 'funnel', 'actions', 'refusals', 'feedback', 'languages']) {
      expect(html, chart).toContain(`<canvas id="chart-${chart}" role="img"`);
    }
    expect(html.match(/<table/g)?.length).toBe(12);
    const data = /<script type="application\/json" id="insights-charts">([^<]*)<\/script>/.exec(html)?.[1];
    expect(JSON.parse(data ?? 'null').actions.datasets[0].data).toEqual([1, 0, 0, 0]);
    expect(html).toContain(`<script src="${CHART_JS_PATH}" defer></script>`);
    expect(html).not.toMatch(/<script>(?!<)/); // no inline script: the CSP would block it
    const chartJs = await fetch(`${url}${CHART_JS_PATH}`);
    expect(chartJs.status).toBe(200);
    expect(chartJs.headers.get('content-type')).toContain('javascript');
    expect(await chartJs.text()).toContain('Chart');
    expect((await fetch(`${url}/agent/assets/insights.js`)).status).toBe(200);
  });
});
