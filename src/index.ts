import { loadConfig, loadDotEnv } from './config';
import { createLogger } from './log';
import { createApp } from './server';

/** Start-up: configuration, then the server; SIGTERM/SIGINT close the server and the store. */
async function main(): Promise<void> {
  loadDotEnv();
  const result = loadConfig(process.env);
  if (!result.ok) {
    for (const problem of result.problems) console.error(`Configuration error: ${problem}`);
    process.exit(1);
  }
  const { config } = result;
  const logger = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => logger.error('process.unhandled-rejection', { error: reason as Error }));

  const app = await createApp(config, logger);
  const { url } = await app.listen();
  logger.info('server.listening', {
    url,
    messages: `${url}/api/messages`,
    demoPage: config.webChat.directLine.kind === 'none' ? undefined : `${url}/`,
    storage: config.storage.kind,
    authentication: config.auth.MicrosoftAppId ? 'jwt' : 'disabled (no MicrosoftAppId)',
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('server.stopping', { signal });
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void main().catch((error) => {
  console.error('Start-up failed:', error instanceof Error ? error.message : error);
  process.exit(1);
});
