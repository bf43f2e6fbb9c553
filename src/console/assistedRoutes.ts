import { createHash } from 'node:crypto';
import type { i18n as I18n, TFunction } from 'i18next';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Account } from '../accounts/account';
import { DirectoryUnavailableError, type AccountDirectory } from '../accounts/directory';
import type { AccountActions, ActionOutcome } from '../cases/accountActions';
import type { CaseLog } from '../cases/caseLog';
import { formatDate } from '../format';
import type { AgentIdentity } from '../handoffs/handoffQueue';
import { FORMAT_LOCALE, type Language } from '../i18n';
import type { Logger } from '../log';
import type { Policy, RuleId, SubscriptionFacts } from '../policy';
import { maskEmail } from '../privacy/mask';
import type { StateStore } from '../storage';
import { planAction, type ActionDates } from '../subscriptions/effects';
import { SubscriptionServiceUnavailableError } from '../subscriptions/subscriptionService';
import { ITEM_PARSERS, type VerificationAnswers } from '../verification/answers';
import type { CodeLimits } from '../verification/codeLimits';
import { normaliseText } from '../verification/normalise';
import { codeMatches, issueCode, OtpDeliveryError, type OtpSender } from '../verification/otp';
import { continueSession, standing } from '../verification/session';
import type { CallerVerification, VerificationResult } from '../verification/verifyCaller';
import type { AgentAuth } from './auth/routes';
import { ASSISTED_ACTIONS, assistedActionSchema, callIdSchema, createAssistedCalls, newCallId, type AssistedAction, type AssistedCall, type Confirming } from './assistedCalls';
import { confirmationFor, type Confirmation } from './assistedConfirmation';
import { esc, page } from './consoleRoutes';

/**
 * Agent-assisted verification (issue 12): an agent on the phone with a caller verifies them with the same six
 * questions (ID-1, ID-2), under the same lockout as the chat (ID-3: the attempt ledger is one, keyed per user ID, per
 * account and per conversation — here, per call), and may then carry out what the caller asks through the same policy
 * and the same actions (AccountActions.perform), the case and every audit record marked agent-assisted with the agent.
 *
 *   GET  /agent/verify                         the six items (a fresh call id)
 *   POST /agent/verify                         → the call page, or the form again: not verified / paused / format
 *   GET  /agent/calls/:id                      the organisation, its subscriptions, what the policy allows now and why not
 *   GET  /agent/calls/:id/confirm?subscription=&action=   what will happen (dates) and what the caller must accept
 *   POST /agent/calls/:id/code                 FR-2: a one-time code to the phone number on the account
 *   POST /agent/calls/:id/act                  carries it out, once per confirmation, however often it is posted
 *   POST /agent/calls/:id/end                  the call is over: forgotten
 */

export const ASSISTED_CHANNEL = 'agent-console';
const VERIFICATION_AUDIT = 'agent:assisted-verification';

export interface AssistedDeps {
  auth: AgentAuth;
  verification: CallerVerification;
  actions: AccountActions;
  directory: AccountDirectory;
  cases: CaseLog;
  policy: Policy;
  /** Where verified calls live, shared by every instance. */
  store: StateStore;
  otp: { sender: OtpSender; ttlMinutes: number; limits: CodeLimits };
  i18n: I18n;
  logger: Logger;
  /** The policy's clock: the one the verification and the actions use. */
  now: () => Date;
}

const VERIFY_FIELDS = ['userId', 'phone', 'contactName', 'organisationName', 'postalAddress'] as const;
type VerifyField = (typeof VERIFY_FIELDS)[number] | 'claimsAdmin';

const answerText = z.string().max(500).optional();
const verifyFormSchema = z.object({
  callId: z.string().optional(),
  userId: answerText,
  phone: answerText,
  contactName: answerText,
  organisationName: answerText,
  postalAddress: answerText,
  claimsAdmin: z.enum(['yes', 'no']).optional(),
});

const confirmQuerySchema = z.object({ subscription: z.string().min(1).max(200), action: assistedActionSchema });
const stepFormSchema = confirmQuerySchema.extend({ round: z.string().min(1).max(100) });
const ticked = z.literal('yes').optional();
const actFormSchema = stepFormSchema.extend({ fees: ticked, prepared: ticked, irreversible: ticked, code: z.string().max(40).optional(), organisationName: z.string().max(300).optional() });

