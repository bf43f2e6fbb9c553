import { describe, expect, it, vi } from 'vitest';
import { TestAdapter, TurnContext } from 'botbuilder';
import { accountThisTurn, forgetAccountsThisTurn, rememberAccountThisTurn } from '../../src/conversation/accountsThisTurn';
import { DirectoryUnavailableError, type AccountDirectory } from '../../src/accounts/directory';
import { seededDirectory } from '../support/bot';
import { startConversation } from '../support/conversation';

const turn = () => new TurnContext(new TestAdapter(), { type: 'message', channelId: 'test', conversation: { id: 'c1', isGroup: false, conversationType: 'personal', name: '' }, from: { id: 'u1', name: 'User' }, recipient: { id: 'bot', name: 'Bot' }, text: 'ja' });

describe('the account within one turn', () => {
  it('one directory read serves every step of a turn; the next turn, and a turn after a change, read afresh', async () => {
    const directory = seededDirectory();
    const findAccount = vi.spyOn(directory, 'findAccount');
    const first = turn();
    const [a, b] = await Promise.all([accountThisTurn(first, directory, 'acc-fjordfika'), accountThisTurn(first, directory, 'acc-fjordfika')]);
    expect(a?.organisationName).toBe('Fjordfika AB');
    expect(b).toBe(a);
    expect(findAccount).toHaveBeenCalledTimes(1);
    forgetAccountsThisTurn(first);
    await accountThisTurn(first, directory, 'acc-fjordfika');
    expect(findAccount).toHaveBeenCalledTimes(2);
    await accountThisTurn(turn(), directory, 'acc-fjordfika');
    expect(findAccount).toHaveBeenCalledTimes(3);
  });

  it('an account the verification read is used as it was given, without a read', async () => {
    const directory = seededDirectory();
    const verdict = await directory.verify({ userId: 'anna.lindqvist@fjordfika.se', phone: '070-123 45 67', contactName: 'Anna Lindqvist', organisationName: 'Fjordfika AB', postalAddress: 'Storgatan 12, 114 55 Stockholm', claimsAdmin: true });
    if (verdict.status !== 'verified') throw new Error(`the demo caller was not verified: ${verdict.status}`);
    const findAccount = vi.spyOn(directory, 'findAccount');
    const context = turn();
    rememberAccountThisTurn(context, verdict.account);
    expect(await accountThisTurn(context, directory, verdict.account.id)).toBe(verdict.account);
    expect(findAccount).not.toHaveBeenCalled();
  });

  it('a read that failed is not kept: asking again in the same turn reads again', async () => {
    let calls = 0;
    const flaky = { findAccount: async () => (calls++ === 0 ? Promise.reject(new DirectoryUnavailableError('away')) : undefined) } as unknown as AccountDirectory;
    const context = turn();
    await expect(accountThisTurn(context, flaky, 'acc-x')).rejects.toBeInstanceOf(DirectoryUnavailableError);
    await expect(accountThisTurn(context, flaky, 'acc-x')).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });

  it.each(['sv', 'en'] as const)('the turn that verifies a caller (%s) lists and opens their subscription without reading the account again', async (language) => {
    const c = await startConversation({ language });
    try {
      const findAccount = vi.spyOn(c.runtime.directory, 'findAccount');
      const said = await c.verifyFor('cancel', 'anna');
      expect(said.join('\n')).toMatch(/Fjordfika AB/);
      expect(findAccount).not.toHaveBeenCalled();
      // The next turn reads it afresh: the facts may have changed since.
      await c.say(c.words.endOfTerm);
      expect(findAccount).toHaveBeenCalledTimes(1);
    } finally {
      await c.close();
    }
  });
});
