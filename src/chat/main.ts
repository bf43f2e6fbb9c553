import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from '../config';
import { createLogger } from '../log';
import { createBotRuntime, type BotRuntime } from '../composition/runtime';
import { runTerminalChat } from './terminalChat';
import { chooseLanguage } from '../conversation/language';
import { maskPhone } from '../privacy/mask';
import type { OtpSender } from '../verification/otp';

/** `npm run chat [-- --locale en]`: the same bot and dialogs as the server, in this terminal. */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { locale: { type: 'string' } } });
  loadDotEnv();
  const result = loadConfig(process.env);
  if (!result.ok) {
    for (const problem of result.problems) console.error(`Configuration error: ${problem}`);
    process.exit(1);
  }
  // Log lines would interleave with the conversation: only warnings and errors, on stderr.
  const logger = createLogger(result.config.logLevel === 'debug' ? 'debug' : 'warn', (line) => process.stderr.write(`${line}\n`));
  // The terminal plays the caller's phone too: one-time codes are printed here instead of the server log. The
  // sender is only called during a turn, by which time the runtime (and its translations) exists.
  const language = chooseLanguage(values.locale, undefined, result.config.defaultLanguage);
  let runtime: BotRuntime | undefined;
  const otpSender: OtpSender = {
    send: async (to, text) => void process.stdout.write(`${runtime?.i18n.getFixedT(language)('chat:sms', { to: maskPhone(to), text })}\n`),
  };
  runtime = await createBotRuntime(result.config, logger, result.config.otp.sender.kind === 'log' ? { otpSender } : {});
  try {
    await runTerminalChat({ runtime, input: process.stdin, output: process.stdout, locale: values.locale, defaultLanguage: result.config.defaultLanguage });
  } finally {
    await runtime.close();
  }
}

void main().catch((error) => {
  console.error('Chat failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
