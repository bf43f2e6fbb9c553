import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inbound, startConnectorStub } from '../support/connectorStub';

const ROOT = join(__dirname, '..', '..');

/**
 * What `npm start` runs (the built dist/src/index.js), as its own process: it reads the environment, seeds the
 * SQLite file, answers over HTTP, and stops cleanly on SIGTERM. `npm test` builds dist/ before the tests run.
 */
describe('the server process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'process-'));
  let child: ChildProcessWithoutNullStreams;
  let output = '';
  let base = '';
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  beforeAll(async () => {
    connector = await startConnectorStub();
    child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'index.js')], {
      cwd: dir,
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', SQLITE_PATH: join(dir, 'bot.sqlite'), LOG_LEVEL: 'info', VERIFICATION_MIN_RESPONSE_MS: '0' },
    });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no server.listening line in: ${output}`)), 15_000);
      const poll = setInterval(() => {
        const listening = output.split('\n').find((line) => line.includes('"server.listening"'));
        if (listening) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(JSON.parse(listening).url);
        }
      }, 50);
    });
  }, 30_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await connector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz and greets a Swedish caller at the connector', async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const res = await fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(inbound(connector.url, 'proc-sv', { type: 'message', text: 'hej', locale: 'sv-SE' })),
    });
    expect(res.status).toBe(200);
    expect(connector.textsFor('proc-sv')[0]).toContain('Hej! Jag är prenumerationsassistenten.');
    expect(output).toContain('"directory.seeded-demo-accounts"');
  });

  it('stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('"server.stopping"');
  });
});

describe('start-up with a bad configuration', () => {
  it('stops with one clear line per bad variable', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'index.js')], { env: { PATH: process.env.PATH, PORT: 'eighty', STORAGE: 'mongo' } });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const lines = stderr.split('\n').filter((line) => line.startsWith('Configuration error:'));
    expect(lines).toEqual(['Configuration error: PORT: must be a whole number from 0 to 65535 (got "eighty")', expect.stringContaining('Configuration error: STORAGE:')]);
  });
});

/**
 * A start loads only what it uses (issue 14, cold start): botbuilder-dialogs' parts come from their own files, not
 * the package's index with every prompt and the text recognisers behind them (≈ 300 ms), and the PostgreSQL client
 * comes only with STORAGE=postgres (≈ 70 ms).
 */
describe('what a start loads', () => {
  it('neither the index of botbuilder-dialogs nor, on SQLite, the PostgreSQL client', () => {
    const probe = `
      for (const module of ['index', 'server', 'composition/runtime', 'composition/stores']) require('./dist/src/' + module + '.js');
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        modules: loaded.length,
        dialogsIndex: loaded.includes(require.resolve('botbuilder-dialogs')),
        recognisers: loaded.filter((file) => file.includes('recognizers-text-date-time') || file.includes('recognizers-text-suite')).length,
        postgres: loaded.filter((file) => file.includes('/node_modules/pg/')).length,
      }));
      process.exit(0);`;
    const seen = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', SQLITE_PATH: ':memory:', LOG_LEVEL: 'silent' } }).toString().trim().split('\n').at(-1)!);
    expect(seen.modules).toBeGreaterThan(100); // the probe really loaded the bot
    expect(seen).toMatchObject({ dialogsIndex: false, recognisers: 0, postgres: 0 });
  });
});
