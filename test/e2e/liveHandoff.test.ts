import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import type { HandoffEvent } from '../../src/handoffs/handoffEvents';
import { i18n, testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { NOW } from '../support/facts';

/**
 * A hand-off reaches a person, live, over real HTTP: the caller asks for a person in their channel (the connector is a
 * stub on loopback), the hand-off waits in the queue, an agent takes it and the two talk through the bot — the caller's
 * messages to the agent, the agent's to the caller's channel, the bot silent meanwhile — until the agent hands the
 * caller back to the bot, which answers again.
 */
const MAJA = { id: 'maja', displayName: 'Maja' };
const AGENTS_CHANNEL = '19:agents@thread.tacv2';
const ERIK = { id: 'erik', displayName: 'Erik' };

async function waitFor<T>(find: () => T | undefined, ms = 3000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error('not there in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(['sv', 'en'] as const)('live hand-off (%s)', (language) => {
  const t = i18n.getFixedT(language);
  const locale = language === 'sv' ? 'sv-SE' : 'en-US';
  let app: App;
  let url: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;
  const events: HandoffEvent[] = [];

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(testConfig({ agentsTeamsChannel: { conversationId: AGENTS_CHANNEL, serviceUrl: connector.url, consoleUrl: 'https://support.example.test' } }), silentLogger, { store: memoryStateStore(), now: () => NOW });
    url = (await app.listen()).url;
    app.runtime.liveHandoffs.events.subscribe((event) => events.push(event));
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
  });

  const say = async (conversationId: string, text: string) => {
    const res = await fetch(`${url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale })) });
    expect(res.status).toBe(200);
  };
  const newSince = (conversationId: string, before: number) => connector.textsFor(conversationId).slice(before);
  /** The caller asks for a person: the reference of the hand-off now waiting in the queue. */
  const askForPerson = async (conversationId: string) => {
    await say(conversationId, language === 'sv' ? 'Jag vill prata med en person' : 'I want to talk to a person');
    const entry = (await app.runtime.liveHandoffs.queue.list({ status: 'waiting' })).find((e) => e.conversationKey === `webchat/${conversationId}`);
    return entry?.id as string;
  };

  it('the caller asks for a person; an agent takes over, they talk through the bot, and the agent hands back', async () => {
    const conversation = `live-${language}`;
    await say(conversation, language === 'sv' ? 'Jag vill prata med en person' : 'I want to talk to a person');
    const waiting = await app.runtime.liveHandoffs.queue.list({ status: 'waiting' });
    const entry = waiting.find((e) => e.conversationKey === `webchat/${conversation}`);
    expect(entry).toMatchObject({ reason: 'caller-asked', language, channelId: 'webchat', status: 'waiting' });
    expect(entry?.id).toMatch(/^CX-/);
    // The receipt (a card here, with the reference in its summary) came first.
    expect(connector.replies.filter((r) => r.activity.conversation?.id === conversation).map((r) => r.activity.summary ?? '').join('\n')).toContain(entry?.id);
    expect(events).toContainEqual({ kind: 'opened', handoffId: entry?.id });
    // The Bot Framework hand-off event for a contact centre on the channel: the packet and the masked transcript.
    const signal = connector.replies.map((r) => r.activity).find((a) => a.conversation?.id === conversation && a.type === 'event');
    expect(signal).toMatchObject({ name: 'handoff.initiate', value: { caseReference: entry?.id, reason: 'caller-asked', caller: { verified: false }, language } });
    expect(signal?.attachments?.[0]).toMatchObject({ contentType: 'application/json', name: 'Transcript' });
    // What the event adds carries no display name of the caller (the addressing of any reply names them, as always).
    expect(JSON.stringify({ value: signal?.value, attachments: signal?.attachments, relatesTo: signal?.relatesTo })).not.toContain('"Caller"');
    const id = entry?.id as string;

    // The agents' Teams channel hears of it: a card with why, and "Take it" opening it in the console; nothing of the caller.
    const notice = await waitFor(() => connector.replies.map((r) => r.activity).find((a) => a.conversation?.id === AGENTS_CHANNEL && (a.summary ?? '').includes(entry?.id as string)));
    const card = notice.attachments?.[0]?.content as { body: Array<{ facts?: Array<{ value: string }> }>; actions: Array<{ type: string; url: string }> };
    expect(card.actions).toEqual([expect.objectContaining({ type: 'Action.OpenUrl', url: `https://support.example.test/agent/handoffs/${entry?.id}` })]);
    expect(card.body[1].facts?.map((fact) => fact.value)).toContain(i18n.getFixedT('sv')('console:reason.caller-asked'));
    expect(JSON.stringify(notice.attachments)).not.toContain('Caller');

    // Two agents take it at once: one gets it, and the caller is told who.
    const [first, second] = await Promise.all([app.agentRelay.take(id, MAJA), app.agentRelay.take(id, ERIK)]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    const holder = first ? MAJA : ERIK;
    const other = first ? ERIK : MAJA;
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:agentJoined', { name: holder.displayName }));

    // The caller writes: it reaches the agent (masked as the transcript is), and the bot says nothing.
    const before = connector.textsFor(conversation).length;
    await say(conversation, language === 'sv' ? 'Hej! Mitt nummer är 070-123 45 67, ring gärna' : 'Hi! My number is 070-123 45 67, please call');
    expect(newSince(conversation, before)).toEqual([]);
    const lines = await app.runtime.liveHandoffs.queue.messages(id);
    const callerLine = lines.find((line) => line.from === 'caller');
    expect(callerLine?.text).toMatch(language === 'sv' ? /^Hej! Mitt nummer är/ : /^Hi! My number is/);
    expect(callerLine?.text).not.toContain('123 45 67');
    expect(events.filter((e) => e.handoffId === id).map((e) => e.kind)).toEqual(['opened', 'taken', 'message']);

    // The agent answers: delivered in the caller's channel; the other agent cannot answer or take it.
    const reply = language === 'sv' ? 'Hej! Jag ringer dig om fem minuter.' : "Hi! I'll call you in five minutes.";
    expect(await app.agentRelay.reply(id, holder, reply)).toMatchObject({ from: 'agent', text: reply, agent: holder });
    // Named, so the caller can tell the agent's words from the bot's.
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:agentSays', { name: holder.displayName, text: reply }));
    expect(await app.agentRelay.reply(id, other, 'hijack')).toBeUndefined();
    expect(await app.agentRelay.take(id, other)).toBeUndefined();
    expect(connector.textsFor(conversation)).not.toContain('hijack');

    // Handed back: the caller is told, and the bot answers the next message again.
    expect(await app.agentRelay.handBack(id, holder)).toMatchObject({ status: 'ended', ending: 'handed-back' });
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:handedBack', { name: holder.displayName }));
    const after = connector.textsFor(conversation).length;
    await say(conversation, language === 'sv' ? 'Vad händer med våra data om vi säger upp?' : 'What happens to our data if we cancel?');
    expect(newSince(conversation, after).length).toBeGreaterThan(0);
    expect((await app.runtime.liveHandoffs.queue.messages(id)).map((line) => line.from)).toEqual(['system', 'caller', 'agent', 'system']);
  });

  it('an agent can close the conversation; the caller is told, and a closed hand-off cannot be answered', async () => {
    const conversation = `closed-${language}`;
    const id = await askForPerson(conversation);
    await app.agentRelay.take(id, MAJA);
    expect(await app.agentRelay.close(id, MAJA)).toMatchObject({ ending: 'closed' });
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:closed', { name: MAJA.displayName }));
    expect(await app.agentRelay.reply(id, MAJA, 'too late')).toBeUndefined();
  });

  it('a waiting caller may leave a message instead: it goes into the hand-off, masked, and the queue lets it go', async () => {
    const conversation = `message-${language}`;
    const id = await askForPerson(conversation);
    // While it waits, the menu offers to leave a message where it offered a person.
    const menu = connector.replies.filter((r) => r.activity.conversation?.id === conversation).at(-1)?.activity;
    const titles = menu?.suggestedActions?.actions.map((a) => a.title);
    expect(titles).toContain(t('handoff:leaveMessage.title'));
    expect(titles).not.toContain(t('main:menu.person.title'));

    await say(conversation, language === 'sv' ? 'Jag vill hellre lämna ett meddelande' : "I'd rather leave a message");
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:writeYourMessage', { reference: id }));
    await say(conversation, language === 'sv' ? 'Ring mig efter 15 på 070-123 45 67' : 'Call me after 3 pm on 070-123 45 67');
    const told = connector.textsFor(conversation);
    expect(told).toContain(t('handoff:messageLeft', { reference: id }));
    expect(await app.runtime.liveHandoffs.queue.get(id)).toMatchObject({ status: 'ended', ending: 'left-message' });
    const left = (await app.runtime.liveHandoffs.queue.messages(id)).find((line) => line.from === 'caller');
    expect(left?.text).toMatch(language === 'sv' ? /^Ring mig efter 15 på/ : /^Call me after 3 pm on/);
    expect(left?.text).not.toContain('123 45 67');
    expect(events).toContainEqual({ kind: 'ended', handoffId: id });
    // No longer waiting: the menu offers a person again, and nobody can take the hand-off any more.
    const after = connector.replies.filter((r) => r.activity.conversation?.id === conversation).at(-1)?.activity;
    expect(after?.suggestedActions?.actions.map((a) => a.title)).toContain(t('main:menu.person.title'));
    expect(await app.agentRelay.take(id, MAJA)).toBeUndefined();
  });

  it('an agent can hand the caller back straight into a flow: the bot starts it at once, verifying first', async () => {
    const conversation = `flow-${language}`;
    const id = await askForPerson(conversation);
    await app.agentRelay.take(id, MAJA);
    const before = connector.textsFor(conversation).length;
    expect(await app.agentRelay.handBack(id, MAJA, 'cancel')).toMatchObject({ status: 'ended', ending: 'handed-back' });
    const said = newSince(conversation, before);
    expect(said[0]).toBe(t('handoff:handedBackToFlow', { name: MAJA.displayName }));
    // The cancellation starts without a word from the caller: this caller is not verified, so its first question.
    expect(said.slice(1).join('\n')).toContain(t('verify:ask.userId'));
    // … and the caller's answer goes to that question, not to the menu.
    const asked = connector.textsFor(conversation).length;
    await say(conversation, 'anna.lindqvist@fjordfika.se');
    expect(newSince(conversation, asked).join('\n')).toContain(t('verify:ask.phone'));
  });

  it('a verified administrator handed back into a cancellation goes straight to its first choice, no questions again', async () => {
    const conversation = `verified-flow-${language}`;
    const answers = ['anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', language === 'sv' ? 'ja' : 'yes'];
    for (const text of [language === 'sv' ? 'Säg upp prenumerationen' : 'Cancel subscription', ...answers]) await say(conversation, text);
    const id = await askForPerson(conversation);
    await app.agentRelay.take(id, MAJA);
    const before = connector.replies.filter((r) => r.activity.conversation?.id === conversation).length;
    await app.agentRelay.handBack(id, MAJA, 'cancel');
    const after = connector.replies.filter((r) => r.activity.conversation?.id === conversation).slice(before).map((r) => r.activity);
    expect(after[0].text).toBe(t('handoff:handedBackToFlow', { name: MAJA.displayName }));
    const shown = JSON.stringify(after.slice(1));
    expect(shown).toContain(t('cancel:options.endOfTerm.title'));
    expect(shown).not.toContain(t('verify:ask.userId'));
  });

  it('a plain hand-back leaves a message half written for the queue: the caller\'s next words are a new request', async () => {
    const conversation = `half-message-${language}`;
    const id = await askForPerson(conversation);
    await say(conversation, t('handoff:leaveMessage.title'));
    expect(connector.textsFor(conversation).at(-1)).toBe(t('handoff:writeYourMessage', { reference: id }));
    // Taken while the caller was writing, then handed back.
    await app.agentRelay.take(id, MAJA);
    await app.agentRelay.handBack(id, MAJA);
    const before = connector.textsFor(conversation).length;
    await say(conversation, language === 'sv' ? 'Vad händer med våra data om vi säger upp?' : 'What happens to our data if we cancel?');
    const said = newSince(conversation, before);
    expect(said).not.toContain(t('handoff:messageNotLeft'));
    expect(said.join('\n')).toContain(t('policy:answers.dataRetentionQuestion').slice(0, 30));
  });
});
