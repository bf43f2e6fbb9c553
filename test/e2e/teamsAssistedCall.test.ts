import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Activity } from 'botbuilder';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { addAgent } from '../../src/tools/agentAdd';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';

/**
 * A support agent on the phone with a caller verifies them in the agent's own Teams chat with the bot ("verifiera en
 * kund"): the caller's path (the six questions, the policy, the action), under the same ID-3 lockout as the caller's
 * own chat, with the case and audit saying "agent-assisted" and which agent.
 */
const MAJA_OBJECT_ID = '6b1d7c1e-1111-4222-8333-944445555666';
const TENANT = { id: '72f988bf-0000-0000-0000-000000000000' };
const PASSWORD = 'correct horse battery staple';

describe('agent-assisted verification in Teams', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agents-teams-'));
  const accountsFile = join(dir, 'agents.json');
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const sv = i18n.getFixedT('sv');

  beforeAll(async () => {
    await addAgent({ file: accountsFile, id: 'maja', displayName: 'Maja', password: PASSWORD, entraObjectId: MAJA_OBJECT_ID.toUpperCase() });
    connector = await startConnectorStub();
    const config = testConfig();
    // Teams names whoever is signed in: here always the agent (the bot would offer it as the caller's user ID).
    app = await createApp({ ...config, agents: { ...config.agents, accountsFile } }, silentLogger, { store: memoryStateStore(), now: () => NOW, teamsUserId: async () => 'maja.berg@support.example' });
    url = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const teams = (conversationId: string, objectId: string, text: string): Partial<Activity> => ({
    ...inbound(connector.url, conversationId, { type: 'message', text, locale: 'sv-SE' }),
    channelId: 'msteams',
    conversation: { id: conversationId, conversationType: 'personal', tenantId: TENANT.id, isGroup: false } as Activity['conversation'],
    from: { id: `29:${objectId}`, name: 'Someone', aadObjectId: objectId } as Activity['from'],
    channelData: { tenant: TENANT },
  });
  const say = async (conversationId: string, objectId: string, ...texts: string[]) => {
    const before = connector.textsFor(conversationId).length;
    for (const text of texts) {
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(teams(conversationId, objectId, text)) });
      expect(res.status).toBe(200);
    }
    return connector.textsFor(conversationId).slice(before);
  };

  const ANNA = ['anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', 'ja'];
  const ERIK = ['erik.berg@nordkust.se', '031-555 01 23', 'Erik Berg', 'Nordkust Logistik AB', 'Hamngatan 3, 411 06 Göteborg', 'ja'];
  const ANNA_WRONG_PHONE = ['anna.lindqvist@fjordfika.se', '070-999 99 99', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', 'ja'];
  const referenceIn = (conversationId: string) =>
    connector.replies.filter((r) => r.activity.conversation?.id === conversationId).map((r) => `${r.activity.text ?? ''} ${r.activity.summary ?? ''}`).join('\n').match(/CX-[2346789A-Z]{4}-[2346789]{2}/)?.[0];

  it('an agent verifies a caller on the phone and cancels for them: the case and its audit say agent-assisted, by whom', async () => {
    const id = 'a:maja-chat-cancel';
    expect(await say(id, MAJA_OBJECT_ID, 'Verifiera en kund')).toEqual([sv('agentAssist:started'), sv('agentAssist:whatDoesCallerWant')]);
    // The caller's path: their wish, then the six questions (Teams' own sign-in name is the agent's, so it is not offered).
    const questions = await say(id, MAJA_OBJECT_ID, 'Säg upp prenumerationen');
    expect(questions.at(-1)).toBe(sv('verify:ask.userId'));
    expect(questions.join('\n')).not.toContain('maja.berg@support.example');
    await say(id, MAJA_OBJECT_ID, ...ANNA, 'Vid periodens slut', 'ja');
    const reference = referenceIn(id) as string;
    expect(reference).toBeDefined();
    const supportCase = await app.runtime.cases.findCase(reference);
    expect(supportCase).toMatchObject({ kind: 'action', status: 'done', action: 'turn-off-auto-renew', accountId: 'acc-fjordfika', channel: 'msteams' });
    expect(supportCase?.details).toMatchObject({ agentAssisted: true, assistedBy: 'agent:maja' });
    const audit = await app.runtime.cases.auditFor(reference);
    expect(audit.map((record) => record.action)).toEqual(['turn-off-auto-renew:requested', 'turn-off-auto-renew:done']);
    for (const record of audit) expect(record.details).toMatchObject({ agentAssisted: true, assistedBy: 'agent:maja' });
  });

  it('the same words from someone who is no agent are no command: their chat goes on as a caller\'s', async () => {
    const id = 'a:not-an-agent';
    const said = await say(id, '0f0f0f0f-0000-4000-8000-000000000000', 'verifiera en kund');
    expect(said).not.toContain(sv('agentAssist:started'));
    expect(said).not.toContain(sv('agentAssist:whatDoesCallerWant'));
    // A caller in Teams is offered their own sign-in name as the user ID; an agent's call never is (see above).
    const asked = await say(id, '0f0f0f0f-0000-4000-8000-000000000000', 'Säg upp prenumerationen');
    expect(asked.join('\n')).toContain(sv('verify:left.6'));
    expect(asked.join('\n')).toContain('maja.berg@support.example');
  });

  it('shares the ID-3 lockout: a locked caller stays locked in the next call and in their own chat; the next caller is not', async () => {
    const id = 'a:maja-chat-lockout';
    // Three wrong phone numbers for Anna lock her user ID and account, as in her own chat.
    await say(id, MAJA_OBJECT_ID, 'verifiera en kund', 'Säg upp prenumerationen', ...ANNA_WRONG_PHONE, ...ANNA_WRONG_PHONE);
    const third = await say(id, MAJA_OBJECT_ID, ...ANNA_WRONG_PHONE);
    expect(third.join('\n')).toContain(sv('verify:locked', { minutes: 15 }).slice(0, 40));

    // The next call: another caller is verified at once (this chat is not locked) …
    await say(id, MAJA_OBJECT_ID, 'verifiera en kund', 'Säg upp prenumerationen');
    const erik = await say(id, MAJA_OBJECT_ID, ...ERIK);
    expect(erik.join('\n')).toContain(sv('verify:verifiedAdmin', { organisation: 'Nordkust Logistik AB' }));
    // … but Anna, with the right answers now, is still locked, here and in her own chat.
    await say(id, MAJA_OBJECT_ID, 'verifiera en kund', 'Säg upp prenumerationen');
    const annaAgain = await say(id, MAJA_OBJECT_ID, ...ANNA);
    expect(annaAgain.join('\n')).not.toContain(sv('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
    const own = 'anna-own-chat';
    for (const text of ['Säg upp prenumerationen', ...ANNA]) {
      const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, own, { type: 'message', text, locale: 'sv-SE' })) });
      expect(res.status).toBe(200);
    }
    expect(connector.textsFor(own).join('\n')).not.toContain(sv('verify:verifiedAdmin', { organisation: 'Fjordfika AB' }));
  });

  it('audits every attempt under the agent, and "avsluta samtalet" forgets the caller: nothing of them in the next call', async () => {
    const id = 'a:maja-chat-calls';
    const audit = vi.spyOn(app.runtime.cases, 'audit');
    // (Anna is locked out by the test before: Erik calls.)
    await say(id, MAJA_OBJECT_ID, 'verifiera en kund', 'Säg upp prenumerationen', ...ERIK.map((answer, i) => (i === 1 ? '031-999 99 99' : answer)));
    await say(id, MAJA_OBJECT_ID, ...ERIK);
    const attempts = audit.mock.calls.map(([record]) => record).filter((record) => record.action === 'agent:assisted-verification');
    expect(attempts.map((record) => [record.caller, record.details.outcome, record.details.userId])).toEqual([
      ['agent:maja', 'rejected', 'e***@nordkust.se'],
      ['agent:maja', 'verified', 'e***@nordkust.se'],
    ]);
    // The phone numbers as said or normalised (+4631…), not any "031": a random call id may contain those digits.
    expect(JSON.stringify(attempts)).not.toMatch(/031-|\+46 ?31|Erik Berg|Hamngatan/);
    audit.mockRestore();

    // A person asked for in a call: a case for the record, but nobody is queued (the agent is the person).
    await say(id, MAJA_OBJECT_ID, 'Jag vill prata med en person');
    expect((await app.runtime.liveHandoffs.queue.list({})).filter((entry) => entry.conversationKey === `msteams/${id}`)).toEqual([]);

    expect(await say(id, MAJA_OBJECT_ID, 'Avsluta samtalet')).toEqual([sv('agentAssist:ended')]);
    // Erik's verification went with the call: a cancellation now starts with the questions, and it is nobody's call.
    const next = await say(id, MAJA_OBJECT_ID, 'Säg upp prenumerationen');
    expect(next.join('\n')).toContain(sv('verify:left.6'));
    // … and, no call running, Teams' signed-in name is offered again: this is the agent's own chat now.
    expect(next.join('\n')).toContain('maja.berg@support.example');
  });
});
