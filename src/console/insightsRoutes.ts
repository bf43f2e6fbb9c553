import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { i18n as I18n, TFunction } from 'i18next';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { asset, PUBLIC_DIR, serve } from '../channels/webChat/widgetRoutes';
import { FORMAT_LOCALE, type Language } from '../i18n';
import { calendarDaySchema, computeInsights, daysOf, rangeOf, type Insights, type InsightsFilter } from '../insights/computeInsights';
import { MAX_RANGE_DAYS, type InsightsLog } from '../insights/insightsLog';
import type { Logger } from '../log';
import type { AgentAuth } from './auth/routes';
import { esc, page } from './consoleRoutes';

/**
 * The insights page for support leads: `/agent/insights` (charts, each also a table for screen readers),
 * `/agent/insights.csv` (the same figures to download) and `/api/insights` (the same as JSON, for other tools), for a
 * date range and a language. Every figure comes from the events table (src/insights) through computeInsights.
 */
export interface InsightsDeps {
  auth: AgentAuth;
  log: InsightsLog;
  i18n: I18n;
  logger: Logger;
  /** Today, for the default range (the last 28 days). */
  now: () => Date;
}

/** Chart.js from npm (no CDN), served under its version so browsers may keep it for good. */
const CHART_JS_DIR = dirname(require.resolve('chart.js'));
const CHART_JS_VERSION = (JSON.parse(readFileSync(join(CHART_JS_DIR, '../package.json'), 'utf8')) as { version: string }).version;
export const CHART_JS_PATH = `/agent/assets/chart-${CHART_JS_VERSION}.umd.js`;
const INSIGHTS_JS_PATH = '/agent/assets/insights.js';
const DEFAULT_DAYS = 28;

/**
 * The query of all three: `from`, `to` (YYYY-MM-DD, both included; default the last 28 days) and `language` (all, sv,
 * en). Anything else malformed — a bad date, from after to, more than a year, a parameter given twice — is refused.
 */
const filterQuerySchema = z.object({
  from: calendarDaySchema.optional(),
  to: calendarDaySchema.optional(),
  language: z.enum(['all', 'sv', 'en']).default('all'),
});

export function parseInsightsFilter(url: string | undefined, today: Date): InsightsFilter | undefined {
  const params = new URL(url ?? '/', 'http://localhost').searchParams;
  const fields: Record<string, string> = {};
  for (const name of ['from', 'to', 'language']) {
    const values = params.getAll(name);
    if (values.length > 1) return undefined;
    // An empty field of the form means "the default", as if it were not there.
    if (values[0]) fields[name] = values[0];
  }
  const parsed = filterQuerySchema.safeParse(fields);
  if (!parsed.success) return undefined;
  const to = parsed.data.to ?? today.toISOString().slice(0, 10);
  const from = parsed.data.from ?? daysBefore(to, DEFAULT_DAYS - 1);
  if (from > to || daysOf(from, to).length > MAX_RANGE_DAYS) return undefined;
  return { from, to, language: parsed.data.language };
}

function daysBefore(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) - count * 86_400_000).toISOString().slice(0, 10);
}

