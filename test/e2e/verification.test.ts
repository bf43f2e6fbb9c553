import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';
import { answersOf, DEMO_CALLERS, type DemoCallerName } from '../support/demoCallers';
import { NOW } from '../support/facts';

/** Every demo account verifies over real HTTP, in both languages, with replies collected at a stub connector. */
describe('verification over HTTP', () => {
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
    app = await createApp(testConfig(), silentLogger, { store: memoryStateStore(), now: () => NOW });
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
  });

  async function say(conversationId: string, locale: string, text: string) {
    const res = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text, locale })),
    });
    expect(res.status).toBe(200);
  }

  const cases = (Object.keys(DEMO_CALLERS) as DemoCallerName[]).flatMap((name) => [
    [name, 'sv-SE', 'Säga upp prenumerationen', 'ja', name === 'sara' ? 'Tack, nu är du verifierad för' : 'Tack, nu är du verifierad som administratör för'],
    [name, 'en-US', 'Cancel subscription', 'yes', name === 'sara' ? "Thank you, you're verified for" : "Thank you, you're verified as an administrator of"],
  ] as const);

  it.each(cases)('%s verifies in %s', async (name, locale, choice, yes, verified) => {
    const conversationId = `verify-${name}-${locale}`;
    const caller = DEMO_CALLERS[name];
    for (const text of ['hej', choice, ...answersOf(caller), yes]) await say(conversationId, locale, text);
    const said = connector.textsFor(conversationId);
    expect(said.find((line) => line.startsWith(verified))).toContain(caller.organisationName);
  });

  it('a wrong answer over HTTP is rejected without naming the field', async () => {
    const conversationId = 'verify-wrong';
    const answers = answersOf(DEMO_CALLERS.lena);
    answers[1] = '070-000 00 00';
    for (const text of ['hello', 'Cancel subscription', ...answers, 'yes']) await say(conversationId, 'en-US', text);
    const said = connector.textsFor(conversationId);
    expect(said.some((line) => line.startsWith("I'm sorry, those details don't match what we have on record."))).toBe(true);
    expect(said.at(-1)).toContain('What is the user ID you sign in with?');
  });
});
