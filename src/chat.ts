import { parseArgs } from 'node:util';
import { loadConfig, loadDotEnv } from './config';
import { createLogger } from './log';
import { createBotRuntime } from './bot/runtime';
import { runTerminalChat } from './chat/terminalChat';

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
  const runtime = await createBotRuntime(result.config, logger);
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
