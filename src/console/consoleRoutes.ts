import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response, Server } from 'restify';
import { asset, PUBLIC_DIR, serve } from '../channels/webChat/widgetRoutes';
import { escapeHtml, type AgentAuth } from './auth/routes';
import type { i18n as I18n, TFunction } from 'i18next';
import type { AgentRelay } from '../bot/agentRelay';
import type { CaseLog } from '../cases/caseLog';
import type { HandoffPacket } from '../cases/handoffPacket';
import type { HandoffEvents } from '../handoffs/handoffEvents';
import type { AgentIdentity, HandoffEntry, HandoffQueue, RelayMessage } from '../handoffs/handoffQueue';
import type { Logger } from '../log';
import { z } from 'zod';
import { HAND_BACK_TARGETS } from '../conversation/liveHandoff';

const handBackTargetSchema = z.enum(HAND_BACK_TARGETS);

/** A pending case's change, left by a backend failure: made now, or not made at all (the agent decides with the caller). */
export interface PendingCases {
  retry(reference: string, by: string): Promise<'done-now' | 'settled-before' | 'not-done'>;
  abandon(reference: string, by: string): Promise<boolean>;
}

export interface ConsoleDeps {
  /** Who is asking, and that a form came from the console's own page (src/console/auth). */
  auth: AgentAuth;
  pending: PendingCases;
  queue: HandoffQueue;
  events: HandoffEvents;
  relay: AgentRelay;
  cases: CaseLog;
  i18n: I18n;
  logger: Logger;
}

/**
 * The agent console: `/agent` (the queue: waiting, mine, ended), `/agent/handoffs/:id` (the packet, the transcript so
 * far, the live conversation, reply, take / hand back / close), live through Server-Sent Events (`/agent/events`),
 * and the same data as JSON at `/api/handoffs`. Server-rendered pages; one small script of our own for the live parts.
 */
