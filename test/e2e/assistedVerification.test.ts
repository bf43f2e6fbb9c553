import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { addAgent } from '../../src/tools/agentAdd';
import { assistedIdempotencyKey } from '../../src/console/assistedRoutes';
import type { Language } from '../../src/i18n';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';
import { switchableSubscriptions } from '../support/billing';
import { recordingOtpSender, WORDS } from '../support/conversation';
import { answersOf, DEMO_CALLERS, type DemoCaller } from '../support/demoCallers';

/**
 * Agent-assisted verification over real HTTP (issue 12): an agent signed in to the console verifies a caller on the
 * phone with the six items, under the very lockout the chat uses (ID-3: failures in either lock the other), and carries
 * out what the caller asks through the same policy and actions; the case and its audit say agent-assisted, and which
 * agent. Nothing without a session or a CSRF token, and a call is only its own agent's.
 */
const PASSWORD = 'correct horse battery staple';
const CASE_REFERENCE = /CX-[2346789A-Z]{4}-[2346789]{2}/;
const WRONG = { userId: 'someone.else@example.se', phone: '070-000 00 00', contactName: 'Lena Ekström', organisationName: 'Havsbris Konsult AB', postalAddress: 'Strandvägen 7, 451 30 Uddevalla' };

describe('agent-assisted verification in the console', () => {
  const dir = mkdtempSync(join(tmpdir(), 'assisted-'));
  const accountsFile = join(dir, 'agents.json');
  const path = join(dir, 'bot.sqlite');
  const { subscriptions, billing } = switchableSubscriptions(path);
  const otp = recordingOtpSender();
  let clock = NOW;
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD });
    await addAgent({ file: accountsFile, id: 'olle', displayName: 'Olle', password: PASSWORD });
    connector = await startConnectorStub();
    const config = testConfig({ storage: { kind: 'sqlite', path }, sqlitePath: path, outbox: { intervalMs: 600_000, maxAgeHours: 24, graceMs: 600_000 } });
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile, apiKeys: [] } }, silentLogger, { now: () => clock, subscriptions, otpSender: otp.sender });
    url = (await app.listen()).url;
    sessions.maja = await signIn('maja');
    sessions.olle = await signIn('olle');
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  const alerts = (html: string) => [...html.matchAll(/<p class="notice alert" role="alert">([^<]*)<\/p>/g)].map((m) => m[1]);
  const text = (html: string) => html.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const tr = (language: Language) => i18n.getFixedT(language);
  /** The words of a translation up to its first placeholder, for texts whose placeholder holds a time. */
  const lead = (language: Language, key: string) => tr(language)(key, { until: '\u0000', minutes: '\u0000' }).split('\u0000')[0];

  async function signIn(id: string): Promise<string> {
    const page = await fetch(`${url}/agent/login`);
    const loginCookie = page.headers.getSetCookie().find((c) => c.startsWith('agent_login_csrf='))?.split(';')[0] ?? '';
    const form = new URLSearchParams({ id, password: PASSWORD, _csrf: field(await page.text(), '_csrf') });
    const res = await fetch(`${url}/agent/login`, { method: 'POST', redirect: 'manual', headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(res.status).toBe(303);
    return res.headers.getSetCookie().find((c) => c.startsWith('agent_session='))?.split(';')[0] ?? '';
  }

  const get = (path: string, agent = 'maja', language: Language = 'en') => fetch(`${url}${path}`, { redirect: 'manual', headers: { cookie: sessions[agent] ?? '', 'accept-language': language } });
  const post = (path: string, fields: Record<string, string>, agent = 'maja', language: Language = 'en') =>
    fetch(`${url}${path}`, { method: 'POST', redirect: 'manual', headers: { cookie: sessions[agent] ?? '', 'content-type': 'application/x-www-form-urlencoded', 'accept-language': language }, body: new URLSearchParams(fields).toString() });

  /** Opens the verification form and sends the six items: the response, and the call id and token the form carried. */
  async function verify(caller: DemoCaller, options: { language?: Language; change?: Partial<Record<keyof typeof WRONG, string>>; admin?: 'yes' | 'no'; agent?: string; callId?: string } = {}) {
    const language = options.language ?? 'en';
    const form = await (await get('/agent/verify', options.agent, language)).text();
    const callId = options.callId ?? field(form, 'callId');
    const csrf = field(form, '_csrf');
    const { userId, phone, contactName, organisationName, postalAddress } = { ...caller, ...options.change };
    const res = await post('/agent/verify', { _csrf: csrf, callId, userId, phone, contactName, organisationName, postalAddress, claimsAdmin: options.admin ?? 'yes' }, options.agent, language);
    return { res, callId, csrf, html: res.status === 200 ? await res.text() : '' };
  }

  async function verifiedCall(caller: DemoCaller, language: Language = 'en', agent = 'maja') {
    const { res, callId, csrf } = await verify(caller, { language, agent });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/agent/calls/${callId}`);
    return { callId, csrf };
  }

  /** The confirmation page of an action, and the fields its forms carry. */
  async function confirmation(callId: string, subscription: string, action: string, language: Language = 'en') {
    const html = await (await get(`/agent/calls/${callId}/confirm?subscription=${subscription}&action=${action}`, 'maja', language)).text();
    return { html, round: field(html, 'round'), csrf: field(html, '_csrf') };
  }

  /** A chat conversation over /api/messages, the replies collected at the connector stub. */
  async function chat(conversation: string, texts: string[]) {
    for (const message of texts) {
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversation, { type: 'message', text: message, locale: 'sv-SE' })) });
      expect(res.status).toBe(200);
    }
    return connector.textsFor(conversation);
  }

  function verificationAudit(): Array<{ caller: string; channel: string; details: Record<string, unknown> }> {
    const db = new Database(path, { readonly: true });
    try {
      const rows = db.prepare<[], { caller: string; channel: string; details: string }>("SELECT caller, channel, details FROM audit_log WHERE action = 'agent:assisted-verification' ORDER BY id").all();
      return rows.map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
    } finally {
      db.close();
    }
  }

  it('is closed without a session: the pages redirect to the sign-in, and so does a form', async () => {
    for (const path of ['/agent/verify', '/agent/calls/abcdefghijklmnopqrstuvwx', '/agent/calls/abcdefghijklmnopqrstuvwx/confirm?subscription=s&action=reactivate']) {
      const res = await fetch(`${url}${path}`, { redirect: 'manual' });
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe('/agent/login');
    }
    const form = await fetch(`${url}/agent/verify`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'userId=anna.lindqvist%40fjordfika.se' });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe('/agent/login');
  });

  it('refuses a form without its CSRF token, and counts nothing', async () => {
    const { userId, phone, contactName, organisationName, postalAddress } = DEMO_CALLERS.anna;
    const res = await post('/agent/verify', { callId: 'abcdefghijklmnopqrstuvwx', userId, phone, contactName, organisationName, postalAddress, claimsAdmin: 'yes' });
    expect(res.status).toBe(403);
    expect(verificationAudit()).toEqual([]);
  });

  it('the console links to it, in the agent\'s language', async () => {
    for (const language of ['sv', 'en'] as const) {
      const html = text(await (await get('/agent', 'maja', language)).text());
      expect(html).toContain(`<a href="/agent/verify">${tr(language)('assisted:nav')}</a>`);
      const form = text(await (await get('/agent/verify', 'maja', language)).text());
      for (const item of ['userId', 'phone', 'contactName', 'organisationName', 'postalAddress', 'claimsAdmin']) expect(form).toContain(tr(language)(`assisted:verify.${item}`));
    }
  });

  it('verifies an admin; turns off auto-renew once however often it is posted; the case and audit say agent-assisted, by maja', async () => {
    const { callId } = await verifiedCall(DEMO_CALLERS.anna);
    const t = tr('en');
    const call = text(await (await get(`/agent/calls/${callId}`)).text());
    expect(call).toContain('Fjordfika AB');
    expect(call).toContain('a***@fjordfika.se');
    // What the policy allows now, with dates, and what it does not, with the reason and the rule IDs.
    expect(call).toContain(`/agent/calls/${callId}/confirm?subscription=sub-fjordfika-1&action=turn-off-auto-renew`);
    expect(call).toContain(t('assisted:effect.turn-off-auto-renew', { endsOn: '12 December 2026' }));
    expect(call).toContain(`${t('assisted:refused.not-needed')} <span class="rules">${t('assisted:call.rules', { rules: 'RE-1' })}</span>`);

    const { html, round } = await confirmation(callId, 'sub-fjordfika-1', 'turn-off-auto-renew');
    expect(text(html)).toContain(t('assisted:confirm.endOfTerm', { date: '12 December 2026', term: t('assisted:confirm.term.month') }));
    const form = { _csrf: field(html, '_csrf'), subscription: 'sub-fjordfika-1', action: 'turn-off-auto-renew', round };

    // A double submit: the same confirmation twice, at once and again after — one case, one change.
    const [first, second] = await Promise.all([post(`/agent/calls/${callId}/act`, form), post(`/agent/calls/${callId}/act`, form)]);
    const third = await post(`/agent/calls/${callId}/act`, form);
    const pages = await Promise.all([first, second, third].map(async (res) => ({ status: res.status, html: await res.text() })));
    const references = pages.map((p) => p.html.match(CASE_REFERENCE)?.[0]);
    expect(pages.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(new Set(references).size).toBe(1);
    expect(references[0]).toBeDefined();
    expect(pages[2].html).toContain(t('assisted:outcome.alreadyDone', { reference: references[0] }));

    const account = await app.runtime.directory.findAccount('acc-fjordfika');
    expect(account?.subscriptions[0].facts.autoRenew).toBe(false);
    const supportCase = await app.runtime.cases.findCase(references[0] as string);
    expect(supportCase).toMatchObject({ status: 'done', action: 'turn-off-auto-renew', channel: 'agent-console', details: { agentAssisted: true, assistedBy: 'agent:maja' } });
    const audit = await app.runtime.cases.auditFor(references[0] as string);
    expect(audit.map((record) => record.action)).toEqual(['turn-off-auto-renew:requested', 'turn-off-auto-renew:done']);
    for (const record of audit) expect(record).toMatchObject({ caller: 'a***@fjordfika.se', channel: 'agent-console', details: { agentAssisted: true, assistedBy: 'agent:maja' } });

    // The verification itself is in the audit under maja's name, with the masked user ID and no other answer.
    const verified = verificationAudit().find((record) => record.details.callId === callId);
    expect(verified).toMatchObject({ caller: 'agent:maja', channel: 'agent-console', details: { outcome: 'verified', userId: 'a***@fjordfika.se', isAdmin: true } });
    const recorded = JSON.stringify(verified);
    for (const answer of answersOf(DEMO_CALLERS.anna)) expect(recorded).not.toContain(answer);
  });

  it('a fast revoke asks what the chat asks: fees and irreversibility accepted, a code by SMS, the organisation\'s name', async () => {
    const { callId } = await verifiedCall(DEMO_CALLERS.anna, 'sv');
    const t = tr('sv');
    const { html, round, csrf } = await confirmation(callId, 'sub-fjordfika-1', 'fast-revoke', 'sv');
    expect(text(html)).toContain(t('assisted:confirm.saveData', { date: '25 november 2026' }));
    expect(text(html)).toContain(t('assisted:confirm.codeIntro', { last: '67' }));
    const step = { _csrf: csrf, subscription: 'sub-fjordfika-1', action: 'fast-revoke', round };
    const all = { ...step, fees: 'yes', irreversible: 'yes', organisationName: 'Fjordfika AB' };
    const act = async (fields: Record<string, string>) => text(await (await post(`/agent/calls/${callId}/act`, fields, 'maja', 'sv')).text());

    expect(await act({ ...all, code: '000000' })).toContain(t('assisted:confirm.needCode'));
    const sent = otp.sent.length;
    expect((await post(`/agent/calls/${callId}/code`, step, 'maja', 'sv')).status).toBe(303);
    expect(otp.sent.slice(sent)).toEqual([{ to: '+46701234567', text: expect.stringContaining(otp.lastCode() as string) }]);
    const code = otp.lastCode() as string;
    expect(await act({ ...step, irreversible: 'yes', organisationName: 'Fjordfika AB', code })).toContain(t('assisted:confirm.missing'));
    expect(await act({ ...all, code: code === '123456' ? '654321' : '123456' })).toContain(t('assisted:confirm.wrongCode'));
    expect(await act({ ...all, code, organisationName: 'Fjordfisk AB' })).toContain(t('assisted:confirm.wrongName'));
    expect((await app.runtime.directory.findAccount('acc-fjordfika'))?.subscriptions[0].facts.status).toBe('ACTIVE');

    const done = await act({ ...all, code });
    const reference = done.match(CASE_REFERENCE)?.[0] as string;
    expect(done).toContain(t('assisted:outcome.done', { reference }));
    expect((await app.runtime.directory.findAccount('acc-fjordfika'))?.subscriptions[0].facts.status).toBe('FAST_REVOKED');
    expect(await app.runtime.cases.findCase(reference)).toMatchObject({ action: 'fast-revoke', details: { agentAssisted: true, assistedBy: 'agent:maja' } });
  });

  it('a verified non-admin gets no action, with the reason (ID-2), in Swedish', async () => {
    const { callId, csrf } = await verifiedCall(DEMO_CALLERS.sara, 'sv');
    const t = tr('sv');
    const call = text(await (await get(`/agent/calls/${callId}`, 'maja', 'sv')).text());
    expect(call).toContain(t('assisted:call.notAdmin', { organisation: 'Fjordfika AB' }));
    expect(call).toContain(t('assisted:call.rules', { rules: 'ID-2' }));
    expect(call).not.toContain('/confirm?');
    // Neither the confirmation step nor a forged post acts for them.
    expect(await (await get(`/agent/calls/${callId}/confirm?subscription=sub-fjordfika-1&action=turn-off-auto-renew`, 'maja', 'sv')).text()).not.toContain('name="round"');
    const forged = await post(`/agent/calls/${callId}/act`, { _csrf: csrf, subscription: 'sub-fjordfika-1', action: 'reactivate', round: 'made-up' }, 'maja', 'sv');
    expect(text(await forged.text())).toContain(t('assisted:call.outOfDate'));
    expect(await app.runtime.cases.findByIdempotencyKey(assistedIdempotencyKey(callId, 'sub-fjordfika-1', 'reactivate', 'made-up'))).toBeUndefined();
  });

  it('wrong answers: the same "not verified" whichever item was wrong, never which one', async () => {
    const callers = [DEMO_CALLERS.james, DEMO_CALLERS.olof, DEMO_CALLERS.maria, DEMO_CALLERS.lena, DEMO_CALLERS.erik];
    const items = Object.keys(WRONG) as Array<keyof typeof WRONG>;
    for (const language of ['en', 'sv'] as const) {
      const said = new Set<string>();
      for (const [index, item] of items.entries()) {
        const { res, html } = await verify(callers[index], { language, change: { [item]: WRONG[item] } });
        expect(res.status).toBe(200);
        expect(html).not.toContain('aria-invalid');
        said.add(JSON.stringify(alerts(text(html))));
      }
      const attemptsLeft = language === 'en' ? 2 : 1;
      expect([...said]).toEqual([JSON.stringify([tr(language)('assisted:verify.rejected', { count: attemptsLeft })])]);
    }
    // Each was a counted attempt, in the audit under the agent's name.
    expect(verificationAudit().filter((record) => record.details.outcome === 'rejected')).toHaveLength(10);
  });

  it('a malformed answer is shown again with a format message and is not counted', async () => {
    const t = tr('en');
    for (let i = 0; i < 4; i++) {
      const { res, html } = await verify(DEMO_CALLERS.ulf, { change: { phone: 'not a number', postalAddress: 'Sundsvall' } });
      expect(res.status).toBe(200);
      expect(text(html)).toContain(t('assisted:format.phone'));
      expect(text(html)).toContain(t('assisted:format.postalAddress'));
      expect(text(html)).not.toContain(t('assisted:format.contactName'));
      expect(html).toContain('value="ulf.berg@tallmo.se"');
    }
    // Four malformed tries, and the real one still gets through: none of them counted (ID-3 allows three misses).
    const { callId } = await verifiedCall(DEMO_CALLERS.ulf);
    // 25 licences: an early cancellation or fast revoke is not one of these actions (EARLY-5, FR-3, AS-2); the page says why.
    const call = text(await (await get(`/agent/calls/${callId}`)).text());
    expect(call).toContain(t('assisted:refused.needs-human-agent', { licences: 25, threshold: 25 }));
    expect(call).toMatch(/EARLY-5/);
    expect(call).toContain(t('assisted:refused.too-many-licences', { licences: 25, threshold: 25 }));
    expect(call).toContain(`action=turn-off-auto-renew`);
    expect(call).not.toContain('action=cancel-now');
  });

  it('the lockout is shared: failures in the console lock the same user ID in the chat', async () => {
    const peter = DEMO_CALLERS.peter;
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await verify(peter, { language: 'sv', change: { phone: WRONG.phone } }));
    expect(alerts(text(results[1].html))).toEqual([tr('sv')('assisted:verify.rejected', { count: 1 })]);
    expect(alerts(text(results[2].html))[0]).toContain(lead('sv', 'assisted:verify.locked'));
    // The right answers are refused too, in the console (another call) and in the chat.
    const again = await verify(peter, { language: 'sv' });
    expect(again.res.status).toBe(200);
    expect(alerts(text(again.html))[0]).toContain(lead('sv', 'assisted:verify.locked'));
    const said = await chat('assisted-peter', ['hej', WORDS.sv.cancel, ...answersOf(peter), 'ja']);
    expect(said.some((line) => line.startsWith(lead('sv', 'verify:locked')))).toBe(true);
  });

  it('the lockout is shared: failures in the chat lock the console', async () => {
    const karin = DEMO_CALLERS.karin;
    const wrong = [karin.userId, WRONG.phone, karin.contactName, karin.organisationName, karin.postalAddress, 'ja'];
    const said = await chat('assisted-karin', ['hej', WORDS.sv.cancel, ...wrong, ...wrong, ...wrong]);
    expect(said.some((line) => line.startsWith(lead('sv', 'verify:locked')))).toBe(true);
    const { res, html } = await verify(karin, { language: 'en' });
    expect(res.status).toBe(200);
    expect(alerts(text(html))[0]).toContain(lead('en', 'assisted:verify.locked'));
  });

  it('another agent cannot use the call', async () => {
    const { callId } = await verifiedCall(DEMO_CALLERS.lena);
    const { round } = await confirmation(callId, 'sub-havsbris-1', 'reactivate');
    const t = tr('en');
    const page = text(await (await get(`/agent/calls/${callId}`, 'olle')).text());
    expect(page).toContain(t('assisted:call.notFound'));
    expect(page).not.toContain('Havsbris');
    expect(text(await (await get(`/agent/calls/${callId}/confirm?subscription=sub-havsbris-1&action=reactivate`, 'olle')).text())).toContain(t('assisted:call.notFound'));
    const olleCsrf = field(await (await get('/agent/verify', 'olle')).text(), '_csrf');
    const act = await post(`/agent/calls/${callId}/act`, { _csrf: olleCsrf, subscription: 'sub-havsbris-1', action: 'reactivate', round }, 'olle');
    expect(text(await act.text())).toContain(t('assisted:call.notFound'));
    // Nor take it over by verifying someone on its call id.
    const taken = await verify(DEMO_CALLERS.lena, { agent: 'olle', callId });
    expect(text(taken.html)).toContain(t('assisted:verify.taken'));
    expect((await app.runtime.directory.findAccount('acc-havsbris'))?.subscriptions[0].facts.status).toBe('CANCELLED');
    // Maja's own token from Olle's session is no token at all.
    const majaCsrf = field(await (await get('/agent/verify')).text(), '_csrf');
    expect((await post(`/agent/calls/${callId}/act`, { _csrf: majaCsrf, subscription: 'sub-havsbris-1', action: 'reactivate', round }, 'olle')).status).toBe(403);
  });

  it('a backend failure: a clear message, the case left pending; trying again finishes it once', async () => {
    const { callId } = await verifiedCall(DEMO_CALLERS.lena);
    const t = tr('en');
    const { round, csrf } = await confirmation(callId, 'sub-havsbris-1', 'reactivate');
    const form = { _csrf: csrf, subscription: 'sub-havsbris-1', action: 'reactivate', round };
    billing.down = true;
    let failed: Response;
    try {
      failed = await post(`/agent/calls/${callId}/act`, form);
    } finally {
      billing.down = false;
    }
    expect(failed.status).toBe(200);
    const page = text(await failed.text());
    const reference = page.match(CASE_REFERENCE)?.[0] as string;
    expect(page).toContain(t('assisted:outcome.pending', { reference }));
    expect(await app.runtime.cases.findCase(reference)).toMatchObject({ status: 'pending', details: { agentAssisted: true, assistedBy: 'agent:maja' } });

    const retried = text(await (await post(`/agent/calls/${callId}/act`, form)).text());
    expect(retried).toContain(t('assisted:outcome.done', { reference }));
    expect(await app.runtime.cases.findCase(reference)).toMatchObject({ status: 'done' });
    expect((await app.runtime.directory.findAccount('acc-havsbris'))?.subscriptions[0].facts.status).toBe('ACTIVE');
    for (const record of await app.runtime.cases.auditFor(reference)) expect(record.details).toMatchObject({ agentAssisted: true, assistedBy: 'agent:maja' });
  });

  it('a call lapses like a chat session (ID-1): nothing is done on it afterwards', async () => {
    const { callId } = await verifiedCall(DEMO_CALLERS.olof);
    const { round, csrf } = await confirmation(callId, 'sub-vintergatan-1', 'fast-revoke');
    clock = new Date(NOW.getTime() + (DEFAULT_POLICY_CONFIG.verificationIdleMinutes + 1) * 60_000);
    try {
      const act = text(await (await post(`/agent/calls/${callId}/act`, { _csrf: csrf, subscription: 'sub-vintergatan-1', action: 'fast-revoke', round })).text());
      expect(act).toContain(tr('en')('assisted:call.lapsed', { minutes: DEFAULT_POLICY_CONFIG.verificationIdleMinutes }));
      expect(text(await (await get(`/agent/calls/${callId}`)).text())).toContain(tr('en')('assisted:call.notFound'));
    } finally {
      clock = NOW;
    }
  });
});
