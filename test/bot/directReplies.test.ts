import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectorClient, MicrosoftAppCredentials } from 'botframework-connector';
import type { Activity } from 'botbuilder';
import { ConnectorReplyError, withDirectReplies } from '../../src/bot/directReplies';
import { DEFAULT_REPLY_RETRY, retryDelay, safeToSendAgain } from '../../src/bot/replyRetry';

/** Credentials as the SDK's are to the client: they sign a request (here with a fixed token instead of one from Entra ID). */
const signing = { signRequest: async (resource: { headers: { set(name: string, value: string): void } }) => resource.headers.set('Authorization', 'Bearer outbound-token') };

const client = (baseUri: string, credentials: unknown = signing) => withDirectReplies(new ConnectorClient(credentials as MicrosoftAppCredentials, { baseUri }), {});
const reply = (text: string): Partial<Activity> => ({ type: 'message', text, conversation: { id: '19:abc@thread.skype;messageid=1' } as Activity['conversation'] });

/** Replies posted straight on a kept-alive connection: the same request as the SDK's client makes, signed by its credentials. */
describe('withDirectReplies (nock)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('replies to an activity: the URL under the service URL\'s own path, ids encoded, the JSON, the credentials\' token', async () => {
    let seen: { body?: unknown; headers?: Record<string, unknown> } = {};
    nock('https://smba.trafficmanager.net')
      .post('/emea/v3/conversations/19%3Aabc%40thread.skype%3Bmessageid%3D1/activities/1%3A2', function (this: { headers: Record<string, unknown> }, body) {
        seen = { body, headers: this.headers };
        return true;
      })
      .reply(201, { id: 'reply-1' });
    const response = await client('https://smba.trafficmanager.net/emea/').conversations.replyToActivity('19:abc@thread.skype;messageid=1', '1:2', reply('Hej å ä ö'));
    expect(response).toEqual({ id: 'reply-1' });
    expect(seen.body).toMatchObject({ type: 'message', text: 'Hej å ä ö' });
    expect(seen.headers?.authorization).toBe('Bearer outbound-token');
    expect(seen.headers?.['content-type']).toBe('application/json');
  });

  it('sends to a conversation; an answer with no body is an answer without an id', async () => {
    nock('http://127.0.0.1:3978').post('/v3/conversations/c1/activities').reply(200, '');
    expect(await client('http://127.0.0.1:3978').conversations.sendToConversation('c1', reply('Hej'))).toEqual({});
  });

  it('without an app ID the SDK\'s empty credentials sign nothing: no authorization header', async () => {
    let authorization: unknown = 'unset';
    nock('http://127.0.0.1:3978')
      .post('/v3/conversations/c1/activities', function (this: { headers: Record<string, unknown> }) {
        authorization = this.headers.authorization;
        return true;
      })
      .reply(200, { id: 'r' });
    await client('http://127.0.0.1:3978', new MicrosoftAppCredentials('', '')).conversations.sendToConversation('c1', reply('Hej'));
    expect(authorization).toBeUndefined();
  });

  it('a refusal is an error the retries read as they read the SDK\'s: its status and its Retry-After', async () => {
    nock('http://127.0.0.1:3978').post('/v3/conversations/c1/activities').reply(429, '{"error":{"code":"Throttled"}}', { 'Retry-After': '2' });
    const error = (await client('http://127.0.0.1:3978').conversations.sendToConversation('c1', reply('Hej')).catch((e: unknown) => e)) as ConnectorReplyError;
    expect(error).toBeInstanceOf(ConnectorReplyError);
    expect(error.statusCode).toBe(429);
    expect(error.message).toContain('Throttled');
    expect(safeToSendAgain(error)).toBe(true);
    expect(retryDelay(error, 1, DEFAULT_REPLY_RETRY)).toBe(2_000);
  });

  it('a 500 is not safe to send again (the message may have been posted)', async () => {
    nock('http://127.0.0.1:3978').post('/v3/conversations/c1/activities/a1').reply(500, 'oops');
    const error = await client('http://127.0.0.1:3978').conversations.replyToActivity('c1', 'a1', reply('Hej')).catch((e: unknown) => e);
    expect((error as ConnectorReplyError).statusCode).toBe(500);
    expect(safeToSendAgain(error)).toBe(false);
  });

  it('a refused connection is an error safe to send again (nothing was sent)', async () => {
    nock.enableNetConnect('127.0.0.1:9');
    const error = await client('http://127.0.0.1:9').conversations.sendToConversation('c1', reply('Hej')).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ECONNREFUSED');
    expect(safeToSendAgain(error)).toBe(true);
    nock.disableNetConnect();
  });

  it('everything else stays the SDK\'s client (an update goes through its own pipeline)', async () => {
    nock('http://127.0.0.1:3978').put('/v3/conversations/c1/activities/a1').reply(200, { id: 'a1' });
    const response = await client('http://127.0.0.1:3978').conversations.updateActivity('c1', 'a1', reply('Ändrat') as Activity);
    expect(response.id).toBe('a1');
  });

  it('behind an HTTP proxy the SDK posts (its pipeline honours the proxy settings)', () => {
    const sdk = new ConnectorClient(signing as unknown as MicrosoftAppCredentials, { baseUri: 'http://127.0.0.1:3978' });
    const original = sdk.conversations;
    expect(withDirectReplies(sdk, { HTTPS_PROXY: 'http://proxy:8080' }).conversations).toBe(original);
    expect(withDirectReplies(sdk, {}).conversations).not.toBe(original);
  });
});