export function registerConsoleRoutes(server: Server, deps: ConsoleDeps): void {
  const { auth, queue } = deps;

  server.get('/agent', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const t = deps.i18n.getFixedT(auth.languageOf(req));
    const [waiting, active, ended] = await Promise.all([queue.list({ status: 'waiting', limit: 100 }), queue.list({ status: 'active', agentId: agent.id, limit: 100 }), queue.list({ status: 'ended', limit: 30 })]);
    const body = `
      <h1>${esc(t('console:queue.title'))}</h1>
      <section id="queue" data-live="queue">
        ${entryTable(t, t('console:queue.waiting'), [...waiting].reverse(), 'waiting')}
        ${entryTable(t, t('console:queue.mine'), active, 'mine')}
        ${entryTable(t, t('console:queue.ended'), ended, 'ended')}
      </section>`;
    page(res, t, agent, t('console:queue.title'), body, auth.csrfToken(req));
  });

  server.get('/agent/handoffs/:id', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const t = deps.i18n.getFixedT(auth.languageOf(req));
    const entry = await queue.get(String(req.params.id));
    if (!entry) return notFound(res, t, agent, auth.csrfToken(req));
    const supportCase = await deps.cases.findCase(entry.id);
    const packet = (supportCase?.details as { packet?: HandoffPacket } | undefined)?.packet;
    const messages = await queue.messages(entry.id);
    const mine = entry.status === 'active' && entry.agent?.id === agent.id;
    const unfinished = packet?.unfinishedCase ? await deps.cases.findCase(packet.unfinishedCase.reference) : undefined;
    const csrf = auth.csrfToken(req);
    const settleForm = (how: string, label: string, style = '') =>
      `<form method="post" action="/agent/handoffs/${encodeURIComponent(entry.id)}/settle"><input type="hidden" name="_csrf" value="${esc(csrf)}"><input type="hidden" name="how" value="${how}"><button class="${style}">${esc(label)}</button></form>`;
    const action = (name: string, label: string, style = '') =>
      `<form method="post" action="/agent/handoffs/${encodeURIComponent(entry.id)}/${name}"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button class="${style}">${esc(label)}</button></form>`;
    const body = `
      <p><a href="/agent">← ${esc(t('console:queue.title'))}</a></p>
      <h1>${esc(t('console:handoff.title', { reference: entry.id }))}</h1>
      <p class="status">${esc(statusLine(t, entry))}</p>
      ${refusedAction(req) ? `<p class="refused" role="alert">${esc(t('console:refused'))}</p>` : ''}
      <div class="actions">
        ${entry.status === 'waiting' ? action('take', t('console:handoff.take'), 'primary') : ''}
        ${mine ? action('handback', t('console:handoff.handBack')) + (packet?.caller.verified && packet.caller.isAdmin ? handBackIntoFlow(t, entry.id, csrf) : '') + action('close', t('console:handoff.close')) : ''}
      </div>
      <div class="columns">
        <section class="packet">${packetView(t, entry, packet)}${
          unfinished?.status === 'pending' && mine
            ? `<h2>${esc(t('console:pending.title', { reference: unfinished.reference }))}</h2><p>${esc(t('console:pending.text'))}</p><div class="actions">${settleForm('retry', t('console:pending.retry'), 'primary')}${settleForm('cancel', t('console:pending.cancel'))}</div>`
            : ''
        }</section>
        <section class="talk">
          <h2>${esc(t('console:handoff.transcript'))}</h2>
          <ol class="transcript">${(packet?.transcript ?? []).map((line) => `<li class="${esc(line.from)}"><span>${esc(t(`console:from.${line.from}`))}</span> ${esc(line.text)}</li>`).join('')}</ol>
          <h2>${esc(t('console:handoff.live'))}</h2>
          <ol class="transcript" id="live" data-handoff="${esc(entry.id)}" data-after="${messages.at(-1)?.seq ?? 0}">${messages.map((m) => messageItem(t, m)).join('')}</ol>
          ${
            mine
              ? `<form method="post" class="reply" action="/agent/handoffs/${encodeURIComponent(entry.id)}/reply"><input type="hidden" name="_csrf" value="${esc(csrf)}"><label for="text">${esc(t('console:handoff.replyLabel', { language: t(`console:language.${entry.language}`) }))}</label><textarea id="text" name="text" rows="3" maxlength="4000" required></textarea><button class="primary">${esc(t('console:handoff.send'))}</button></form>`
              : ''
          }
        </section>
      </div>`;
    page(res, t, agent, t('console:handoff.title', { reference: entry.id }), body, csrf);
  });

  /** The live conversation after a line the page has: for the page's script, on each event. */
  server.get('/agent/handoffs/:id/messages', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const t = deps.i18n.getFixedT(auth.languageOf(req));
    const after = Number(new URL(req.url ?? '', 'http://localhost').searchParams.get('after') ?? 0) || 0;
    const messages = await queue.messages(String(req.params.id), after);
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { messages: messages.map((m) => ({ seq: m.seq, html: messageItem(t, m) })) });
  });

  const act = (name: string, work: (id: string, agent: AgentIdentity, form: Record<string, string>) => Promise<unknown>) =>
    server.post(`/agent/handoffs/:id/${name}`, async (req: Request, res: Response) => {
      const agent = auth.agent(req, res);
      if (!agent) return;
      const form = await auth.form(req, res);
      if (!form) return;
      const id = String(req.params.id);
      let done: unknown;
      try {
        done = await work(id, agent, form);
      } catch (error) {
        deps.logger.error('console.action-failed', { action: name, handoffId: id, error: error as Error });
      }
      // Back to the conversation; a refused action (taken by someone else, not theirs, not delivered) says so there.
      res.setHeader('Location', `/agent/handoffs/${encodeURIComponent(id)}${done ? '' : '?refused=' + name}`);
      res.send(303);
    });
  act('take', (id, agent) => deps.relay.take(id, agent));
  act('reply', (id, agent, form) => deps.relay.reply(id, agent, form.text ?? ''));
  act('handback', async (id, agent, form) => {
    const to = handBackTargetSchema.safeParse(form.to ?? 'menu');
    if (!to.success) return undefined;
    // Straight into a flow only for a verified administrator, as the page offers it (the flow would check again).
    if (to.data !== 'menu') {
      const packet = (await deps.cases.findCase(id))?.details.packet as HandoffPacket | undefined;
      if (!packet?.caller.verified || !packet.caller.isAdmin) return undefined;
    }
    return deps.relay.handBack(id, agent, to.data);
  });
  act('close', (id, agent) => deps.relay.close(id, agent));
  // The pending case named in the hand-off's packet: its change made now, or dropped; audited under the agent's name.
  act('settle', async (id, agent, form) => {
    // Only the agent talking with the caller decides, with the caller, what becomes of the change they asked for.
    const entry = await queue.get(id);
    if (entry?.status !== 'active' || entry.agent?.id !== agent.id) return undefined;
    const supportCase = await deps.cases.findCase(id);
    const reference = (supportCase?.details as { packet?: HandoffPacket } | undefined)?.packet?.unfinishedCase?.reference;
    if (!reference) return undefined;
    const by = `agent:${agent.id}`;
    if (form.how === 'retry') return (await deps.pending.retry(reference, by)) === 'done-now' || undefined;
    if (form.how === 'cancel') return (await deps.pending.abandon(reference, by)) || undefined;
    return undefined;
  });

  /** Server-Sent Events: every change to any hand-off, as `{kind, handoffId}`; pages decide what to fetch again. */
  server.get('/agent/events', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write(': connected\n\n');
    const stop = deps.events.subscribe((event) => res.write(`data: ${JSON.stringify(event)}\n\n`));
    // A comment now and then keeps proxies from closing an idle stream; the session is checked again each time.
    const keepAlive = setInterval(() => {
      if (auth.stillSignedIn(req)) res.write(': keep-alive\n\n');
      else res.end();
    }, 25_000);
    keepAlive.unref();
    // The response closes when the agent leaves (the request's own close comes as soon as its body has been read).
    res.on('close', () => {
      clearInterval(keepAlive);
      stop();
    });
  });

  /** For other tools: the queue as JSON (the agent's session, or an integration's API key). */
  server.get('/api/handoffs', async (req: Request, res: Response) => {
    const caller = auth.agentOrApiKey(req, res);
    if (!caller) return;
    const status = new URL(req.url ?? '', 'http://localhost').searchParams.get('status');
    const filter: Parameters<HandoffQueue['list']>[0] = status === 'waiting' || status === 'active' || status === 'ended' ? { status, limit: 200 } : { limit: 200 };
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { handoffs: await queue.list(filter) });
  });

  server.get('/api/handoffs/:id', async (req: Request, res: Response) => {
    const caller = auth.agentOrApiKey(req, res);
    if (!caller) return;
    const entry = await queue.get(String(req.params.id));
    if (!entry) {
      res.send(404, { error: 'NotFound' });
      return;
    }
    const supportCase = await deps.cases.findCase(entry.id);
    res.setHeader('Cache-Control', 'no-store');
    res.send(200, { handoff: entry, packet: (supportCase?.details as { packet?: unknown } | undefined)?.packet ?? null, messages: await queue.messages(entry.id) });
  });
}

