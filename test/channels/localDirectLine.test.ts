import { describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { DirectLineError, LocalDirectLine } from '../../src/channels/directLine/localDirectLine';
import { silentLogger } from '../../src/log';
import { clientAddress, clientKey } from '../../src/channels/rateLimiter';

/** The local Direct Line service's bookkeeping, with its clock in the test's hand: expiry, forgetting, bounds. */
function service(options: { maxConversations?: number; maxActivities?: number; tokenSeconds?: number } = {}) {
  let now = 1_000_000;
  const turns: Array<Partial<Activity>> = [];
  const local = new LocalDirectLine({ runTurn: async (activity) => void turns.push(activity), logger: silentLogger, now: () => now, idleMinutes: 10, tokenSeconds: 60, ...options });
  return { local, turns, advance: (ms: number) => (now += ms) };
}

const status = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as DirectLineError).status;
  }
  return 200;
};

describe('LocalDirectLine', () => {
  it('a token runs out after its lifetime (403, Web Chat then refreshes or starts again); a refreshed one goes on', () => {
    const { local, advance } = service();
    const issued = local.issueToken();
    local.start(issued.token, {});
    advance(50_000);
    const fresh = local.refresh(issued.token);
    advance(20_000);
    expect(status(() => local.since(issued.token, issued.conversationId, ''))).toBe(403);
    expect(status(() => local.since(fresh.token, issued.conversationId, ''))).toBe(200);
  });

  it('a conversation idle longer than the retention is forgotten: 404, which Web Chat takes as "ended"', () => {
    const { local, advance } = service({ maxConversations: 1, tokenSeconds: 3600 });
    const issued = local.issueToken();
    local.start(issued.token, {});
    advance(9 * 60_000);
    const fresh = local.refresh(issued.token); // in use: not idle
    advance(9 * 60_000);
    expect(status(() => local.since(fresh.token, issued.conversationId, ''))).toBe(200);
    advance(11 * 60_000);
    local.refresh(local.issueToken().token); // at the bound, issuing sweeps (as the minute timer does)
    expect(status(() => local.since(fresh.token, issued.conversationId, ''))).toBe(404);
  });

  it('holds a bounded number of conversations: the one used least recently makes room, never one in use', () => {
    const { local, advance } = service({ maxConversations: 2 });
    const first = local.issueToken();
    const second = local.issueToken();
    advance(1000);
    local.since(first.token, first.conversationId, ''); // polled: in use
    const third = local.issueToken();
    expect(local.size).toBe(2);
    expect(status(() => local.since(first.token, first.conversationId, ''))).toBe(200);
    expect(status(() => local.since(second.token, second.conversationId, ''))).toBe(404);
    expect(status(() => local.since(third.token, third.conversationId, ''))).toBe(200);
  });

  it('a refreshed token leaves its predecessor a minute, and a conversation never holds more than three', () => {
    const { local, advance } = service({ tokenSeconds: 3600 });
    const issued = local.issueToken();
    const tokens = [issued.token];
    for (let i = 0; i < 5; i++) tokens.push(local.refresh(tokens.at(-1)).token);
    // Only the newest three are known at all, however many times a token was refreshed.
    expect(tokens.map((token) => status(() => local.since(token, issued.conversationId, '')))).toEqual([403, 403, 403, 200, 200, 200]);
    advance(61_000);
    expect(tokens.slice(3).map((token) => status(() => local.since(token, issued.conversationId, '')))).toEqual([403, 403, 200]);
  });

  it('refuses what would cost memory: long texts, big values, too many posts (429); weight is bounded too', async () => {
    const { local } = service({ maxActivities: 1000 });
    const issued = local.issueToken();
    const post = (body: unknown) => local.post(issued.token, issued.conversationId, body).then(() => 200, (error: DirectLineError) => error.status);
    expect(await post({ type: 'message', text: 'x'.repeat(10_001) })).toBe(400);
    expect(await post({ type: 'message', value: { choice: 'y'.repeat(5000) } })).toBe(400);
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push(await post({ type: 'message', text: 'z'.repeat(9_000) }));
    expect(statuses.slice(0, 60).every((s) => s === 200)).toBe(true);
    expect(statuses[60]).toBe(429);
    const kept = local.since(issued.token, issued.conversationId, '');
    expect(JSON.stringify(kept.activities).length).toBeLessThanOrEqual(1_000_000);
    expect(kept.watermark).toBe('60');
  });

  it('keeps the last activities only, and watermarks go on counting', async () => {
    const { local } = service({ maxActivities: 3 });
    const issued = local.issueToken();
    for (let i = 0; i < 5; i++) await local.post(issued.token, issued.conversationId, { type: 'message', text: `m${i}` });
    const all = local.since(issued.token, issued.conversationId, '0');
    expect(all.watermark).toBe('5');
    expect(all.activities.map((a) => a.text)).toEqual(['m2', 'm3', 'm4']);
    expect(local.since(issued.token, issued.conversationId, '4').activities.map((a) => a.text)).toEqual(['m4']);
  });

  it('passes on only what a client may say: no attachments, no made-up sender, ids or service URL', async () => {
    const { local, turns } = service();
    const issued = local.issueToken();
    await local.post(issued.token, issued.conversationId, {
      type: 'message',
      text: 'hej',
      id: 'forged',
      from: { id: 'admin' },
      serviceUrl: 'https://evil.example',
      attachments: [{ contentType: 'image/png', contentUrl: 'https://evil.example/x.png' }],
      channelData: { clientActivityID: 'c1', tenant: { id: 'forged' } },
    });
    expect(turns[0]).toMatchObject({ type: 'message', text: 'hej', from: { id: issued.userId, role: 'user' }, serviceUrl: 'https://directline.local.invalid/', channelData: { clientActivityID: 'c1' } });
    expect(turns[0].id).toMatch(new RegExp(`^${issued.conversationId}\\|0000000$`));
    expect(turns[0]).not.toHaveProperty('attachments');
    expect(turns[0].channelData).not.toHaveProperty('tenant');
  });

  it("a client's typing is neither kept nor a turn of the bot's", async () => {
    const { local, turns } = service();
    const issued = local.issueToken();
    for (let i = 0; i < 1000; i++) await local.post(issued.token, issued.conversationId, { type: 'typing' });
    expect(turns).toHaveLength(0);
    expect(local.since(issued.token, issued.conversationId, '').activities).toHaveLength(0);
  });

  it('counts a client by the address the trusted proxy saw, and an IPv6 client by its /64', () => {
    const req = (remoteAddress: string, forwarded?: string) => ({ headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress } }) as never;
    expect(clientAddress(req('10.0.0.5', '1.2.3.4, 203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientAddress(req('10.0.0.5', '1.2.3.4, 203.0.113.9'), false)).toBe('10.0.0.5');
    expect(clientAddress(req('::ffff:192.0.2.1'), false)).toBe('192.0.2.1');
    expect(clientKey('2001:db8:85a3:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:85a3:1::/64');
    expect(clientKey('2001:db8:85a3:1::1')).toBe(clientKey('2001:db8:85a3:0001:ffff::2'));
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
