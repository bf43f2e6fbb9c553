import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpSubscriptions } from '../../src/subscriptions/httpSubscriptions';
import { SubscriptionChangedError, SubscriptionServiceUnavailableError, type SubscriptionChangeRequest } from '../../src/subscriptions/subscriptionService';
import { codeMatches, createHttpOtpSender, issueCode, OtpDeliveryError } from '../../src/verification/otp';
import { facts, NOW } from '../support/facts';

const BILLING = 'https://billing.example.test';
const service = createHttpSubscriptions({ baseUrl: `${BILLING}/api`, apiKey: 'billing-key', timeoutMs: 200, retries: 2, backoffMs: 1 });
const expected = facts();
const next = { ...expected, status: 'CANCELLED' as const, autoRenew: false, cancelledAt: '2026-11-22', dataDeletionAt: '2027-02-20' };
const request = { accountId: 'acc-fjordfika', subscriptionId: 'sub-1', idempotencyKey: 'key-123', expected, next } as SubscriptionChangeRequest;
const path = '/api/accounts/acc-fjordfika/subscriptions/sub-1/cancel';

describe('HTTP billing API (nock)', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('success: sends the idempotency key, the key and the planned change', async () => {
    const scope = nock(BILLING, { reqheaders: { 'idempotency-key': 'key-123', authorization: 'Bearer billing-key' } })
      .post(path, (body) => body.next.status === 'CANCELLED' && body.expected.status === 'ACTIVE')
      .reply(200, { subscription: { id: 'sub-1', facts: next } });
    expect(await service.cancelNow(request)).toEqual({ facts: next, alreadyApplied: false });
    expect(scope.isDone()).toBe(true);
  });

  it('409: already done with this key, so the same result and nothing twice', async () => {
    nock(BILLING).post(path).reply(409, { subscription: { id: 'sub-1', facts: next } });
    expect(await service.cancelNow(request)).toEqual({ facts: next, alreadyApplied: true });
  });

  it('5xx then success: retried with the same key', async () => {
    const scope = nock(BILLING, { reqheaders: { 'idempotency-key': 'key-123' } })
      .post(path).reply(502)
      .post(path).reply(201, { subscription: { id: 'sub-1', facts: next } });
    expect((await service.cancelNow(request)).alreadyApplied).toBe(false);
    expect(scope.isDone()).toBe(true);
  });

  it('5xx every time: SubscriptionServiceUnavailableError after the retries', async () => {
    const scope = nock(BILLING).post(path).times(3).reply(500);
    await expect(service.cancelNow(request)).rejects.toBeInstanceOf(SubscriptionServiceUnavailableError);
    expect(scope.isDone()).toBe(true);
  });

  it('timeout: SubscriptionServiceUnavailableError', async () => {
    nock(BILLING).post(path).times(3).delay(1000).reply(200, { subscription: { id: 'sub-1', facts: next } });
    await expect(service.cancelNow(request)).rejects.toBeInstanceOf(SubscriptionServiceUnavailableError);
  });

  it('412: the subscription changed since it was read', async () => {
    nock(BILLING).post(path).reply(412, {});
    await expect(service.cancelNow(request)).rejects.toBeInstanceOf(SubscriptionChangedError);
  });

  it('a malformed answer is "unavailable", never a success', async () => {
    nock(BILLING).post(path).reply(200, { subscription: { id: 'sub-1' } });
    await expect(service.cancelNow(request)).rejects.toBeInstanceOf(SubscriptionServiceUnavailableError);
  });

  it('each action has its own endpoint', async () => {
    for (const [call, segment] of [['turnOffAutoRenew', 'turn-off-auto-renew'], ['fastRevoke', 'fast-revoke'], ['reactivate', 'reactivate']] as const) {
      nock(BILLING).post(`/api/accounts/acc-fjordfika/subscriptions/sub-1/${segment}`).reply(200, { subscription: { id: 'sub-1', facts: expected } });
      await expect(service[call](request)).resolves.toMatchObject({ alreadyApplied: false });
    }
  });
});

describe('SMS gateway for one-time codes (nock)', () => {
  const sender = createHttpOtpSender({ baseUrl: 'https://sms.example.test', apiKey: 'sms-key', timeoutMs: 200, retries: 1, backoffMs: 1 });
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it('posts the text to the number', async () => {
    const scope = nock('https://sms.example.test', { reqheaders: { authorization: 'Bearer sms-key' } })
      .post('/messages', { to: '+46701234567', text: 'Din kod: 123456' })
      .reply(202);
    await sender.send('+46701234567', 'Din kod: 123456');
    expect(scope.isDone()).toBe(true);
  });

  it('a gateway that fails is an OtpDeliveryError', async () => {
    nock('https://sms.example.test').post('/messages').times(2).reply(503);
    await expect(sender.send('+46701234567', 'x')).rejects.toBeInstanceOf(OtpDeliveryError);
  });
});

describe('one-time codes', () => {
  it('match once typed, with or without spaces, until they expire', () => {
    const { code, issued } = issueCode(NOW, 10);
    expect(code).toMatch(/^\d{6}$/);
    expect(JSON.stringify(issued)).not.toContain(code);
    expect(codeMatches(issued, code, NOW)).toBe(true);
    expect(codeMatches(issued, `${code.slice(0, 3)} ${code.slice(3)}`, NOW)).toBe(true);
    expect(codeMatches(issued, code, new Date(NOW.getTime() + 10 * 60_000 + 1))).toBe(false);
    expect(codeMatches(issued, '12345', NOW)).toBe(false);
  });
});
