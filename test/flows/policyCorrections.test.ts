import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG } from '../../src/policy';
import { RULE_ID_IN_TEXT } from '../support/branches';
import { startConversation } from '../support/conversation';
import { answersOf, DEMO_CALLERS } from '../support/demoCallers';
import { NOW } from '../support/facts';

const LANGUAGES = ['sv', 'en'] as const;

describe.each(LANGUAGES)('policy corrections in %s', (language) => {
  it('slow guessing locks: three wrong answer sets 15 minutes apart lock on the third (ID-3, rolling 24 hours)', async () => {
    let now = NOW;
    const c = await startConversation({ language, overrides: { now: () => now } });
    const t = c.runtime.i18n.getFixedT(language);
    try {
      const wrong = [...answersOf(DEMO_CALLERS.anna).slice(0, 4), 'Storgatan 99, 114 55 Stockholm', c.words.yes];
      const first = await c.say(c.words.cancel, ...wrong);
      expect(first.join('\n')).toContain(t('verify:rejected', { count: 2 }));
      now = new Date(NOW.getTime() + 15 * 60_000);
      const second = await c.say(...wrong);
      expect(second.join('\n')).toContain(t('verify:rejected', { count: 1 }));
      now = new Date(NOW.getTime() + 30 * 60_000);
      const third = await c.say(...wrong);
      expect(third.join('\n')).toContain(t('verify:locked', { minutes: t('common:minutes', { count: 15 }) }));
      // Waiting out the lock allows one attempt, and its failure locks twice as long.
      now = new Date(NOW.getTime() + 46 * 60_000);
      const fourth = await c.say(c.words.cancel, ...wrong);
      expect(fourth.join('\n')).toContain(t('verify:locked', { minutes: t('common:minutes', { count: 30 }) }));
    } finally {
      await c.close();
    }
  });

  it('the stored deletion date decides, not a lowered POLICY_RETENTION_DAYS: Lena can still reactivate (DD-1)', async () => {
    const c = await startConversation({ language, config: { policy: { ...DEFAULT_POLICY_CONFIG, retentionDays: 20 } } });
    try {
      const said = [...(await c.verifyFor('reactivate', 'lena')), ...(await c.say(c.words.yes))].join('\n');
      expect(said).toContain(language === 'sv' ? 'till och med den 21 januari 2027' : 'up to and including 21 January 2027');
      expect(said).toMatch(/CX-/);
      expect(c.db().prepare("SELECT status FROM subscriptions WHERE id = 'sub-havsbris-1'").get()).toEqual({ status: 'ACTIVE' });
    } finally {
      await c.close();
    }
  });

  it('a fast revoke of an already cancelled subscription compares with the stored date, whatever the configuration (DD-1, FR-3)', async () => {
    const c = await startConversation({ language, config: { policy: { ...DEFAULT_POLICY_CONFIG, retentionDays: 20 } } });
    try {
      const said = (await c.verifyFor('fastRevoke', 'lena')).join('\n');
      expect(said).toContain(language === 'sv' ? 'sparas till och med den 21 januari 2027' : 'kept up to and including 21 January 2027');
      expect(said).toContain(language === 'sv' ? 'senast den 25 november 2026' : 'by 25 November 2026');
      expect(said).not.toMatch(RULE_ID_IN_TEXT);
    } finally {
      await c.close();
    }
  });
});