/** The console's script and style sheet (public/agent/), served by the bot like the widget. */
export function registerConsoleAssets(server: Server): void {
  const read = (name: string) => readFileSync(join(PUBLIC_DIR, 'agent', name));
  server.get('/agent/assets/console.js', serve(asset(read('console.js'), 'application/javascript; charset=utf-8', 'no-cache')));
  server.get('/agent/assets/console.css', serve(asset(read('console.css'), 'text/css; charset=utf-8', 'no-cache')));
}

/** A console page: the header (who is signed in, the way to verify a caller, sign out) around `body`. */
/** A console page; `scripts` of the page's own (served from /agent/assets/) come after the console's. */
export function page(res: Response, t: TFunction, agent: AgentIdentity, title: string, body: string, csrf: string, options: { status?: number; scripts?: readonly string[] } = {}): void {
  const html = `<!doctype html>
<html lang="${esc(t('console:lang'))}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – ${esc(t('console:product'))}</title>
<link rel="stylesheet" href="/agent/assets/console.css"></head>
<body>
<header><strong>${esc(t('console:product'))}</strong>
<a href="/agent/verify">${esc(t('assisted:nav'))}</a>
<a href="/agent/insights">${esc(t('insights:nav'))}</a>
<span class="who">${esc(t('console:signedInAs', { name: agent.displayName }))}</span>
<form method="post" action="/agent/logout"><input type="hidden" name="_csrf" value="${esc(csrf)}"><button>${esc(t('console:signOut'))}</button></form></header>
<main>${body}</main>
<script src="/agent/assets/console.js" defer></script>
${(options.scripts ?? []).map((src) => `<script src="${esc(src)}" defer></script>`).join('\n')}
</body></html>`;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'; form-action 'self'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.writeHead(options.status ?? 200);
  res.end(html);
}

function notFound(res: Response, t: TFunction, agent: AgentIdentity, csrf: string): void {
  page(res, t, agent, t('console:notFound'), `<h1>${esc(t('console:notFound'))}</h1><p><a href="/agent">${esc(t('console:queue.title'))}</a></p>`, csrf);
}

