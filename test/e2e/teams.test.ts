import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore, type StateStore } from '../../src/storage';
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
    // Teams announces the bot twice (installation, then the bot as a new member): welcomed once.
    await post(teams(team, 'channel', { type: 'conversationUpdate', membersAdded: [BOT] } as Partial<Activity>));
    expect(repliesTo(team).filter((reply) => reply.text === sv('main:teamWelcome'))).toHaveLength(1);

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

  const LOCALE = { sv: 'sv-SE', en: 'en-US' } as const;
  /** A caller of each language of their own, so no test inherits another's remembered language. */
  const caller = (language: 'sv' | 'en', tag: string) => ({ id: `29:user-${tag}-${language}`, name: 'Alex Wilber', aadObjectId: '00000000-0000-0000-0000-000000000002' }) as Activity['from'];
  const PRIVATE_CHAT_LINK = `https://teams.microsoft.com/l/chat/0/0?users=${encodeURIComponent(BOT.id)}`;

  type CardAction = { type: string; title: string; verb?: string; data: { choice: string; cardId?: string }; fallback?: unknown };
  type CardContent = { body: Array<{ text?: string }>; actions?: CardAction[] };

  describe.each(['sv', 'en'] as const)('card buttons are Action.Execute in Teams (%s)', (language) => {
    const t = i18n.getFixedT(language);
    const WISH_AND_DETAILS = {
      sv: 'Jag vill säga upp vår prenumeration. Jag är anna.lindqvist@fjordfika.se, telefon 070-123 45 67, kontaktperson Anna Lindqvist, organisation Fjordfika AB, adress Storgatan 12, 114 55 Stockholm, och jag är admin.',
      en: "I want to cancel my subscription. I'm anna.lindqvist@fjordfika.se, phone 070-123 45 67, contact person Anna Lindqvist, organisation Fjordfika AB, address Storgatan 12, 114 55 Stockholm, and I'm an admin.",
    };
    // A bot of its own, with fresh demo data: both languages cancel Anna's subscription.
    let own: App;
    let ownUrl: string;
    beforeAll(async () => {
      own = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
      ownUrl = (await own.listen()).url;
    });
    afterAll(() => own.close());
    const send = (activity: Partial<Activity>) => fetch(`${ownUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });

    it('a click answers the choice question, Teams gets the card back refreshed (question, choice, no buttons), and the same click again acts no more', async () => {
      const id = `a:personal-execute-${language}`;
      const from = caller(language, 'execute');
      const personal = (fields: Partial<Activity>) => teams(id, 'personal', { locale: LOCALE[language], from, ...fields });
      expect((await send(personal({ type: 'message', text: WISH_AND_DETAILS[language] }))).status).toBe(200);
      expect((await send(personal({ type: 'message', text: t('common:yes') }))).status).toBe(200);

      // "How would you like to cancel?" on a card whose buttons are Action.Execute, with Action.Submit as fallback.
      const asked = repliesTo(id).filter((reply) => reply.attachments?.[0]?.contentType === 'application/vnd.microsoft.card.adaptive').at(-1);
      const card = asked?.attachments?.[0]?.content as CardContent;
      expect(card.body[0].text).toContain(t('cancel:howToCancel', { subscription: '§' }).split('§')[0]);
      expect(card.actions?.length).toBeGreaterThan(1);
      for (const action of card.actions ?? []) {
        expect(action).toMatchObject({ type: 'Action.Execute', verb: 'choose', data: { cardId: expect.any(String) } });
        expect(action.fallback).toEqual({ type: 'Action.Submit', title: action.title, data: action.data });
      }
      const endOfTerm = card.actions?.find((action) => action.data.choice === 'endOfTerm') as CardAction;
      expect(endOfTerm.title).toBe(t('cancel:options.endOfTerm.title'));

      const before = repliesTo(id).length;
      const click = personal({ type: 'invoke', name: 'adaptiveCard/action', replyToId: 'reply-how', value: { action: { type: 'Action.Execute', verb: 'choose', data: endOfTerm.data }, trigger: 'manual' } });
      const res = await send(click);
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { statusCode: number; type: string; value: CardContent };
      expect(answer).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
      // The same question, the choice in the button's words, and no buttons left to press.
      expect(answer.value.body.map((block) => block.text)).toEqual([card.body[0].text, t('common:chosen', { choice: endOfTerm.title })]);
      expect(answer.value.actions).toBeUndefined();
      // The dialog moved on: the choice is said in the chat, and the next question is the confirmation.
      const advanced = repliesTo(id).slice(before).map((reply) => reply.text);
      expect(advanced).toContain(t('common:youChose', { choice: endOfTerm.title }));
      expect(advanced.at(-1)).toBe(t('cancel:confirmEndOfTerm'));

      // Teams sends the same invoke again (no answer in time): acted on once — nothing said, the card says it is closed.
      const again = await send(click);
      expect(again.status).toBe(200);
      const closed = (await again.json()) as { statusCode: number; type: string; value: CardContent };
      expect(closed).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
      expect(closed.value.body.map((block) => block.text)).toEqual([t('common:cardClosed')]);
      expect(closed.value.actions).toBeUndefined();
      expect(repliesTo(id)).toHaveLength(before + advanced.length);

      // A second click on the old card (a client that did not refresh it) is a new invoke: it answers nothing, and says so.
      const secondClick = await send({ ...click, id: `in-${Math.random().toString(36).slice(2)}` });
      expect(secondClick.status).toBe(200);
      expect(((await secondClick.json()) as { value: CardContent }).value.body.map((block) => block.text)).toEqual([t('common:cardClosed')]);
      // …and asks the open question again (the confirmation), which may have scrolled out of sight.
      const afterStale = repliesTo(id).slice(before + advanced.length);
      expect(afterStale.map((reply) => reply.text)[0]).toBe(t('common:staleChoice'));
      expect(afterStale).toHaveLength(2);
      expect(afterStale[1].text).toBe(advanced.at(-1));

      // The confirmation is still the open question: one "yes", one receipt, one case.
      await send(personal({ type: 'message', text: t('common:yes') }));
      const references = textOf(repliesTo(id)).match(/CX-[2346789A-Z]{4}-[2346789]{2}/g) ?? [];
      expect(new Set(references).size).toBe(1);
    });
  });

  it.each(['sv', 'en'] as const)('%s: a card click whose turn fails (the store refuses the save) is answered with a 200 and the apology, never a 5xx', async (language) => {
    const t = i18n.getFixedT(language);
    const memory = memoryStateStore();
    // `write`: the turn runs and its save fails; `all`: the store cannot even be read, so the turn fails at once.
    const control: { down?: 'write' | 'all' } = {};
    const store: StateStore = {
      ...memory,
      read: async (keys) => (control.down === 'all' ? Promise.reject(new Error('connection refused')) : memory.read(keys)),
      write: async (changes) => (control.down ? Promise.reject(new Error('database is locked')) : memory.write(changes)),
    };
    const own = await createApp(testConfig(), silentLogger, { store, now: () => NOW });
    const ownUrl = (await own.listen()).url;
    try {
      const id = `a:personal-execute-fails-${language}`;
      const personal = (fields: Partial<Activity>) => teams(id, 'personal', { locale: LOCALE[language], from: caller(language, 'fails'), ...fields });
      const send = (activity: Partial<Activity>) => fetch(`${ownUrl}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
      await send(personal({ type: 'message', text: language === 'sv' ? 'hej' : 'hello' }));
      const click = () => send(personal({ type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'choose', data: { choice: 'general' } }, trigger: 'manual' } }));
      for (const down of ['write', 'all'] as const) {
        const before = repliesTo(id).length;
        control.down = down;
        const res = await click();
        expect(res.status, down).toBe(200);
        // The answer was not kept, so the card is not shown as answered: its buttons stay for another try.
        expect(await res.text(), down).not.toContain(t('common:chosen', { choice: t('main:menu.general.title') }));
        expect(repliesTo(id).slice(before).map((reply) => reply.text), down).toEqual([t('errors:turn')]);
      }
      // Back again: the same click answers the menu as if nothing had happened.
      control.down = undefined;
      const res = await click();
      expect(JSON.stringify(await res.json())).toContain(t('common:chosen', { choice: t('main:menu.general.title') }));
    } finally {
      control.down = undefined;
      await own.close();
    }
  });

  it.each(['sv', 'en'] as const)('%s: a reaction added or removed on the bot\'s message is acknowledged, says nothing and leaves the question open', async (language) => {
    const t = i18n.getFixedT(language);
    const id = `a:personal-reaction-${language}`;
    const personal = (fields: Partial<Activity>) => teams(id, 'personal', { locale: LOCALE[language], from: caller(language, 'reaction'), ...fields });
    await post(personal({ type: 'message', text: language === 'sv' ? 'hej' : 'hello' }));
    expect(repliesTo(id).at(-1)?.text).toBe(t('main:whatToDo'));
    const before = repliesTo(id).length;
    for (const reaction of [{ reactionsAdded: [{ type: 'like' }] }, { reactionsRemoved: [{ type: 'like' }] }, { reactionsAdded: [{ type: 'heart' }, { type: 'laugh' }] }]) {
      const res = await post(personal({ type: 'messageReaction', replyToId: 'reply-menu', ...reaction } as Partial<Activity>));
      expect(res.status).toBe(200);
    }
    expect(repliesTo(id)).toHaveLength(before);
    // The menu is still the open question: it takes an answer as before.
    await post(personal({ type: 'message', text: t('main:menu.general.title') }));
    expect(textOf(repliesTo(id).slice(before))).toContain(t('policy:overview.intro'));
  });

  it.each(['sv', 'en'] as const)('%s: file consent — accepted: told politely that the bot sends no files; declined: nothing said; both 200', async (language) => {
    const t = i18n.getFixedT(language);
    const id = `a:personal-consent-${language}`;
    const consent = (action: 'accept' | 'decline') =>
      teams(id, 'personal', {
        type: 'invoke',
        name: 'fileConsent/invoke',
        locale: LOCALE[language],
        from: caller(language, 'consent'),
        replyToId: 'reply-consent-card',
        value: {
          type: 'fileUpload',
          action,
          context: { filename: 'kvitto.pdf' },
          ...(action === 'accept' ? { uploadInfo: { name: 'kvitto.pdf', uploadUrl: 'https://contoso-my.sharepoint.com/upload/kvitto.pdf', contentUrl: 'https://contoso-my.sharepoint.com/personal/alex/Documents/kvitto.pdf', uniqueId: 'B9B0DB5A-2D2D-4E49-9A9E-2D9A0B4B6C11', fileType: 'pdf' } } : {}),
        },
      });
    const accepted = await post(consent('accept'));
    expect(accepted.status).toBe(200);
    expect(repliesTo(id).map((reply) => reply.text)).toEqual([t('common:noFilesToSend')]);
    const declined = await post(consent('decline'));
    expect(declined.status).toBe(200);
    expect(repliesTo(id)).toHaveLength(1);
  });

  it.each(['sv', 'en'] as const)('%s: a file sent with no words is not read: the caller is asked to write it, the open question comes again, and the written answer is taken', async (language) => {
    const t = i18n.getFixedT(language);
    const id = `a:personal-file-${language}`;
    const personal = (fields: Partial<Activity>) => teams(id, 'personal', { locale: LOCALE[language], from: caller(language, 'file'), ...fields });
    await post(personal({ type: 'message', text: language === 'sv' ? 'Jag vill säga upp min prenumeration' : 'I want to cancel my subscription' }));
    const question = repliesTo(id).at(-1)?.text;
    expect(question).toContain(t('verify:ask.userId'));
    const before = repliesTo(id).length;
    const file = personal({
      type: 'message',
      attachments: [{
        contentType: 'application/vnd.microsoft.teams.file.download.info',
        name: 'faktura.pdf',
        contentUrl: 'https://contoso-my.sharepoint.com/personal/alex/Documents/faktura.pdf',
        content: { downloadUrl: 'https://contoso-my.sharepoint.com/personal/alex/_layouts/15/download.aspx?UniqueId=1150d938', uniqueId: '1150D938-8870-4044-9F2C-5BBDEBA70C8C', fileType: 'pdf' },
      }],
    });
    expect((await post(file)).status).toBe(200);
    expect(repliesTo(id).slice(before).map((reply) => reply.text)).toEqual([t('common:filesNotRead'), question]);
    // Their place was kept: the user ID written now answers the same question, and the next one follows.
    await post(personal({ type: 'message', text: 'anna.lindqvist@fjordfika.se' }));
    expect(textOf(repliesTo(id).slice(before + 2))).toContain(t('verify:ask.phone'));
  });

  it.each(['personal', 'groupChat', 'channel'] as const)('in a %s no invoke gets a 5xx, whatever its name', async (type) => {
    const id = type === 'personal' ? 'a:personal-invokes' : `19:${type}-invokes@thread.v2`;
    const invokes: Array<[string, unknown]> = [
      ['composeExtension/query', { commandId: 'search', parameters: [{ name: 'searchQuery', value: 'faktura' }], queryOptions: { skip: 0, count: 25 } }],
      ['composeExtension/queryLink', { url: 'https://example.com/a' }],
      ['composeExtension/fetchTask', { commandId: 'create' }],
      ['composeExtension/submitAction', { commandId: 'create', data: {} }],
      ['composeExtension/selectItem', {}],
      ['task/fetch', { data: { type: 'task/fetch' }, context: { theme: 'default' } }],
      ['task/submit', { data: {} }],
      ['tab/fetch', { tabContext: { tabEntityId: 'x' } }],
      ['signin/verifyState', { state: '123456' }],
      ['signin/tokenExchange', { id: 'x', connectionName: 'c', token: 't' }],
      ['actionableMessage/executeAction', {}],
      ['application/search', { kind: 'search', queryText: 'x' }],
      ['config/fetch', {}],
      ['fileConsent/invoke', undefined],
      ['adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'refresh' }, trigger: 'automatic' }],
      ['adaptiveCard/action', { action: { type: 'Action.Execute', verb: 'refresh', data: { userIds: ['29:user-aad'] } }, trigger: 'automatic' }],
      ['adaptiveCard/action', undefined],
      ['some/unknown', { anything: true }],
    ];
    for (const [name, value] of invokes) {
      const res = await post(teams(id, type, { type: 'invoke', name, value }));
      expect(res.status, name).toBeLessThan(500);
    }
    // Nothing of it is read as something the caller said.
    expect(repliesTo(id)).toEqual([]);
  });

  it.each(['sv', 'en'] as const)('%s: in a group chat an account wish opens a 1:1 chat that greets the caller; the group hears only where to go', async (language) => {
    const t = i18n.getFixedT(language);
    const id = `19:group-private-${language}@thread.v2`;
    const from = caller(language, 'private');
    const createdBefore = connector.created.length;
    const res = await post(teams(id, 'groupChat', { type: 'message', locale: LOCALE[language], from, ...mention(language === 'sv' ? 'säga upp' : 'I want to cancel our subscription') }));
    expect(res.status).toBe(200);

    // One new conversation: 1:1, with the caller alone (by id; no name handed on), in their tenant.
    const created = connector.created.slice(createdBefore);
    expect(created).toHaveLength(1);
    expect(created[0].parameters).toMatchObject({ isGroup: false, bot: { id: BOT.id }, members: [{ id: from.id }], tenantId: TENANT.id, channelData: { tenant: { id: TENANT.id } } });
    expect(JSON.stringify(created[0].parameters)).not.toContain('Alex');
    // Greeted there as a new personal chat is, in the caller's language.
    const greeting = connector.textsFor(created[0].id);
    expect(greeting[0]).toContain(language === 'sv' ? 'Hej! Jag är prenumerationsassistenten.' : "Hi! I'm the subscription assistant.");
    expect(greeting[1]).toBe(t('main:whatToDo'));
    // The group chat: where to go, nothing about an account.
    const said = textOf(repliesTo(id));
    expect(said).toContain(t('main:privateOnlyOpened', { link: PRIVATE_CHAT_LINK }));
    expect(said).not.toContain(t('verify:ask.userId'));
    expect(said).not.toContain(t('main:whatToDo'));

    // The 1:1 chat carries on from its menu: the wish starts verification there, without a second greeting.
    const wish = t('main:menu.cancel.title');
    expect((await post(teams(created[0].id, 'personal', { type: 'message', locale: LOCALE[language], from, text: wish }))).status).toBe(200);
    const privately = connector.textsFor(created[0].id).slice(2).join('\n');
    expect(privately).toContain(t('verify:left.6'));
    expect(privately).not.toContain(greeting[0]);
  });

  it.each(['sv', 'en'] as const)('%s: when Teams refuses the 1:1 chat (403: the app is not installed for the caller), the link alone is the answer', async (language) => {
    const t = i18n.getFixedT(language);
    const id = `19:group-refused-${language}@thread.v2`;
    const createdBefore = connector.created.length;
    connector.control.refuseConversations = 403;
    try {
      const res = await post(teams(id, 'groupChat', { type: 'message', locale: LOCALE[language], from: caller(language, 'refused'), ...mention(language === 'sv' ? 'säga upp' : 'I want to cancel our subscription') }));
      expect(res.status).toBe(200);
    } finally {
      connector.control.refuseConversations = undefined;
    }
    expect(connector.created).toHaveLength(createdBefore);
    // After the greeting of a first message, the link: no claim of a chat that was never opened.
    const said = repliesTo(id).map((reply) => reply.text);
    expect(said.at(-1)).toBe(t('main:privateOnlyLink', { link: PRIVATE_CHAT_LINK }));
    expect(said).not.toContain(t('main:privateOnlyOpened', { link: PRIVATE_CHAT_LINK }));
  });
});
