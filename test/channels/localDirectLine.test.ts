import { describe, expect, it } from 'vitest';
import type { Activity } from 'botbuilder';
import { DirectLineError, LocalDirectLine } from '../../src/channels/directLine/localDirectLine';
import { silentLogger } from '../../src/log';

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

  it('holds a bounded number of conversations: idle ones make room, busy ones never do (503)', () => {
    const { local, advance } = service({ maxConversations: 2 });
    local.issueToken();
    local.issueToken();
    expect(status(() => local.issueToken())).toBe(503);
    advance(11 * 60_000);
    expect(status(() => local.issueToken())).toBe(200);
    expect(local.size).toBe(1);
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

  it("a client's typing is shown in the list but is no turn of the bot's", async () => {
    const { local, turns } = service();
    const issued = local.issueToken();
    await local.post(issued.token, issued.conversationId, { type: 'typing' });
    expect(turns).toHaveLength(0);
    expect(local.since(issued.token, issued.conversationId, '').activities).toHaveLength(1);
  });
});