export function registerInsightsRoutes(server: Server, deps: InsightsDeps): void {
  const { auth } = deps;

  /** The figures for the request's filter, or undefined after answering (400 for a bad filter, 503 for no store). */
  async function figures(req: Request, refuse: (status: number) => void): Promise<Insights | undefined> {
    const filter = parseInsightsFilter(req.url, deps.now());
    if (!filter) {
      refuse(400);
      return undefined;
    }
    try {
      const events = await deps.log.read({ ...rangeOf(filter), language: filter.language === 'all' ? undefined : filter.language });
      return computeInsights(events, filter);
    } catch (error) {
      deps.logger.error('insights.read-failed', { error: error as Error });
      refuse(503);
      return undefined;
    }
  }

  server.get('/agent/insights', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const language = auth.languageOf(req);
    const t = deps.i18n.getFixedT(language);
    const csrf = auth.csrfToken(req);
    const asked = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const insights = await figures(req, (status) => {
      const shown = { from: asked.get('from') ?? '', to: asked.get('to') ?? '', language: asked.get('language') ?? 'all' };
      const notice = status === 400 ? t('insights:filter.invalid') : t('insights:unavailable');
      page(res, t, agent, t('insights:title'), `<h1>${esc(t('insights:title'))}</h1>${filterForm(t, shown, asked.get('lang'))}<p class="notice" role="alert">${esc(notice)}</p>`, csrf, { status });
    });
    if (!insights) return;
    const body = `<h1>${esc(t('insights:title'))}</h1>
      <p>${esc(t('insights:intro'))}</p>
      ${filterForm(t, insights.filter, asked.get('lang'))}
      ${insights.conversations.total === 0 ? `<p class="empty">${esc(t('insights:empty'))}</p>` : ''}
      ${insightsView(t, language, insights)}`;
    page(res, t, agent, t('insights:title'), body, csrf, { scripts: [CHART_JS_PATH, INSIGHTS_JS_PATH] });
  });

  server.get('/agent/insights.csv', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const insights = await figures(req, (status) => res.send(status, { error: status === 400 ? 'InvalidFilter' : 'Unavailable' }));
    if (!insights) return;
    const t = deps.i18n.getFixedT(auth.languageOf(req));
    const { from, to, language } = insights.filter;
    // A BOM, so that a spreadsheet opened by double-click reads å, ä and ö as such.
    const body = Buffer.from(`\uFEFF${insightsCsv(t, insights)}`, 'utf8');
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="insights-${from}-${to}-${language}.csv"`);
    res.setHeader('Content-Length', body.length);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.writeHead(200);
    res.end(body);
  });

  /** For other tools: the same figures as JSON (the agent's session, or an integration's API key). */
  server.get('/api/insights', async (req: Request, res: Response) => {
    const caller = auth.agentOrApiKey(req, res);
    if (!caller) return;
    const insights = await figures(req, (status) => res.send(status, { error: status === 400 ? 'InvalidFilter' : 'Unavailable' }));
    if (!insights) return;
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, insights);
  });
}

/** The page's script (public/agent/insights.js) and Chart.js, served by the bot like the console's own. */
export function registerInsightsAssets(server: Server): void {
  server.get(INSIGHTS_JS_PATH, serve(asset(readFileSync(join(PUBLIC_DIR, 'agent', 'insights.js')), 'application/javascript; charset=utf-8', 'no-cache')));
  server.get(CHART_JS_PATH, serve(asset(() => readFileSync(join(CHART_JS_DIR, 'chart.umd.js')), 'application/javascript; charset=utf-8', 'public, max-age=31536000, immutable')));
}

// ---------------------------------------------------------------------------------------------------------------------
// The page

function filterForm(t: TFunction, filter: { from: string; to: string; language: string }, lang: string | null): string {
  const option = (value: string, label: string) => `<option value="${value}"${filter.language === value ? ' selected' : ''}>${esc(label)}</option>`;
  const keepLang = lang === 'sv' || lang === 'en' ? `<input type="hidden" name="lang" value="${lang}">` : '';
  const csv = new URLSearchParams({ from: filter.from, to: filter.to, language: filter.language, ...(keepLang ? { lang: lang as string } : {}) });
  return `<form method="get" action="/agent/insights" class="insights-filter">
    <fieldset><legend>${esc(t('insights:filter.legend'))}</legend>
      <label>${esc(t('insights:filter.from'))} <input type="date" name="from" value="${esc(filter.from)}" required></label>
      <label>${esc(t('insights:filter.to'))} <input type="date" name="to" value="${esc(filter.to)}" required></label>
      <label>${esc(t('insights:filter.language'))} <select name="language">${option('all', t('insights:filter.all'))}${option('sv', t('insights:language.sv'))}${option('en', t('insights:language.en'))}</select></label>
      ${keepLang}<button class="primary">${esc(t('insights:filter.show'))}</button>
      <a class="csv" href="/agent/insights.csv?${esc(csv.toString())}" download>${esc(t('insights:filter.csv'))}</a>
    </fieldset>
    <p class="hint">${esc(t('insights:filter.days'))}</p>
  </form>`;
}

/** What insights.js draws: one chart per canvas, its labels already in the page's language. */
interface ChartSpec {
  type: 'bar' | 'doughnut';
  /** Bars along the y axis (long labels read better). */
  horizontal?: boolean;
  labels: string[];
  datasets: Array<{ label: string; data: number[] }>;
}

interface Formats {
  number: (value: number) => string;
  percent: (value: number | null) => string;
  duration: (ms: number | null) => string;
  day: (day: string) => string;
}

function formatsFor(t: TFunction, language: Language): Formats {
  const locale = FORMAT_LOCALE[language];
  const numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const percents = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  const days = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return {
    number: (value) => numbers.format(value),
    percent: (value) => (value === null ? t('insights:none') : percents.format(value)),
    duration: (ms) => (ms === null ? t('insights:none') : duration(t, ms)),
    day: (day) => days.format(new Date(`${day}T00:00:00Z`)),
  };
}

/** 42 s, 3 min 20 s, 2 h 5 min. */
function duration(t: TFunction, ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return t('insights:duration.seconds', { seconds });
  if (seconds < 3600) return t('insights:duration.minutes', { minutes: Math.floor(seconds / 60), seconds: seconds % 60 });
  return t('insights:duration.hours', { hours: Math.floor(seconds / 3600), minutes: Math.floor((seconds % 3600) / 60) });
}

/** A rule-ID list for leads ("TR-1, TR-2"): agents and leads may read rule IDs, callers never do. */
const withRules = (label: string, rules: readonly string[]) => (rules.length ? `${label} (${rules.join(', ')})` : label);

function insightsView(t: TFunction, language: Language, insights: Insights): string {
  const f = formatsFor(t, language);
  const charts: Record<string, ChartSpec> = {};
  const cards: string[] = [];
  const card = (id: string, title: string, summary: string, spec: ChartSpec | undefined, head: string[], rows: Array<Array<string | number>>, wide = false) => {
    if (spec) charts[id] = spec;
    // A long list of bars gets a taller box, so that every label has room (inline styles are not allowed by the CSP).
    const canvas = spec ? `<div class="chart-box${spec.horizontal && spec.labels.length > 10 ? ' tall' : ''}"><canvas id="chart-${id}" role="img" aria-label="${esc(`${title}. ${summary}`)}"></canvas></div>` : '';
    const table = `<table class="${spec ? 'sr-only' : 'figures'}"><caption>${esc(t('insights:tableOf', { title }))}</caption><thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
      .map((row) => `<tr>${row.map((cell, index) => (index === 0 ? `<th scope="row">${esc(cell)}</th>` : `<td>${esc(typeof cell === 'number' ? f.number(cell) : cell)}</td>`)).join('')}</tr>`)
      .join('')}</tbody></table>`;
    cards.push(`<section class="insight${wide ? ' wide' : ''}" aria-labelledby="title-${id}"><h2 id="title-${id}">${esc(title)}</h2><p class="summary">${esc(summary)}</p>${canvas}${table}</section>`);
  };
  const item = t('insights:column.item');
  const count = t('insights:column.count');
  const share = t('insights:column.share');

  const { conversations, containment, handoffs, verification, actions, refusals, feedback, timeToReceipt, agentResponse } = insights;
  const perDay = conversations.perDay.map((d) => [f.day(d.day), d.conversations] as [string, number]);
  card('perDay', t('insights:perDay.title'), t('insights:perDay.total', { count: conversations.total }), { type: 'bar', labels: perDay.map(([day]) => day), datasets: [{ label: t('insights:perDay.series'), data: perDay.map(([, n]) => n) }] }, [t('insights:column.item'), t('insights:perDay.series')], perDay, true);

  const containmentRows: Array<[string, number, string]> = [
    [t('insights:containment.contained'), containment.contained, f.percent(containment.rate)],
    [t('insights:containment.handedOver'), containment.handedOver, f.percent(containment.rate === null ? null : 1 - containment.rate)],
  ];
  card('containment', t('insights:containment.title'), t('insights:containment.rate', { rate: f.percent(containment.rate) }), { type: 'doughnut', labels: containmentRows.map(([label]) => label), datasets: [{ label: t('insights:perDay.series'), data: containmentRows.map(([, n]) => n) }] }, [item, count, share], containmentRows);

  const handoffRows = handoffs.byReason.map((r) => [t(`insights:handoffReason.${r.reason}`), r.handoffs, f.percent(r.rate)] as [string, number, string]);
  card('handoffs', t('insights:handoffs.title'), t('insights:handoffs.total', { count: handoffs.total }), { type: 'bar', horizontal: true, labels: handoffRows.map(([label]) => label), datasets: [{ label: t('insights:handoffs.series'), data: handoffRows.map(([, n]) => n) }] }, [item, count, t('insights:handoffs.rate')], handoffRows);

  const outcomeRows = (['verified', 'rejected', 'locked', 'abandoned'] as const).map((outcome) => [t(`insights:outcome.${outcome}`), verification.outcomes[outcome]] as [string, number]);
  card('verification', t('insights:verification.title'), t('insights:verification.started', { count: verification.started }), { type: 'doughnut', labels: outcomeRows.map(([label]) => label), datasets: [{ label: t('insights:verification.series'), data: outcomeRows.map(([, n]) => n) }] }, [item, count], outcomeRows);

  const funnelRows = verification.funnel.map((step) => [t(`insights:question.${step.question}`), step.reached, step.abandoned] as [string, number, number]);
  card(
    'funnel',
    t('insights:funnel.title'),
    t('insights:verification.started', { count: verification.started }),
    { type: 'bar', horizontal: true, labels: funnelRows.map(([label]) => label), datasets: [{ label: t('insights:funnel.reached'), data: funnelRows.map(([, n]) => n) }, { label: t('insights:funnel.abandoned'), data: funnelRows.map(([, , n]) => n) }] },
    [item, t('insights:funnel.reached'), t('insights:funnel.abandoned')],
    funnelRows,
  );

  const actionRows = actions.byKind.map((a) => [t(`insights:action.${a.action}`), a.actions] as [string, number]);
  card('actions', t('insights:actions.title'), t('insights:actions.total', { count: actions.total }), { type: 'bar', labels: actionRows.map(([label]) => label), datasets: [{ label: t('insights:actions.series'), data: actionRows.map(([, n]) => n) }] }, [item, count], actionRows);

  const ruleRows = refusals.byRule.map((r) => [r.rule, r.refusals] as [string, number]);
  card('refusals', t('insights:refusals.title'), `${t('insights:refusals.total', { count: refusals.total })}. ${t('insights:refusals.note')}`, { type: 'bar', horizontal: true, labels: ruleRows.map(([rule]) => rule), datasets: [{ label: t('insights:refusals.series'), data: ruleRows.map(([, n]) => n) }] }, [t('insights:refusals.rule'), count], ruleRows);
  const reasonRows = refusals.byReason.map((r) => [withRules(t(`insights:reason.${r.reason}`), r.rules), r.refusals] as [string, number]);
  card('refusalReasons', t('insights:refusals.byReason'), t('insights:refusals.total', { count: refusals.total }), undefined, [item, count], reasonRows, true);

  const feedbackRows = feedback.byReason.map((r) => [t(`feedback:reasons.${r.reason}.title`), r.answers] as [string, number]);
  card('feedback', t('insights:feedback.title'), t('insights:feedback.total', { count: feedback.total }), { type: 'bar', horizontal: true, labels: feedbackRows.map(([label]) => label), datasets: [{ label: t('insights:feedback.series'), data: feedbackRows.map(([, n]) => n) }] }, [item, count], feedbackRows);

  const languageRows = (['sv', 'en'] as const).map((l) => [t(`insights:language.${l}`), conversations.byLanguage[l], f.percent(conversations.total ? conversations.byLanguage[l] / conversations.total : null)] as [string, number, string]);
  card('languages', t('insights:languages.title'), t('insights:perDay.total', { count: conversations.total }), { type: 'doughnut', labels: languageRows.map(([label]) => label), datasets: [{ label: t('insights:languages.series'), data: languageRows.map(([, n]) => n) }] }, [item, count, share], languageRows);

  const receiptRows = (['all', 'action', 'handoff'] as const).map((kind) => [t(`insights:receipt.${kind}`), timeToReceipt[kind].count, f.duration(timeToReceipt[kind].medianMs), timeToReceipt[kind].medianMessages === null ? t('insights:none') : f.number(timeToReceipt[kind].medianMessages as number)]);
  card('receipt', t('insights:receipt.title'), `${t('insights:receipt.time')}: ${f.duration(timeToReceipt.all.medianMs)}`, undefined, [item, t('insights:receipt.count'), t('insights:receipt.time'), t('insights:receipt.messages')], receiptRows);

  const agentRows = [
    [t('insights:agents.taken'), agentResponse.taken],
    [t('insights:agents.median'), f.duration(agentResponse.medianWaitMs)],
    [t('insights:agents.p90'), f.duration(agentResponse.p90WaitMs)],
  ];
  card('agents', t('insights:agents.title'), `${t('insights:agents.median')}: ${f.duration(agentResponse.medianWaitMs)}`, undefined, [item, count], agentRows);

  // Data for the page's script, as JSON that no "</script>" or line separator in a label can break out of.
  const json = JSON.stringify(charts).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return `<div class="insights">${cards.join('\n')}</div>\n<script type="application/json" id="insights-charts">${json}</script>`;
}

// ---------------------------------------------------------------------------------------------------------------------
// CSV

/** One figure a line: a stable figure and item name (for formulas and other tools), a label in words, the value. */
export function insightsCsv(t: TFunction, insights: Insights): string {
  const rows: Array<[string, string, string, string | number | null]> = [];
  const add = (figure: string, item: string, label: string, value: string | number | null) => rows.push([figure, item, label, value]);
  const { filter, conversations, containment, handoffs, verification, actions, refusals, feedback, timeToReceipt, agentResponse } = insights;
  add('period', 'from', t('insights:filter.from'), filter.from);
  add('period', 'to', t('insights:filter.to'), filter.to);
  add('period', 'language', t('insights:filter.language'), filter.language);
  add('conversations', 'total', t('insights:csv.total'), conversations.total);
  for (const day of conversations.perDay) add('conversations-per-day', day.day, t('insights:perDay.series'), day.conversations);
  for (const language of ['sv', 'en'] as const) add('languages', language, t(`insights:language.${language}`), conversations.byLanguage[language]);
  add('containment', 'contained', t('insights:containment.contained'), containment.contained);
  add('containment', 'handed-over', t('insights:containment.handedOver'), containment.handedOver);
  add('containment', 'rate', t('insights:csv.rate'), containment.rate);
  add('handoffs', 'total', t('insights:csv.total'), handoffs.total);
  for (const r of handoffs.byReason) {
    add('handoffs', r.reason, t(`insights:handoffReason.${r.reason}`), r.handoffs);
    add('handoff-rate', r.reason, t(`insights:handoffReason.${r.reason}`), r.rate);
  }
  add('verification', 'started', t('insights:csv.started'), verification.started);
  for (const [outcome, n] of Object.entries(verification.outcomes)) add('verification-outcome', outcome, t(`insights:outcome.${outcome}`), n);
  for (const step of verification.funnel) {
    add('verification-reached', step.question, t(`insights:question.${step.question}`), step.reached);
    add('verification-abandoned', step.question, t(`insights:question.${step.question}`), step.abandoned);
  }
  add('actions', 'total', t('insights:csv.total'), actions.total);
  for (const a of actions.byKind) add('actions', a.action, t(`insights:action.${a.action}`), a.actions);
  add('refusals', 'total', t('insights:csv.total'), refusals.total);
  for (const r of refusals.byRule) add('refusals-by-rule', r.rule, r.rule, r.refusals);
  for (const r of refusals.byReason) add('refusals-by-reason', r.reason, withRules(t(`insights:reason.${r.reason}`), r.rules), r.refusals);
  add('feedback', 'total', t('insights:csv.total'), feedback.total);
  for (const r of feedback.byReason) add('feedback', r.reason, t(`feedback:reasons.${r.reason}.title`), r.answers);
  for (const kind of ['all', 'action', 'handoff'] as const) {
    const label = t(`insights:receipt.${kind}`);
    add('time-to-receipt', `${kind}-count`, `${label}: ${t('insights:csv.count')}`, timeToReceipt[kind].count);
    add('time-to-receipt', `${kind}-median-seconds`, `${label}: ${t('insights:csv.medianSeconds')}`, seconds(timeToReceipt[kind].medianMs));
    add('time-to-receipt', `${kind}-median-messages`, `${label}: ${t('insights:csv.medianMessages')}`, timeToReceipt[kind].medianMessages);
  }
  add('agent-response', 'taken', t('insights:agents.taken'), agentResponse.taken);
  add('agent-response', 'median-wait-seconds', t('insights:csv.medianSeconds'), seconds(agentResponse.medianWaitMs));
  add('agent-response', 'p90-wait-seconds', t('insights:csv.p90Seconds'), seconds(agentResponse.p90WaitMs));
  const header = [t('insights:csv.figure'), t('insights:csv.item'), t('insights:csv.label'), t('insights:csv.value')];
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. Text that a spreadsheet would take for a
 * formula (=, +, -, @, tab, carriage return first) is prefixed with an apostrophe, so opening the file runs nothing.
 * Numbers are written as they are.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