function entryTable(t: TFunction, title: string, entries: HandoffEntry[], kind: string): string {
  const rows = entries
    .map(
      (entry, index) => `<tr>
        <td><a href="/agent/handoffs/${encodeURIComponent(entry.id)}">${esc(entry.id)}</a></td>
        <td>${esc(t(`console:reason.${entry.reason}`))}</td>
        <td>${esc(t(`console:language.${entry.language}`))}</td>
        <td>${esc(entry.channelId)}</td>
        <td>${kind === 'waiting' ? esc(t('console:queue.place', { place: index + 1 })) : esc(entry.agent?.displayName ?? '')}</td>
        <td><time datetime="${esc(entry.createdAt)}">${esc(entry.createdAt.replace('T', ' ').slice(0, 16))}</time></td>
      </tr>`,
    )
    .join('');
  return `<h2>${esc(title)} <span class="count">${entries.length}</span></h2>
    ${entries.length === 0 ? `<p class="empty">${esc(t('console:queue.empty'))}</p>` : `<table class="${kind}"><thead><tr><th>${esc(t('console:column.reference'))}</th><th>${esc(t('console:column.reason'))}</th><th>${esc(t('console:column.language'))}</th><th>${esc(t('console:column.channel'))}</th><th>${esc(kind === 'waiting' ? t('console:column.place') : t('console:column.agent'))}</th><th>${esc(t('console:column.opened'))}</th></tr></thead><tbody>${rows}</tbody></table>`}`;
}

/** For a verified administrator: back to the bot straight into a flow, as agreed with the caller. */
function handBackIntoFlow(t: TFunction, id: string, csrf: string): string {
  const flows = HAND_BACK_TARGETS.filter((target) => target !== 'menu');
  return `<form method="post" class="hand-back-flow" action="/agent/handoffs/${encodeURIComponent(id)}/handback"><input type="hidden" name="_csrf" value="${esc(csrf)}">
    <label for="to">${esc(t('console:handoff.handBackInto'))}</label>
    <select id="to" name="to">${flows.map((target) => `<option value="${target}">${esc(t(`console:handoff.flow.${target}`))}</option>`).join('')}</select>
    <button>${esc(t('console:handoff.handBackToFlow'))}</button></form>`;
}

/** The action the agent just tried was refused (taken by someone else, not theirs, not delivered): the page says so. */
function refusedAction(req: Request): boolean {
  return new URL(req.url ?? '', 'http://localhost').searchParams.has('refused');
}

function statusLine(t: TFunction, entry: HandoffEntry): string {
  if (entry.status === 'waiting') return t('console:status.waiting');
  if (entry.status === 'active') return t('console:status.active', { name: entry.agent?.displayName ?? '' });
  return t(`console:status.${entry.ending ?? 'closed'}`, { name: entry.agent?.displayName ?? '' });
}

function packetView(t: TFunction, entry: HandoffEntry, packet: HandoffPacket | undefined): string {
  const yesNo = (value: boolean | null | undefined) => (value === null || value === undefined ? t('console:packet.unknown') : value ? t('console:packet.yes') : t('console:packet.no'));
  const rows: Array<[string, string]> = [
    [t('console:packet.reason'), t(`console:reason.${entry.reason}`)],
    [t('console:packet.language'), t(`console:language.${entry.language}`)],
    [t('console:packet.verified'), yesNo(packet?.caller.verified)],
    [t('console:packet.admin'), yesNo(packet?.caller.isAdmin)],
    [t('console:packet.userId'), packet?.caller.userId ?? '—'],
    [t('console:packet.organisation'), packet?.caller.organisationName ?? '—'],
    [t('console:packet.subscription'), packet?.subscription ? `${packet.subscription.facts.plan}, ${packet.subscription.facts.assignedLicenses} (${packet.subscription.id})` : '—'],
    [t('console:packet.wanted'), packet?.wanted.action ?? '—'],
    [t('console:packet.choices'), packet && Object.keys(packet.wanted.choices).length > 0 ? Object.entries(packet.wanted.choices).map(([k, v]) => `${k}: ${v}`).join(', ') : '—'],
    [t('console:packet.decision'), packet?.decision ? `${packet.decision.outcome} (${packet.decision.rules.join(', ')})` : '—'],
    [t('console:packet.lockedUntil'), packet?.caller.lockedUntil ?? '—'],
    [t('console:packet.unfinished'), packet?.unfinishedCase ? `${packet.unfinishedCase.reference} (${packet.unfinishedCase.status})` : '—'],
  ];
  return `<h2>${esc(t('console:packet.title'))}</h2><dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
}

function messageItem(t: TFunction, message: RelayMessage): string {
  // The system's lines ("Du pratar nu med Maja …") are what the caller was told, shown without a speaker.
  if (message.from === 'system') return `<li class="system" data-seq="${message.seq}">${esc(message.text)}</li>`;
  const who = message.from === 'agent' ? t('console:from.named', { name: message.agent?.displayName ?? '' }) : t(`console:from.${message.from}`);
  return `<li class="${esc(message.from)}" data-seq="${message.seq}"><span>${esc(who)}</span> ${esc(message.text)}</li>`;
}

/** HTML escaping (the sign-in pages' own), by the short name the console's pages use everywhere. */
export const esc = escapeHtml;
