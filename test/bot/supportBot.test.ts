import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { TestAdapter, type Activity, type TurnContext } from 'botbuilder';
import { afterEach, describe, expect, it } from 'vitest';
import { createBotRuntime, type BotRuntime } from '../../src/composition/runtime';
import { createTurnErrorHandler } from '../../src/bot/turnError';
import { runTerminalChat } from '../../src/chat/terminalChat';
import { createLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { i18n, testConfig, testRuntime } from '../support/bot';

/**
 * Every error that reached an adapter's onTurnError in the current test. The real handler still runs (it apologises
 * to the caller), so a crashed turn would otherwise look like a turn that answered; after each test the list must
 * be empty, and a test that provokes a failure on purpose takes its errors out of it.
 */
const turnErrors: Error[] = [];

function recordingTurnErrorHandler(runtime: Parameters<typeof createTurnErrorHandler>[0]) {
  const handle = createTurnErrorHandler(runtime, 'sv');
  return async (context: TurnContext, error: Error) => {
    turnErrors.push(error);
    await handle(context, error);
  };
}

afterEach(() => {
  const crashed = turnErrors.splice(0);
  expect(crashed, 'a turn crashed and was answered with the errors:turn apology').toEqual([]);
});

async function botAdapter(runtime?: BotRuntime) {
  const rt = runtime ?? (await testRuntime());
  const adapter = new TestAdapter((context) => rt.bot.run(context));
  adapter.onTurnError = recordingTurnErrorHandler(rt);
  return { adapter, runtime: rt };
}

const joined = (locale?: string): Partial<Activity> => ({
  type: 'conversationUpdate',
  membersAdded: [{ id: 'user1', name: 'User' }],
  recipient: { id: 'bot', name: 'Bot' },
  locale,
});

describe('SupportBot', () => {
  it.each([
    ['sv-SE', 'Hej! Jag är prenumerationsassistenten.', 'Vad vill du göra?'],
    ['sv-FI', 'Hej! Jag är prenumerationsassistenten.', 'Vad vill du göra?'],
    ['en-US', "Hi! I'm the subscription assistant.", 'What would you like to do?'],
  ])('greets a caller who joins with locale %s in their language', async (locale, greeting, question) => {
    const { adapter } = await botAdapter();
    await adapter
      .send(joined(locale))
      .assertReply((reply) => expect(reply.text).toContain(greeting))
      .assertReply((reply) => {
        expect(reply.text).toBe(question);
        expect(reply.suggestedActions?.actions).toHaveLength(5);
      })
      .startTest();
  });

  it('drops a redelivered message, also where the handled ids were kept as a list (conversations stored before)', async () => {
    const store = memoryStateStore();
    const { adapter } = await botAdapter(await testRuntime({}, { store }));
    const message = (id: string, text: string): Partial<Activity> => ({ type: 'message', id, text, locale: 'en-US' });
    await adapter
      .send(message('m1', 'hello'))
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm"))
      .assertReply('What would you like to do?')
      .send(message('m1', 'hello'))
      .assertNoReply('the same message again', 300)
      .startTest();
    // As an earlier version kept them: a list of fingerprints.
    const conversationKey = `${adapter.conversation.channelId}/conversations/${adapter.conversation.conversation.id}/`;
    const doc = (await store.read([conversationKey]))[conversationKey] as Record<string, unknown>;
    const fingerprint = (id: string) => createHash('sha1').update(id).digest('base64url').slice(0, 6);
    await store.write({ [conversationKey]: { ...doc, handledActivityIds: [fingerprint('m0'), fingerprint('m2')], eTag: '*' } });
    await adapter.send(message('m2', 'General questions')).assertNoReply('handled before the upgrade', 300).startTest();
    await adapter.send(message('m3', 'General questions')).assertReply((reply) => expect(reply.text).toContain('Here is how cancelling works:')).startTest();
  });

  it('does not greet when only the bot itself is added', async () => {
    const { adapter } = await botAdapter();
    await adapter.send({ type: 'conversationUpdate', membersAdded: [{ id: 'bot', name: 'Bot' }], recipient: { id: 'bot', name: 'Bot' } }).assertNoReply('no greeting', 300).startTest();
  });

  it('greets on the first message when the channel sent no conversationUpdate, and only once', async () => {
    const { adapter } = await botAdapter();
    await adapter
      .send({ type: 'message', text: 'hello', locale: 'en-US' })
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm the subscription assistant."))
      .assertReply('What would you like to do?')
      .send({ type: 'message', text: 'General questions', locale: 'en-US' })
      .assertReply((reply) => expect(reply.text).toContain('Here is how cancelling works:'))
      .assertReply("Would you like me to look at your own subscription? Choose what to do, and I'll first check who you are.")
      .startTest();
  });

  it('remembers the language in user state when a later activity has no locale', async () => {
    const { adapter } = await botAdapter();
    await adapter
      .send({ type: 'message', text: 'hello', locale: 'en-GB' })
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm"))
      .assertReply('What would you like to do?')
      .send({ type: 'message', text: 'qwerty', locale: undefined })
      .assertReply((reply) => expect(reply.text).toContain("Sorry, I didn't catch that."))
      .startTest();
  });

  it('uses DEFAULT_LOCALE when the channel never says', async () => {
    const english = await testRuntime({ defaultLanguage: 'en' });
    const adapter = new TestAdapter((context) => english.bot.run(context));
    adapter.onTurnError = recordingTurnErrorHandler(english);
    adapter.locale = '';
    await adapter
      .send({ type: 'message', text: 'hi' })
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm"))
      .startTest();
  });

  it('a failing turn is logged masked, answered in the caller language, and the conversation keeps its place', async () => {
    const lines: string[] = [];
    const runtime = await createBotRuntime(testConfig(), createLogger('error', (line) => lines.push(line)), { store: memoryStateStore() });
    let failNext = false;
    const adapter = new TestAdapter(async (context) => {
      if (failNext) {
        failNext = false;
        throw new Error('backend said no for anna.lindqvist@fjordfika.se +46 70 123 45 67');
      }
      await runtime.bot.run(context);
    });
    adapter.onTurnError = recordingTurnErrorHandler(runtime);
    await adapter
      .send({ type: 'message', text: 'hello', locale: 'en-US' })
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm"))
      .assertReply('What would you like to do?')
      .send({ type: 'event', name: 'arm-failure' })
      .then(() => { failNext = true; })
      .send({ type: 'message', text: 'General questions', locale: 'en-US' })
      .assertReply('Sorry, something went wrong on my side. Nothing has been changed in your subscription. Please try again; I still have what you told me.')
      .send({ type: 'message', text: 'General questions', locale: 'en-US' })
      .assertReply((reply) => expect(reply.text).toContain('Here is how cancelling works:'))
      .startTest();
    // The one failure provoked above, and nothing else, reached the handler.
    expect(turnErrors.splice(0).map((error) => error.message)).toEqual(['backend said no for anna.lindqvist@fjordfika.se +46 70 123 45 67']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('a***@fjordfika.se');
    expect(lines[0]).toContain('+46 70*** **67');
    expect(lines[0]).not.toContain('lindqvist');
    expect(lines[0]).not.toContain('123 45');
  });
});

describe('verified caller session', () => {
  async function verifiedAdapter(clock: { now: Date }) {
    const runtime = await testRuntime({}, { now: () => clock.now });
    const adapter = new TestAdapter((context) => runtime.bot.run(context));
    adapter.onTurnError = recordingTurnErrorHandler(runtime);
    // Verified, then the cancel flow asks how; keeping the subscription ends the flow.
    const answers = ['anna.lindqvist@fjordfika.se', '070-123 45 67', 'Anna Lindqvist', 'Fjordfika AB', 'Storgatan 12, 114 55 Stockholm', 'ja', 'Behåll den'];
    let flow = adapter.send({ type: 'message', text: 'Säg upp prenumerationen', locale: 'sv-SE' });
    for (const answer of answers) flow = flow.send({ type: 'message', text: answer, locale: 'sv-SE' });
    await flow.startTest();
    const said = adapter.activeQueue.map((a) => a.text ?? '').join('\n');
    expect(turnErrors, 'the set-up conversation crashed').toEqual([]);
    expect(said).toContain('Nu är du verifierad som administratör för Fjordfika AB.');
    return adapter;
  }

  /** What the bot said to one message; a turn that crashed fails the test here, with its own error. */
  const collect = async (adapter: TestAdapter, text: string) => {
    const before = adapter.activeQueue.length;
    await adapter.send({ type: 'message', text, locale: 'sv-SE' }).startTest();
    const crashed = turnErrors.splice(0);
    if (crashed.length > 0) throw crashed[0];
    const said = adapter.activeQueue.slice(before).map((a) => a.text ?? '');
    expect(said).not.toContain(i18n.getFixedT('sv')('errors:turn'));
    return said;
  };

  it('is not asked again within the idle limit (ID-1)', async () => {
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const adapter = await verifiedAdapter(clock);
    adapter.activeQueue.splice(0);
    clock.now = new Date('2026-11-22T10:14:00Z');
    const said = await collect(adapter, 'Återaktivera');
    expect(said.length).toBeGreaterThan(0);
    expect(said.join('\n')).not.toContain('Innan jag kan titta på ditt konto');
  });

  it('proves who they are again after 15 idle minutes (ID-1)', async () => {
    const clock = { now: new Date('2026-11-22T10:00:00Z') };
    const adapter = await verifiedAdapter(clock);
    adapter.activeQueue.splice(0);
    clock.now = new Date('2026-11-22T10:16:00Z');
    const said = await collect(adapter, 'Återaktivera');
    expect(said.join('\n')).toContain('Innan jag kan titta på ditt konto');
  });
});

describe('terminal chat', () => {
  async function chat(input: string, locale?: string, shared?: Awaited<ReturnType<typeof testRuntime>>) {
    const runtime = shared ?? (await testRuntime());
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk) => (printed += chunk));
    stdin.end(input);
    await runTerminalChat({ runtime, input: stdin, output: stdout, locale, defaultLanguage: 'sv' });
    return printed;
  }

  it('talks Swedish by default, numbers the options and maps a typed number to one', async () => {
    const printed = await chat('4\n/quit\n');
    expect(printed).toContain('Terminalchatt med prenumerationsassistenten.');
    expect(printed).toContain('Assistenten: Hej! Jag är prenumerationsassistenten.');
    expect(printed).toContain('[1] Säg upp prenumerationen  [2] Snabb återkallelse');
    expect(printed).toContain('Så här fungerar en uppsägning:');
    expect(printed).toContain('Hej då!');
  });

  it('verifies a Swedish caller', async () => {
    const printed = await chat('Säg upp prenumerationen\nanna.lindqvist@fjordfika.se\n070-123 45 67\nAnna Lindqvist\nFjordfika AB\nStorgatan 12, 114 55 Stockholm\n1\n');
    expect(printed).toContain('Assistenten: Vilket användar-ID loggar du in med?');
    expect(printed).toContain('[1] Ja  [2] Nej');
    expect(printed).toContain('Assistenten: Nu är du verifierad som administratör för Fjordfika AB.');
  });

  it('verifies an English caller', async () => {
    // The user ID and phone came in one message: they are said back (with the rest) before the check.
    const printed = await chat("Cancel subscription\nI'm james.carter@brightleaf.co.uk, phone +44 20 7946 0321\nJames Carter\nBrightleaf Ltd\n221 Baker Street, London NW1 6XE, United Kingdom\nyes\nyes\n", 'en');
    expect(printed).toContain("Assistant: Four questions left. What are the first and last names of your organisation's contact person?");
    expect(printed).toContain('• Phone: +44 20 7946 0321');
    expect(printed).toContain("Assistant: You're now verified as an administrator of Brightleaf Ltd.");
  });

  it('walks a whole cancellation, with the receipt as text', async () => {
    const printed = await chat('Säg upp prenumerationen\nanna.lindqvist@fjordfika.se\n070-123 45 67\nAnna Lindqvist\nFjordfika AB\nStorgatan 12, 114 55 Stockholm\nja\n1\nja\n7\n');
    expect(printed).toContain('[1] Vid periodens slut  [2] Nu  [3] Behåll den');
    expect(printed).toMatch(/Assistenten: Klart\. Ärendenummer: CX-[2-9A-Z]{4}-\d{2}\. Automatisk förnyelse är avstängd\./);
    expect(printed).toContain('Inga problem.');
  });

  it('its own labels follow the conversation\'s language when the caller switches', async () => {
    const printed = await chat('English\n');
    expect(printed).toContain('Assistenten: Hej! Jag är prenumerationsassistenten.');
    expect(printed).toContain('Assistant: ');
    expect(printed.trimEnd().endsWith('Goodbye!')).toBe(true);
  });

  it('an explicit --locale wins over a language an earlier chat switched to', async () => {
    const runtime = await testRuntime();
    const run = (input: string, locale?: string) => chat(input, locale, runtime);
    expect(await run('English\n')).toContain('Assistant: ');
    // Remembered: a new chat without a flag speaks English...
    expect(await run('')).toContain("Assistant: Hi! I'm the subscription assistant.");
    // ...but `--locale sv` is the caller's choice now.
    expect(await run('', 'sv')).toContain('Assistenten: Hej! Jag är prenumerationsassistenten.');
  });

  it('talks English with --locale en', async () => {
    const printed = await chat('General questions\n', 'en');
    expect(printed).toContain("Assistant: Hi! I'm the subscription assistant.");
    expect(printed).toContain('Here is how cancelling works:');
    expect(printed.trimEnd().endsWith('Goodbye!')).toBe(true);
  });
});
