import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';

describe('.env.example', () => {
  const assignments = Object.fromEntries(
    readFileSync(join(__dirname, '../../.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Za-z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('is a valid configuration as it stands, with a demo support contact and the ID-3 window', () => {
    const result = loadConfig(assignments);
    expect(result.ok, result.ok ? '' : result.problems.join('; ')).toBe(true);
    if (!result.ok) return;
    expect(result.config.supportContact?.sv).toMatch(/\d{2,3}-\d/);
    expect(result.config.supportContact?.en).toMatch(/Mon–Fri/);
    expect(result.config.policy).toMatchObject({ failureWindowHours: 24, maxLockoutMinutes: 1440, maxOneTimeCodes: 3 });
  });
});

describe('loadConfig', () => {
  it('runs with no environment at all: SQLite, port 3978, Swedish, POLICY.md defaults, no authentication', () => {
    const result = loadConfig({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({
      port: 3978,
      storage: { kind: 'sqlite', path: './data/bot.sqlite' },
      sqlitePath: './data/bot.sqlite',
      defaultLanguage: 'sv',
      logLevel: 'info',
      maxBodyBytes: 262144,
      auth: { MicrosoftAppId: '', MicrosoftAppType: 'MultiTenant' },
      policy: { licenceThreshold: 25, retentionDays: 90, fastRevokeDays: 3, maxVerificationAttempts: 3, lockoutMinutes: 15, verificationIdleMinutes: 15 },
    });
  });

  it('refuses one-time codes in the log for a real deployment', () => {
    const result = loadConfig({ MicrosoftAppId: 'app', MicrosoftAppPassword: 'secret', AGENT_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([expect.stringMatching(/^OTP_SENDER: log writes one-time codes/)]);
  });

  it('reads every variable', () => {
    const result = loadConfig({
      OTP_SENDER: 'http', SMS_GATEWAY_URL: 'https://sms.example.test',
      MicrosoftAppId: 'app', MicrosoftAppPassword: 'secret', MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: 'tenant',
      PORT: '8080', STORAGE: 'postgres', DATABASE_URL: 'postgres://127.0.0.1:5432/test', DEFAULT_LOCALE: 'en', LOG_LEVEL: 'debug',
      MAX_BODY_BYTES: '65536', POLICY_LICENCE_THRESHOLD: '30', POLICY_RETENTION_DAYS: '60', POLICY_FAST_REVOKE_DAYS: '2',
      VERIFICATION_MAX_ATTEMPTS: '5', VERIFICATION_LOCKOUT_MINUTES: '30', VERIFICATION_IDLE_MINUTES: '10',
      WIDGET_ALLOWED_ORIGINS: 'https://help.example.test', DIRECTLINE_SECRET: 'dl-secret', DIRECTLINE_TOKENS_PER_MINUTE: '5', TRUST_PROXY: 'true',
      AGENT_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters', AGENT_SESSION_HOURS: '4', AGENT_ACCOUNTS_FILE: '/srv/agents.json',
    });
    expect(result).toMatchObject({
      ok: true,
      config: {
        port: 8080, storage: { kind: 'postgres', url: 'postgres://127.0.0.1:5432/test' }, defaultLanguage: 'en', maxBodyBytes: 65536,
        auth: { MicrosoftAppId: 'app', MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: 'tenant' },
        policy: { licenceThreshold: 30, retentionDays: 60, fastRevokeDays: 2, maxVerificationAttempts: 5, lockoutMinutes: 30, verificationIdleMinutes: 10 },
        webChat: { allowedOrigins: ['https://help.example.test'], directLine: { kind: 'service', secret: 'dl-secret' }, tokensPerMinute: 5, trustProxy: true },
        agents: { sessionSecret: 'a-session-secret-of-at-least-32-characters', sessionLifetimeMs: 4 * 3_600_000, accountsFile: '/srv/agents.json' },
      },
    });
  });

  it('keeps the embedded file for directory and cases when state goes to PostgreSQL, and nothing on disk for memory', () => {
    expect(loadConfig({ STORAGE: 'postgres', DATABASE_URL: 'postgres://postgres@127.0.0.1/test', SQLITE_PATH: '/srv/bot.sqlite' })).toMatchObject({ config: { sqlitePath: '/srv/bot.sqlite' } });
    expect(loadConfig({ STORAGE: 'memory' })).toMatchObject({ config: { sqlitePath: ':memory:' } });
  });

  it('listens only on this machine while there is no app ID to authenticate with, everywhere once there is', () => {
    expect(loadConfig({})).toMatchObject({ config: { host: '127.0.0.1' } });
    const deployed = { MicrosoftAppId: 'app', MicrosoftAppPassword: 'x', OTP_SENDER: 'http', SMS_GATEWAY_URL: 'https://sms.example.test', AGENT_SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' };
    expect(loadConfig(deployed)).toMatchObject({ config: { host: '0.0.0.0' } });
    // A real deployment signs agent sessions with a secret every instance shares.
    expect(loadConfig({ ...deployed, AGENT_SESSION_SECRET: undefined })).toMatchObject({ ok: false, problems: [expect.stringMatching(/^AGENT_SESSION_SECRET: required/)] });
    expect(loadConfig({ HOST: '0.0.0.0' })).toMatchObject({ config: { host: '0.0.0.0' } });
  });

  it('refuses to change embedded subscriptions of accounts that live in a CRM', () => {
    const result = loadConfig({ DIRECTORY: 'http', ACCOUNTS_API_URL: 'https://crm.example.test' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatch(/^SUBSCRIPTIONS: /);
    expect(loadConfig({ DIRECTORY: 'http', ACCOUNTS_API_URL: 'https://crm.example.test', SUBSCRIPTIONS: 'http', BILLING_API_URL: 'https://billing.example.test' }).ok).toBe(true);
  });

  it('treats an empty assignment as unset', () => {
    expect(loadConfig({ PORT: '', STORAGE: '' })).toMatchObject({ ok: true, config: { port: 3978, storage: { kind: 'sqlite' } } });
  });

  it('gives one clear line per bad variable', () => {
    const result = loadConfig({ PORT: 'eighty', STORAGE: 'mongo', DEFAULT_LOCALE: 'de', POLICY_LICENCE_THRESHOLD: '-1' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toHaveLength(4);
    expect(result.problems.find((line) => line.startsWith('PORT:'))).toContain('"eighty"');
    expect(result.problems.find((line) => line.startsWith('STORAGE:'))).toContain('"mongo"');
    expect(result.problems.find((line) => line.startsWith('DEFAULT_LOCALE:'))).toContain('"de"');
    expect(result.problems.some((line) => line.startsWith('POLICY_LICENCE_THRESHOLD:'))).toBe(true);
  });

  it('needs DATABASE_URL for postgres, and never prints a secret', () => {
    expect(loadConfig({ STORAGE: 'postgres' })).toEqual({ ok: false, problems: ['DATABASE_URL: required when STORAGE=postgres'] });
    const bad = loadConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses a policy whose fast revoke keeps data longer than a cancellation', () => {
    const result = loadConfig({ POLICY_FAST_REVOKE_DAYS: '100' });
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.problems[0]).toContain('fastRevokeDays');
  });
});
