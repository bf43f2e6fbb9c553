import { PassThrough } from 'node:stream';
import { TestAdapter, type Activity } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import { createBotRuntime, type BotRuntime } from '../../src/bot/runtime';
import { createTurnErrorHandler } from '../../src/bot/turnError';
import { runTerminalChat } from '../../src/chat/terminalChat';
import { createLogger, silentLogger } from '../../src/log';
import { memoryStateStore } from '../../src/storage';
import { testConfig } from '../support/bot';

async function botAdapter(runtime?: BotRuntime) {
  const rt = runtime ?? (await createBotRuntime(testConfig(), silentLogger, memoryStateStore()));
  const adapter = new TestAdapter((context) => rt.bot.run(context));
  adapter.onTurnError = createTurnErrorHandler(rt, 'sv');
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
      .assertReply('Is there anything else I can help you with?')
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
    const english = await createBotRuntime(testConfig({ defaultLanguage: 'en' }), silentLogger, memoryStateStore());
    const adapter = new TestAdapter((context) => english.bot.run(context));
    adapter.locale = '';
    await adapter
      .send({ type: 'message', text: 'hi' })
      .assertReply((reply) => expect(reply.text).toContain("Hi! I'm"))
      .startTest();
  });

  it('a failing turn is logged masked, answered in the caller language, and the conversation keeps its place', async () => {
    const lines: string[] = [];
    const runtime = await createBotRuntime(testConfig(), createLogger('error', (line) => lines.push(line)), memoryStateStore());
    let failNext = false;
    const adapter = new TestAdapter(async (context) => {
      if (failNext) {
        failNext = false;
        throw new Error('backend said no for anna.lindqvist@fjordfika.se +46 70 123 45 67');
      }
      await runtime.bot.run(context);
    });
    adapter.onTurnError = createTurnErrorHandler(runtime, 'sv');
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
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('a***@fjordfika.se');
    expect(lines[0]).toContain('+46 70*** **67');
    expect(lines[0]).not.toContain('lindqvist');
    expect(lines[0]).not.toContain('123 45');
  });
});

describe('terminal chat', () => {
  async function chat(input: string, locale?: string) {
    const runtime = await createBotRuntime(testConfig(), silentLogger, memoryStateStore());
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
    expect(printed).toContain('[1] Säga upp prenumerationen  [2] Snabb återkallelse');
    expect(printed).toContain('Så här fungerar en uppsägning:');
    expect(printed).toContain('Hej då!');
  });

  it('talks English with --locale en', async () => {
    const printed = await chat('General questions\n', 'en');
    expect(printed).toContain("Assistant: Hi! I'm the subscription assistant.");
    expect(printed).toContain('Here is how cancelling works:');
    expect(printed.trimEnd().endsWith('Goodbye!')).toBe(true);
  });
});
