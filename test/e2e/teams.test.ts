import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { i18n, testConfig } from '../support/bot';
import { startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';

/**
 * Activities shaped as Teams sends them (personal, group chat and channel conversations, mentions, channelData with
 * the tenant, installation updates, reactions, invokes), through the HTTP endpoint: each gets a sensible answer and
 * never a 5xx; where others read along, nothing about an account is asked or shown.
 */
const BOT = { id: '28:bot-app-id', name: 'Prenumerationsassistenten' };
const TENANT = { id: '72f988bf-0000-0000-0000-000000000000' };

describe('Teams payloads over HTTP', () => {
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const sv = i18n.getFixedT('sv');

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    url = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
  });

  function teams(conversationId: string, conversationType: 'personal' | 'groupChat' | 'channel', fields: Partial<Activity>): Partial<Activity> {
    return {
      id: `in-${Math.random().toString(36).slice(2)}`,
      channelId: 'msteams',
      serviceUrl: connector.url,
      locale: 'sv-SE',
      conversation: { id: conversationId, conversationType, tenantId: TENANT.id, isGroup: conversationType !== 'personal', ...(conversationType === 'channel' ? { name: 'Allmänt' } : {}) } as Activity['conversation'],
      from: { id: '29:user-aad', name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-000000000001' } as Activity['from'],
      recipient: BOT as Activity['recipient'],
      channelData: { tenant: TENANT, ...(conversationType === 'channel' ? { team: { id: '19:team@thread.tacv2' }, channel: { id: conversationId } } : {}) },
      timestamp: new Date(),
      ...fields,
    };
  }

  const post = (activity: Partial<Activity>) => fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
  const repliesTo = (conversationId: string) => connector.replies.filter((r) => r.activity.conversation?.id === conversationId).map((r) => r.activity);
  const textOf = (activities: Array<Partial<Activity>>) => activities.map((a) => [a.text ?? '', a.summary ?? ''].join(' ')).join('\n');
  const mention = (text: string) => ({
    text: `<at>${BOT.name}</at> ${text}`,
    entities: [{ type: 'mention', text: `<at>${BOT.name}</at>`, mentioned: BOT }],
  });

  it('a personal chat: the @mention-free message starts verification as usual', async () => {
    const id = 'a:personal-1';
    expect((await post(teams(id, 'personal', { type: 'message', text: 'Jag vill säga upp min prenumeration' }))).status).toBe(200);
    expect(textOf(repliesTo(id))).toContain(sv('verify:left.6'));
  });

  it('a personal chat through to the receipt: the case records the tenant the caller wrote from', async () => {
    const id = 'a:personal-tenant';
    const everything = 'Jag vill säga upp vid periodens slut. anna.lindqvist@fjordfika.se, 070-123 45 67, Anna Lindqvist, Fjordfika AB, Storgatan 12, 114 55 Stockholm, jag är admin.';
    for (const text of [everything, 'ja', 'ja']) expect((await post(teams(id, 'personal', { type: 'message', text }))).status).toBe(200);
    const reference = textOf(repliesTo(id)).match(/CX-[2346789A-Z]{4}-[2346789]{2}/)?.[0];
    expect(reference).toBeDefined();
    const supportCase = await app.runtime.cases.findCase(reference as string);
    expect(supportCase?.details.tenant).toBe(TENANT.id);
  });

  it.each(['groupChat', 'channel'] as const)('in a %s an @mention about an account asks nothing and points to a private chat', async (type) => {
    const id = `19:${type}-account@thread.v2`;
    expect((await post(teams(id, type, { type: 'message', ...mention('Jag vill säga upp vår prenumeration') })))).toMatchObject({ status: 200 });
    const said = textOf(repliesTo(id));
    expect(said).toContain('https://teams.microsoft.com/l/chat/0/0?users=');
    // No verification question, no Teams sign-in name offered where others read along.
    expect(said).not.toContain(sv('verify:ask.userId'));
    expect(said).not.toContain(sv('verify:teamsUserId', { userId: '' }).slice(0, 20));
    // Asking for a person there goes to the private chat too: no case with a transcript is opened in public.
    await post(teams(id, type, { type: 'message', ...mention('prata med en person') }));
    expect(textOf(repliesTo(id)).match(/CX-/g)).toBeNull();
  });

  it('in a channel a general question is answered, and buttons come on a card (Teams shows no suggested actions there)', async () => {
    const id = '19:channel-question@thread.tacv2';
    await post(teams(id, 'channel', { type: 'message', ...mention('Allmänna frågor') }));
    const replies = repliesTo(id);
    expect(textOf(replies)).toContain('Så här fungerar en uppsägning:');
    expect(replies.every((reply) => !reply.suggestedActions)).toBe(true);
  });

  it('installing the app: a greeting in a personal chat, a short welcome in a team, nothing for a member joining a team', async () => {
    await post(teams('a:install-personal', 'personal', { type: 'installationUpdate', action: 'add' } as Partial<Activity>));
    expect(textOf(repliesTo('a:install-personal'))).toContain('prenumerationsassistenten');

    const team = '19:install-team@thread.tacv2';
    await post(teams(team, 'channel', { type: 'installationUpdate', action: 'add' } as Partial<Activity>));
    expect(textOf(repliesTo(team))).toContain(sv('main:teamWelcome'));

    const joined = '19:member-joined@thread.tacv2';
    await post(teams(joined, 'channel', { type: 'conversationUpdate', membersAdded: [{ id: '29:new-member', name: 'Ny Medlem' }] } as Partial<Activity>));
    expect(repliesTo(joined)).toEqual([]);
    await post(teams(joined, 'channel', { type: 'conversationUpdate', membersAdded: [BOT] } as Partial<Activity>));
    expect(textOf(repliesTo(joined))).toContain(sv('main:teamWelcome'));
  });

  it('reactions, file consent and unknown invokes get a 200 and no 5xx', async () => {
    const id = 'a:personal-misc';
    expect((await post(teams(id, 'personal', { type: 'messageReaction', reactionsAdded: [{ type: 'like' }], replyToId: 'x' } as Partial<Activity>))).status).toBe(200);
    expect((await post(teams(id, 'personal', { type: 'invoke', name: 'fileConsent/invoke', value: { type: 'fileUpload', action: 'decline' } }))).status).toBe(200);
    expect((await post(teams(id, 'personal', { type: 'invoke', name: 'composeExtension/query', value: {} }))).status).toBe(200);
    const health = await post(teams(id, 'personal', { type: 'invoke', name: 'healthCheck', value: {} }));
    expect(health.status).toBe(200);
  });
});
