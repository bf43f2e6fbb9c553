import { generateKeyPairSync, createSign, type KeyObject } from 'node:crypto';
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server';
import { createLogger } from '../../src/log';
import { testConfig } from '../support/bot';
import { inbound, startConnectorStub } from '../support/connectorStub';

/**
 * JWT authentication on /api/messages when an app ID is configured. The Bot Framework identity service (OpenID
 * metadata, signing keys, token endpoint) is played by nock; the Bot Connector by a stub on loopback. The order of
 * the tests matters: the SDK caches signing keys per process, so the outage cases run before keys are ever served.
 */
const APP_ID = '11111111-2222-3333-4444-555555555555';
const KID = 'test-signing-key';
const IDENTITY = 'https://login.botframework.com';
const METADATA_PATH = '/v1/.well-known/openidconfiguration';

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });

function jwt(claims: Record<string, unknown>, key: KeyObject = signingKey.privateKey, kid = KID): string {
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url');
  return `${unsigned}.${signature}`;
}

function channelToken(serviceUrl: string, overrides: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return jwt({ iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: serviceUrl, nbf: now - 60, iat: now - 60, exp: now + 3600, ...overrides });
}

function serveIdentityService() {
  const jwk = signingKey.publicKey.export({ format: 'jwk' });
  nock(IDENTITY).persist().get(METADATA_PATH).reply(200, { issuer: 'https://api.botframework.com', jwks_uri: `${IDENTITY}/v1/.well-known/keys` });
  nock(IDENTITY).persist().get('/v1/.well-known/keys').reply(200, { keys: [{ kty: 'RSA', use: 'sig', kid: KID, n: jwk.n, e: jwk.e, endorsements: ['webchat', 'msteams'] }] });
}

describe('JWT authentication with MicrosoftAppId set', () => {
  const logLines: string[] = [];
  let app: App;
  let base: string;
  let connector: Awaited<ReturnType<typeof startConnectorStub>>;

  const post = (conversationId: string, authorization?: string) =>
    fetch(`${base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(inbound(connector.url, conversationId, { type: 'message', text: 'hej', locale: 'sv-SE' })),
    });

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect((host) => host.startsWith('127.0.0.1'));
    connector = await startConnectorStub();
    app = await createApp(
      testConfig({ auth: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'test-secret', MicrosoftAppType: 'MultiTenant', MicrosoftAppTenantId: '' } }),
      createLogger('debug', (line) => logLines.push(line)),
    );
    base = (await app.listen()).url;
  });

  afterAll(async () => {
    await app.close();
    await connector.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('a request without an Authorization header → 401, and the bot says nothing', async () => {
    const res = await post('conv-none');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Unauthorized' });
    expect(connector.replies).toHaveLength(0);
  });

  it('identity service unreachable → 503 with a plain body; the detail is logged', async () => {
    nock(IDENTITY).get(METADATA_PATH).replyWithError('connect ECONNREFUSED 40.0.0.1:443');
    const res = await post('conv-outage', `Bearer ${channelToken(connector.url)}`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'ServiceUnavailable' });
    expect(body).not.toMatch(/ECONNREFUSED|login\.botframework|request to/);
    expect(logLines.some((line) => line.includes('http.messages.identity-unavailable') && line.includes('ECONNREFUSED'))).toBe(true);
  });

  it('identity service answering 500 → 503 as well: not the caller’s fault', async () => {
    nock(IDENTITY).get(METADATA_PATH).reply(500, 'upstream broke');
    const res = await post('conv-outage-2', `Bearer ${channelToken(connector.url)}`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'ServiceUnavailable' });
  });

  describe('with the identity service up', () => {
    beforeAll(serveIdentityService);

    it('a token signed by a key the identity service does not know → 401', async () => {
      const forged = jwt({ iss: 'https://api.botframework.com', aud: APP_ID, serviceurl: connector.url, exp: Math.floor(Date.now() / 1000) + 600 }, strangerKey.privateKey);
      const res = await post('conv-forged', `Bearer ${forged}`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'Unauthorized' });
    });

    it('a genuine token for another bot (wrong audience) → 401', async () => {
      const res = await post('conv-audience', `Bearer ${channelToken(connector.url, { aud: 'someone-else' })}`);
      expect(res.status).toBe(401);
    });

    it('an expired token → 401', async () => {
      const res = await post('conv-expired', `Bearer ${channelToken(connector.url, { exp: Math.floor(Date.now() / 1000) - 600, nbf: Math.floor(Date.now() / 1000) - 7200 })}`);
      expect(res.status).toBe(401);
    });

    it('a genuine channel token → 200, and the reply reaches the connector signed with the bot’s own token', async () => {
      nock('https://login.microsoftonline.com')
        .persist()
        .get(/.*/)
        .reply(200, (uri) => discoveryDocument(uri))
        .post(/\/oauth2\/v2\.0\/token/)
        .reply(200, { token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600, access_token: 'outbound-token' });
      const res = await post('conv-genuine', `Bearer ${channelToken(connector.url)}`);
      expect(res.status).toBe(200);
      const replies = connector.replies.filter((r) => r.activity.conversation?.id === 'conv-genuine');
      expect(replies[0]?.activity.text).toContain('Hej! Jag är prenumerationsassistenten.');
      expect(replies[0]?.authorization).toBe('Bearer outbound-token');
    });
  });
});

/** Just enough of Entra ID's discovery documents for MSAL to find the token endpoint of `botframework.com`. */
function discoveryDocument(uri: string) {
  const tenant = 'https://login.microsoftonline.com/botframework.com';
  if (uri.includes('/discovery/instance')) {
    return {
      tenant_discovery_endpoint: `${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net'] }],
    };
  }
  return {
    token_endpoint: `${tenant}/oauth2/v2.0/token`,
    authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${tenant}/oauth2/v2.0/logout`,
    issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    jwks_uri: `${tenant}/discovery/v2.0/keys`,
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
  };
}