/** The reasons planAction and perform give that have their own words for agents; any other says "not allowed now". */
const WORDED_REFUSALS = new Set([
  'nothing-to-cancel', 'ends-by-itself', 'already-ended', 'already-scheduled', 'needs-human-agent', 'too-many-licences', 'trial', 'already-fast-revoked',
  'data-already-deleted', 'not-needed', 'fast-revoked', 'data-deleted', 'trial-expired', 'no-such-subscription', 'idempotency-key-reused',
]);

/** The same confirmation posted twice carries the same key and acts once; a new confirmation of the same action, a new one. */
export function assistedIdempotencyKey(callId: string, subscriptionId: string, action: AssistedAction, round: string): string {
  return createHash('sha256').update([ASSISTED_CHANNEL, callId, subscriptionId, action, round].join('|')).digest('hex');
}

export function registerAssistedRoutes(server: Server, deps: AssistedDeps): void {
  const { auth, policy } = deps;
  const calls = createAssistedCalls(deps.store);

  const languageOf = (req: Request) => auth.languageOf(req);
  const translate = (req: Request): TFunction => deps.i18n.getFixedT(languageOf(req));
  const show = (req: Request, res: Response, agent: AgentIdentity, title: string, body: string) => page(res, translate(req), agent, title, body, auth.csrfToken(req));
  const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
  const csrfField = (req: Request) => hidden('_csrf', auth.csrfToken(req));
  const notice = (text: string, kind: 'alert' | 'info' = 'alert') => `<p class="notice ${kind}" role="${kind === 'alert' ? 'alert' : 'status'}">${esc(text)}</p>`;
  const rules = (t: TFunction, ids: readonly RuleId[]) => (ids.length > 0 ? ` <span class="rules">${esc(t('assisted:call.rules', { rules: ids.join(', ') }))}</span>` : '');
  const callPath = (callId: string, rest = '') => `/agent/calls/${encodeURIComponent(callId)}${rest}`;
  const redirect = (res: Response, location: string) => {
    res.setHeader('Location', location);
    res.setHeader('Cache-Control', 'no-store');
    res.send(303);
  };

  // ---------------------------------------------------------------------------------------------------------------
  // Verification

  function verifyPage(req: Request, res: Response, agent: AgentIdentity, callId: string, given: Partial<Record<VerifyField, string>> = {}, wrongForm: ReadonlySet<VerifyField> = new Set(), message = ''): void {
    const t = translate(req);
    const field = (name: (typeof VERIFY_FIELDS)[number], type: string, autocomplete = 'off') => {
      const invalid = wrongForm.has(name);
      return `<label for="${name}">${esc(t(`assisted:verify.${name}`))}</label>
        <input id="${name}" name="${name}" type="${type}" maxlength="500" autocomplete="${autocomplete}" spellcheck="false" value="${esc(given[name] ?? '')}"${invalid ? ` aria-invalid="true" aria-describedby="${name}-format"` : ''} required>
        ${invalid ? `<p class="field-error" id="${name}-format">${esc(t(`assisted:format.${name}`))}</p>` : ''}`;
    };
    const admin = (value: 'yes' | 'no') =>
      `<label class="inline"><input type="radio" name="claimsAdmin" value="${value}"${given.claimsAdmin === value ? ' checked' : ''} required> ${esc(t(`assisted:verify.${value}`))}</label>`;
    const body = `
      <h1>${esc(t('assisted:verify.title'))}</h1>
      <p>${esc(t('assisted:verify.intro'))}</p>
      ${message}
      <form method="post" action="/agent/verify" class="assisted" autocomplete="off">
        ${csrfField(req)}${hidden('callId', callId)}
        ${field('userId', 'text')}
        ${field('phone', 'tel')}
        ${field('contactName', 'text')}
        ${field('organisationName', 'text')}
        ${field('postalAddress', 'text')}
        <fieldset${wrongForm.has('claimsAdmin') ? ' aria-invalid="true"' : ''}><legend>${esc(t('assisted:verify.claimsAdmin'))}</legend>${admin('yes')} ${admin('no')}
        ${wrongForm.has('claimsAdmin') ? `<p class="field-error">${esc(t('assisted:format.claimsAdmin'))}</p>` : ''}</fieldset>
        <button class="primary">${esc(t('assisted:verify.submit'))}</button>
      </form>
      <p><a href="/agent/verify">${esc(t('assisted:verify.newCall'))}</a></p>`;
    show(req, res, agent, t('assisted:verify.title'), body);
  }

  /** Every attempt, whatever came of it, under the agent's name; of the caller only the masked user ID (no answers). */
  async function auditAttempt(agent: AgentIdentity, callId: string, userId: string, result: VerificationResult | { status: 'directory-unavailable' }): Promise<void> {
    const outcome: Record<string, unknown> =
      result.status === 'verified' ? { isAdmin: result.isAdmin } : result.status === 'rejected' ? { attemptsLeft: result.attemptsLeft } : result.status === 'locked' ? { lockedUntil: result.until.toISOString() } : {};
    const ruleIds: RuleId[] = result.status === 'verified' ? ['ID-1', 'ID-2'] : result.status === 'directory-unavailable' ? ['ID-1'] : ['ID-1', 'ID-3'];
    try {
      await deps.cases.audit({
        at: deps.now().toISOString(),
        caseReference: null,
        accountId: result.status === 'verified' ? result.account.id : null,
        action: VERIFICATION_AUDIT,
        rules: ruleIds,
        channel: ASSISTED_CHANNEL,
        caller: `agent:${agent.id}`,
        details: { outcome: result.status, userId: maskEmail(userId), callId, ...outcome },
      });
    } catch (error) {
      deps.logger.error('assisted.audit-failed', { error: error as Error });
    }
  }

  server.get('/agent/verify', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    verifyPage(req, res, agent, newCallId());
  });

  server.post('/agent/verify', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    const form = await auth.form(req, res);
    if (!form) return;
    const t = translate(req);
    const parsed = verifyFormSchema.safeParse(form);
    // A field too long to be an answer is a format problem like any other; the rest is read as given.
    const raw = parsed.success ? parsed.data : verifyFormSchema.parse(Object.fromEntries(Object.entries(form).map(([k, v]) => [k, k === 'claimsAdmin' && v !== 'yes' && v !== 'no' ? undefined : String(v).slice(0, 500)])));
    const callId = callIdSchema.safeParse(raw.callId).success ? (raw.callId as string) : newCallId();
    const given: Partial<Record<VerifyField, string>> = { ...raw };
    const wrongForm = new Set<VerifyField>(parsed.success ? [] : parsed.error.issues.map((issue) => issue.path[0] as VerifyField));
    const answers: Partial<VerificationAnswers> = {};
    for (const item of VERIFY_FIELDS) {
      const value = ITEM_PARSERS[item](raw[item] ?? '');
      if (value === undefined) wrongForm.add(item);
      else answers[item] = value;
    }
    if (raw.claimsAdmin === undefined) wrongForm.add('claimsAdmin');
    else answers.claimsAdmin = raw.claimsAdmin === 'yes';
    // A malformed answer is no attempt (the chat asks again without counting): nothing is checked.
    if (wrongForm.size > 0) return verifyPage(req, res, agent, callId, given, wrongForm, notice(t('assisted:verify.invalid')));

    const complete = answers as VerificationAnswers;
    let result: VerificationResult;
    try {
      result = await deps.verification.verify({ channelId: ASSISTED_CHANNEL, conversationId: callId }, complete);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      deps.logger.error('assisted.directory-unavailable', { error });
      await auditAttempt(agent, callId, complete.userId, { status: 'directory-unavailable' });
      return verifyPage(req, res, agent, callId, given, new Set(), notice(t('assisted:verify.unavailable')));
    }
    await auditAttempt(agent, callId, complete.userId, result);
    switch (result.status) {
      case 'rejected':
        // ID-3 holds for agents too: the same words whichever answer did not match.
        return verifyPage(req, res, agent, callId, given, new Set(), notice(t('assisted:verify.rejected', { count: result.attemptsLeft })) + notice(t('assisted:verify.neverSay'), 'info'));
      case 'locked':
        return verifyPage(req, res, agent, callId, given, new Set(), notice(t('assisted:verify.locked', { until: formatTime(result.until, languageOf(req)) })));
      case 'verified': {
        const at = deps.now().toISOString();
        const call: AssistedCall = {
          agentId: agent.id,
          accountId: result.account.id,
          organisationName: result.account.organisationName,
          isAdmin: result.isAdmin,
          caller: maskEmail(complete.userId),
          verifiedAt: at,
          lastActiveAt: at,
        };
        if (!(await calls.open(callId, call))) return verifyPage(req, res, agent, newCallId(), {}, new Set(), notice(t('assisted:verify.taken')));
        return redirect(res, callPath(callId));
      }
    }
  });

  // ---------------------------------------------------------------------------------------------------------------
  // The verified call

  /**
   * The agent's own call, still verified (ID-1: it lapses like a chat session), with this request counted as activity.
   * Undefined once the request has been answered: no such call (or another agent's), or lapsed.
   */
  async function currentCall(req: Request, res: Response, agent: AgentIdentity): Promise<{ callId: string; call: AssistedCall } | undefined> {
    const t = translate(req);
    const id = callIdSchema.safeParse(req.params.id);
    for (let attempt = 0; id.success && attempt < 5; attempt++) {
      const stored = await calls.read(id.data);
      if (!stored || stored.call.agentId !== agent.id) break;
      const continued = continueSession(stored.call, deps.now(), policy);
      if (!continued) {
        await calls.end(id.data);
        const minutes = policy.config.verificationIdleMinutes;
        show(req, res, agent, t('assisted:verify.title'), `<h1>${esc(t('assisted:verify.title'))}</h1>${notice(t('assisted:call.lapsed', { minutes }))}${rules(t, ['ID-1'])}<p><a href="/agent/verify">${esc(t('assisted:verify.newCall'))}</a></p>`);
        return undefined;
      }
      const call = { ...stored.call, lastActiveAt: continued.lastActiveAt };
      if (await calls.save(id.data, call, stored.eTag)) return { callId: id.data, call };
    }
    show(req, res, agent, t('assisted:call.notFound'), `<h1>${esc(t('assisted:call.notFound'))}</h1><p><a href="/agent/verify">${esc(t('assisted:nav'))}</a></p>`);
    return undefined;
  }

  /** Changes the stored call (another request of the agent's may have written it meanwhile: read again, change again). */
  async function changeCall(callId: string, change: (call: AssistedCall) => AssistedCall): Promise<AssistedCall | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stored = await calls.read(callId);
      if (!stored) return undefined;
      const next = change(stored.call);
      if (await calls.save(callId, next, stored.eTag)) return next;
    }
    return undefined;
  }

  const withoutConfirming = (round: string) => (call: AssistedCall): AssistedCall => (call.confirming?.round === round ? { ...call, confirming: undefined } : call);

  async function readAccount(accountId: string): Promise<Account | undefined> {
    try {
      return await deps.directory.findAccount(accountId);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      deps.logger.error('assisted.directory-unavailable', { error });
      return undefined;
    }
  }

  function subscriptionLabel(t: TFunction, facts: SubscriptionFacts): string {
    return t('account:subscriptionLabel', { plan: t(`account:plans.${facts.plan}`), count: facts.assignedLicenses });
  }

  function refusal(t: TFunction, language: Language, reason: string, facts: SubscriptionFacts): string {
    return t(`assisted:refused.${WORDED_REFUSALS.has(reason) ? reason : 'other'}`, {
      termEnd: formatDate(facts.termEnd, language),
      status: t(`account:statuses.${facts.status}`),
      licences: facts.assignedLicenses,
      threshold: policy.config.licenceThreshold,
    });
  }

  function datesOf(dates: ActionDates, language: Language): Record<string, string> {
    return Object.fromEntries(Object.entries(dates).flatMap(([name, value]) => (value ? [[name, formatDate(value, language)]] : [])));
  }

  async function callPage(req: Request, res: Response, agent: AgentIdentity, callId: string, call: AssistedCall, message = ''): Promise<void> {
    const t = translate(req);
    const language = languageOf(req);
    const title = t('assisted:call.title', { organisation: call.organisationName });
    const yesNo = (value: boolean) => t(value ? 'assisted:call.yes' : 'assisted:call.no');
    const summary = `<dl class="call">
        <dt>${esc(t('assisted:call.caller'))}</dt><dd>${esc(call.caller)}</dd>
        <dt>${esc(t('assisted:call.administrator'))}</dt><dd>${esc(yesNo(call.isAdmin))}</dd>
        <dt>${esc(t('assisted:call.verifiedAt'))}</dt><dd><time datetime="${esc(call.verifiedAt)}">${esc(call.verifiedAt.replace('T', ' ').slice(0, 16))}</time></dd>
      </dl>
      <p class="status">${esc(t('assisted:call.lapses', { minutes: policy.config.verificationIdleMinutes }))}</p>`;
    const endForm = `<form method="post" action="${callPath(callId, '/end')}">${csrfField(req)}<button>${esc(t('assisted:call.end'))}</button></form>`;
    let content: string;
    if (!call.isAdmin) {
      // ID-2: a verified non-admin gets no action, only why and how to reach their admin.
      content = `${notice(t('assisted:call.notAdmin', { organisation: call.organisationName }), 'info')}${rules(t, ['ID-2'])}`;
    } else {
      const account = await readAccount(call.accountId);
      content = account ? subscriptionsTable(t, language, callId, account) : notice(t('assisted:call.unavailable'));
    }
    show(req, res, agent, title, `<h1>${esc(title)}</h1>${message}${summary}${content}<div class="actions">${endForm}</div>`);
  }

  function subscriptionsTable(t: TFunction, language: Language, callId: string, account: Account): string {
    const now = deps.now();
    const rows = account.subscriptions.map(({ id, facts }) => {
      const options = ASSISTED_ACTIONS.map((action) => {
        const plan = planAction(action, facts, now, policy);
        const name = `<strong>${esc(t(`assisted:action.${action}`))}</strong>`;
        if (!plan.allowed) return `<li class="not-allowed">${name}: ${esc(refusal(t, language, plan.reason, facts))}${rules(t, plan.rules)}</li>`;
        const choose = `${callPath(callId, '/confirm')}?subscription=${encodeURIComponent(id)}&action=${encodeURIComponent(action)}`;
        return `<li class="allowed">${name}: ${esc(t(`assisted:effect.${action}`, datesOf(plan.dates, language)))}${rules(t, plan.rules)} <a class="button" href="${esc(choose)}">${esc(t('assisted:call.choose'))}</a></li>`;
      });
      return `<tr>
          <td>${esc(subscriptionLabel(t, facts))}<br><small>${esc(id)}</small></td>
          <td>${esc(facts.assignedLicenses)}</td>
          <td>${esc(t(`account:statuses.${facts.status}`))}</td>
          <td>${esc(formatDate(facts.termEnd, language))}</td>
          <td>${esc(t(facts.autoRenew ? 'assisted:call.yes' : 'assisted:call.no'))}</td>
          <td><ul class="options">${options.join('')}</ul></td>
        </tr>`;
    });
    const head = ['subscription', 'licences', 'status', 'termEnd', 'autoRenew', 'options'].map((column) => `<th>${esc(t(`assisted:call.${column}`))}</th>`).join('');
    return `<h2>${esc(t('assisted:call.subscriptions'))}</h2><table class="subscriptions"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }

  /**
   * A page or form of one verified call: the agent signed in, a form posted from the console's own page (CSRF), and
   * the call theirs and still current (currentCall answers otherwise).
   */
  const onCall = (
    method: 'get' | 'post',
    path: string,
    handle: (req: Request, res: Response, agent: AgentIdentity, current: { callId: string; call: AssistedCall }, form: Record<string, string>) => Promise<unknown>,
  ) =>
    server[method](path, async (req: Request, res: Response) => {
      const agent = auth.agent(req, res);
      if (!agent) return;
      const form = method === 'post' ? await auth.form(req, res) : {};
      if (!form) return;
      const current = await currentCall(req, res, agent);
      if (current) await handle(req, res, agent, current, form);
    });

  onCall('get', '/agent/calls/:id', (req, res, agent, { callId, call }) => callPage(req, res, agent, callId, call));

  server.post('/agent/calls/:id/end', async (req: Request, res: Response) => {
    const agent = auth.agent(req, res);
    if (!agent) return;
    if (!(await auth.form(req, res))) return;
    const id = callIdSchema.safeParse(req.params.id);
    const stored = id.success ? await calls.read(id.data) : undefined;
    if (id.success && stored?.call.agentId === agent.id) await calls.end(id.data);
    redirect(res, '/agent/verify');
  });

  // ---------------------------------------------------------------------------------------------------------------
  // Confirming an action with the caller, and carrying it out

  /** The subscription read fresh, and what the policy says of the action on it now. */
  async function readChoice(callId: string, call: AssistedCall, subscriptionId: string, action: AssistedAction) {
    const account = await readAccount(call.accountId);
    const facts = account?.subscriptions.find((s) => s.id === subscriptionId)?.facts;
    if (!account || !facts) return undefined;
    return { account, facts, plan: planAction(action, facts, deps.now(), policy), callId };
  }

  function confirmPage(req: Request, res: Response, agent: AgentIdentity, callId: string, call: AssistedCall, confirming: Confirming, account: Account, confirmation: Confirmation, message = ''): void {
    const t = translate(req);
    const { action, subscriptionId, shown, round } = confirming;
    const title = t('assisted:confirm.title', { action: t(`assisted:action.${action}`), subscription: subscriptionLabel(t, shown) });
    const step = `${csrfField(req)}${hidden('subscription', subscriptionId)}${hidden('action', action)}${hidden('round', round)}`;
    const last = account.phone.slice(-2);
    const codeSent = confirming.code !== undefined;
    const sendCode = confirmation.code
      ? `<p>${esc(t('assisted:confirm.codeIntro', { last }))}</p>
         ${codeSent ? notice(t('assisted:confirm.codeSent', { last, minutes: deps.otp.ttlMinutes }), 'info') : ''}
         <form method="post" action="${callPath(callId, '/code')}">${step}<button>${esc(t(codeSent ? 'assisted:confirm.resendCode' : 'assisted:confirm.sendCode'))}</button></form>`
      : '';
    const agreements = confirmation.agreements.length
      ? `<fieldset><legend>${esc(t('assisted:confirm.agreed'))}</legend>${confirmation.agreements
          .map((agreement) => `<label class="inline"><input type="checkbox" name="${agreement.field}" value="yes" required> ${esc(agreement.label)}</label>`)
          .join('<br>')}</fieldset>`
      : '';
    const codeField = confirmation.code && codeSent ? `<label for="code">${esc(t('assisted:confirm.code'))}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="40" required>` : '';
    const nameField = confirmation.organisationName
      ? `<label for="organisationName">${esc(t('assisted:confirm.organisationName', { organisation: call.organisationName }))}</label><input id="organisationName" name="organisationName" maxlength="300" autocomplete="off" required>`
      : '';
    const body = `
      <p><a href="${callPath(callId)}">← ${esc(t('assisted:confirm.back'))}</a></p>
      <h1>${esc(title)}</h1>
      ${message}
      <h2>${esc(t('assisted:confirm.whatHappens'))}</h2>
      <ul class="what-happens">${confirmation.lines.map((line) => `<li>${esc(line)}</li>`).join('')}</ul>
      <p>${esc(t('assisted:confirm.goThrough'))}</p>
      ${sendCode}
      <form method="post" action="${callPath(callId, '/act')}" class="assisted" autocomplete="off">
        ${step}${agreements}${codeField}${nameField}
        <button class="primary">${esc(t('assisted:confirm.submit'))}</button>
      </form>`;
    show(req, res, agent, title, body);
  }

  /** The confirmation being shown for this subscription and action: the one under way (its code kept), or a new one. */
  function confirmingFor(call: AssistedCall, subscriptionId: string, action: AssistedAction, shown: SubscriptionFacts): Confirming {
    const current = call.confirming;
    if (current && current.subscriptionId === subscriptionId && current.action === action) return { ...current, shown };
    return { round: newCallId(), subscriptionId, action, shown };
  }

  /** Shows the confirmation page for the call's confirmation under way, facts read fresh; the call page when it is gone. */
  async function showConfirming(req: Request, res: Response, agent: AgentIdentity, callId: string, call: AssistedCall, message: string): Promise<void> {
    const t = translate(req);
    const confirming = call.confirming;
    const choice = confirming && (await readChoice(callId, call, confirming.subscriptionId, confirming.action));
    const confirmation = choice && confirming && confirmationFor(confirming.action, confirming.shown, deps.now(), policy, t, languageOf(req));
    if (!confirming || !choice || !confirmation) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
    confirmPage(req, res, agent, callId, call, confirming, choice.account, confirmation, message);
  }

  onCall('get', '/agent/calls/:id/confirm', async (req, res, agent, { callId, call }) => {
    const t = translate(req);
    const query = confirmQuerySchema.safeParse(Object.fromEntries(new URL(req.url ?? '', 'http://localhost').searchParams));
    if (!query.success || !call.isAdmin) return callPage(req, res, agent, callId, call);
    const { subscription, action } = query.data;
    const choice = await readChoice(callId, call, subscription, action);
    if (!choice) return callPage(req, res, agent, callId, call, notice(t('assisted:call.unavailable')));
    if (!choice.plan.allowed) return callPage(req, res, agent, callId, call, notice(t('assisted:outcome.notAllowed', { reason: refusal(t, languageOf(req), choice.plan.reason, choice.facts) })));
    const confirmation = confirmationFor(action, choice.facts, deps.now(), policy, t, languageOf(req));
    if (!confirmation) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
    const confirming = confirmingFor(call, subscription, action, choice.facts);
    const saved = await changeCall(callId, (stored) => ({ ...stored, confirming: confirmingFor(stored, subscription, action, choice.facts) }));
    confirmPage(req, res, agent, callId, saved ?? call, saved?.confirming ?? confirming, choice.account, confirmation);
  });

  /** The step posted belongs to the confirmation under way (not an old tab's, nor a forged one). */
  const isCurrentStep = (call: AssistedCall, step: z.infer<typeof stepFormSchema>) =>
    call.confirming !== undefined && call.confirming.round === step.round && call.confirming.subscriptionId === step.subscription && call.confirming.action === step.action;

  onCall('post', '/agent/calls/:id/code', async (req, res, agent, { callId, call }, form) => {
    const t = translate(req);
    const step = stepFormSchema.safeParse(form);
    if (!step.success || step.data.action !== 'fast-revoke' || !call.isAdmin || !isCurrentStep(call, step.data)) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
    const confirming = call.confirming as Confirming;
    // FR-2: a few codes per fast revoke, and the account's share over time (the chat counts in the same ledger).
    if (confirming.code && !policy.mayResendCode(confirming.code.sends)) return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.noMoreCodes')));
    const account = await readAccount(call.accountId);
    if (!account) return showConfirming(req, res, agent, callId, call, notice(t('assisted:call.unavailable')));
    if (!(await deps.otp.limits.allowSend(call.accountId))) return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.sendLimit')));
    const { code, issued } = issueCode(deps.now(), deps.otp.ttlMinutes);
    try {
      await deps.otp.sender.send(account.phone, t('fastRevoke:sms', { code, minutes: deps.otp.ttlMinutes }));
    } catch (error) {
      if (!(error instanceof OtpDeliveryError)) throw error;
      await deps.otp.limits.withdrawSend(call.accountId);
      deps.logger.error('assisted.otp-not-sent', { error });
      return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.smsFailed')));
    }
    const sends = (confirming.code?.sends ?? 0) + 1;
    await changeCall(callId, (stored) => (stored.confirming?.round === confirming.round ? { ...stored, confirming: { ...stored.confirming, code: { issued, sends } } } : stored));
    redirect(res, `${callPath(callId, '/confirm')}?subscription=${encodeURIComponent(confirming.subscriptionId)}&action=${confirming.action}`);
  });

  onCall('post', '/agent/calls/:id/act', async (req, res, agent, { callId, call }, form) => {
    const t = translate(req);
    const language = languageOf(req);
    const posted = actFormSchema.safeParse(form);
    if (!posted.success) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
    const { subscription, action, round } = posted.data;
    const key = assistedIdempotencyKey(callId, subscription, action, round);

    // The same confirmation posted again (a double click, "try again" after a billing failure) finds its case and acts
    // no more than once; a first post must be the confirmation under way, with everything it asks for.
    const existing = await deps.cases.findByIdempotencyKey(key);
    if (!existing) {
      if (!isCurrentStep(call, posted.data)) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
      const confirming = call.confirming as Confirming;
      const confirmation = confirmationFor(action, confirming.shown, deps.now(), policy, t, language);
      if (!confirmation) return callPage(req, res, agent, callId, call, notice(t('assisted:call.outOfDate')));
      if (confirmation.agreements.some((agreement) => posted.data[agreement.field] !== 'yes')) return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.missing')));
      if (confirmation.code) {
        if (!confirming.code) return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.needCode')));
        if (!codeMatches(confirming.code.issued, posted.data.code ?? '', deps.now())) {
          if (await deps.otp.limits.allowWrongCode(call.accountId)) return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.wrongCode')));
          // FR-2: too many wrong codes for the account: this fast revoke stops, as in the chat.
          const stopped = (await changeCall(callId, withoutConfirming(round))) ?? call;
          return callPage(req, res, agent, callId, stopped, notice(t('assisted:confirm.codeLimit')));
        }
      }
      if (confirmation.organisationName && normaliseText(posted.data.organisationName ?? '') !== normaliseText(call.organisationName)) {
        return showConfirming(req, res, agent, callId, call, notice(t('assisted:confirm.wrongName')));
      }
    }

    let outcome: ActionOutcome;
    try {
      outcome = await deps.actions.perform(action, {
        accountId: call.accountId,
        subscriptionId: subscription,
        idempotencyKey: key,
        channel: ASSISTED_CHANNEL,
        caller: call.caller,
        shown: call.confirming?.round === round ? call.confirming.shown : undefined,
        // The domain asks the policy again with the call's standing (ID-1, ID-2), as it does for the chat.
        verifiedCaller: { accountId: call.accountId, standing: standing(call) },
        assistedBy: `agent:${agent.id}`,
      });
    } catch (error) {
      if (!(error instanceof SubscriptionServiceUnavailableError || error instanceof DirectoryUnavailableError)) throw error;
      deps.logger.error('assisted.backend-unavailable', { action, error });
      // The case (if it was opened) stays pending with the caller's confirmation: the same post again finishes it.
      const pending = await deps.actions.findUnfinished(key).catch(() => undefined);
      const retry = pending
        ? `<form method="post" action="${callPath(callId, '/act')}">${csrfField(req)}${hidden('subscription', subscription)}${hidden('action', action)}${hidden('round', round)}<button class="primary">${esc(t('assisted:outcome.retry'))}</button></form>`
        : '';
      const title = t('assisted:outcome.title', { action: t(`assisted:action.${action}`), subscription: call.organisationName });
      show(req, res, agent, title, `<h1>${esc(title)}</h1>${notice(pending ? t('assisted:outcome.pending', { reference: pending.reference }) : t('assisted:outcome.unavailable'))}<div class="actions">${retry}<a href="${callPath(callId)}">${esc(t('assisted:confirm.back'))}</a></div>`);
      return;
    }

    const settled = (await changeCall(callId, withoutConfirming(round))) ?? call;
    switch (outcome.status) {
      case 'done': {
        const { supportCase, dates } = outcome;
        const facts = (supportCase.details.request as { expected?: SubscriptionFacts } | undefined)?.expected;
        const title = t('assisted:outcome.title', { action: t(`assisted:action.${action}`), subscription: facts ? subscriptionLabel(t, facts) : subscription });
        const said = outcome.alreadyDone ? t('assisted:outcome.alreadyDone', { reference: supportCase.reference }) : t('assisted:outcome.done', { reference: supportCase.reference });
        show(req, res, agent, title, `<h1>${esc(title)}</h1>
          <p class="done" role="status"><strong>${esc(said)}</strong></p>
          <p>${esc(t(`assisted:effect.${action}`, datesOf(dates, language)))}${rules(t, supportCase.rules)}</p>
          <p><a href="${callPath(callId)}">${esc(t('assisted:confirm.back'))}</a></p>`);
        return;
      }
      case 'not-permitted':
        // The verification lapsed meanwhile (the next page says so), or the caller is no administrator (ID-2).
        return callPage(req, res, agent, callId, settled, notice(t('assisted:outcome.notAllowed', { reason: t('assisted:refused.other') })));
      case 'not-allowed': {
        const choice = await readChoice(callId, call, subscription, action);
        const reason = choice ? refusal(t, language, outcome.reason, choice.facts) : t('assisted:refused.other');
        return callPage(req, res, agent, callId, settled, notice(t('assisted:outcome.notAllowed', { reason })) + rules(t, outcome.rules));
      }
      case 'changed':
        return callPage(req, res, agent, callId, settled, notice(t('assisted:outcome.changed')));
    }
  });
}

/** A moment as agents read it: day and time, in UTC like the rest of the console. */
function formatTime(at: Date, language: Language): string {
  return `${new Intl.DateTimeFormat(FORMAT_LOCALE[language], { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(at)} UTC`;
}
