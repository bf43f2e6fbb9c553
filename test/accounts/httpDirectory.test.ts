import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpDirectory } from '../../src/accounts/httpDirectory';
import { DirectoryUnavailableError } from '../../src/accounts/directory';
import type { VerificationAnswers } from '../../src/verification/answers';

const API = 'https://crm.example.test';
const directory = createHttpDirectory({ baseUrl: `${API}/v1`, apiKey: 'secret-key', timeoutMs: 200, retries: 2, backoffMs: 1 });

const anna: VerificationAnswers = {
  userId: 'Anna.Lindqvist@fjordfika.se',
  phone: '070-123 45 67',
  contactName: 'anna lindqvist',
  organisationName: 'FJORDFIKA AB',
  postalAddress: 'storgatan 12 , 11455 stockholm',
  claimsAdmin: true,
};

const annaRecord = {
  userId: 'anna.lindqvist@fjordfika.se',
  isAdmin: true,
  account: {
    id: 'acc-fjordfika',
    organisationName: 'Fjordfika AB',
    contactName: 'Anna Lindqvist',
    phone: '+46701234567',
    postalAddress: { street: 'Storgatan 12', postalCode: '114 55', town: 'Stockholm' },
    subscriptions: [{
      id: 'sub-1',
      facts: {
        plan: 'SMALL_BUSINESS', kind: 'PAID', channel: 'DIRECT', billing: 'MONTHLY', assignedLicenses: 12, termEnd: '2026-12-12',
        autoRenew: true, hasPaymentMethod: true, customDomains: ['fjordfika.se'], status: 'ACTIVE', cancelledAt: null, dataDeletionAt: null,
      },
    }],
  },
};

const userPath = '/v1/users/anna.lindqvist%40fjordfika.se';

describe('HTTP account directory (nock)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('200: verifies against the record, sending the API key', async () => {
    nock(API, { reqheaders: { authorization: 'Bearer secret-key' } }).get(userPath).reply(200, annaRecord);
    const verdict = await directory.verify(anna);
    expect(verdict).toMatchObject({ status: 'verified', isAdmin: true, account: { id: 'acc-fjordfika' } });
  });

  it('200 with one answer different: rejected', async () => {
    nock(API).get(userPath).reply(200, annaRecord);
    expect(await directory.verify({ ...anna, postalAddress: 'Storgatan 13, 114 55 Stockholm' })).toEqual({ status: 'rejected', accountId: 'acc-fjordfika' });
  });

  it('404: an unknown user is rejected, not an error', async () => {
    nock(API).get(userPath).reply(404, { error: 'not found' });
    expect(await directory.verify(anna)).toEqual({ status: 'rejected' });
  });

  it('500 then 200: retried, then verified', async () => {
    const scope = nock(API).get(userPath).reply(500, 'oops').get(userPath).reply(200, annaRecord);
    expect(await directory.verify(anna)).toMatchObject({ status: 'verified' });
    expect(scope.isDone()).toBe(true);
  });

  it('500 every time: gives up after the retries with DirectoryUnavailableError', async () => {
    const scope = nock(API).get(userPath).times(3).reply(503, 'down');
    await expect(directory.verify(anna)).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect(scope.isDone()).toBe(true);
  });

  it('timeout: retried, then DirectoryUnavailableError', async () => {
    nock(API).get(userPath).times(3).delay(1_000).reply(200, annaRecord);
    const error = await directory.verify(anna).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DirectoryUnavailableError);
    expect((error as Error).message).toContain('timeout');
  });

  it('timeout then 200: the retry succeeds', async () => {
    nock(API).get(userPath).delay(1_000).reply(200, annaRecord).get(userPath).reply(200, annaRecord);
    expect(await directory.verify(anna)).toMatchObject({ status: 'verified' });
  });

  it('malformed JSON: DirectoryUnavailableError, not a crash and not a rejection', async () => {
    nock(API).get(userPath).reply(200, '{"userId": "anna', { 'content-type': 'application/json' });
    await expect(directory.verify(anna)).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('JSON of the wrong shape: DirectoryUnavailableError', async () => {
    nock(API).get(userPath).reply(200, { userId: 'anna.lindqvist@fjordfika.se', isAdmin: 'yes' });
    await expect(directory.verify(anna)).rejects.toBeInstanceOf(DirectoryUnavailableError);
  });

  it('a 4xx other than 404 is not retried', async () => {
    const scope = nock(API).get(userPath).reply(401, { error: 'bad key' });
    await expect(directory.verify(anna)).rejects.toBeInstanceOf(DirectoryUnavailableError);
    expect(scope.isDone()).toBe(true);
  });

  it('error messages never carry the user ID', async () => {
    nock(API).get(userPath).times(3).reply(500);
    const error = (await directory.verify(anna).catch((e: unknown) => e)) as Error & { cause?: Error };
    expect(`${error.message} ${error.cause?.message}`).not.toMatch(/anna|lindqvist/i);
  });

  it('findAccount reads one account', async () => {
    nock(API).get('/v1/accounts/acc-fjordfika').reply(200, annaRecord.account);
    expect(await directory.findAccount('acc-fjordfika')).toMatchObject({ organisationName: 'Fjordfika AB' });
    nock(API).get('/v1/accounts/nope').reply(404);
    expect(await directory.findAccount('nope')).toBeUndefined();
  });
});
