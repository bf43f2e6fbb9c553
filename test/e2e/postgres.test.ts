import { describe, expect, it } from 'vitest';
import { startHttpConversation } from '../support/httpConversation';
import { CASE_IN_TEXT } from '../support/conversation';

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('STORAGE=postgres over HTTP', () => {
  it('keeps the conversation in PostgreSQL through verification and a cancellation', async () => {
    const c = await startHttpConversation('en', 'test', { storage: { kind: 'postgres', url: PG_URL } });
    try {
      await c.verifyFor('cancel', 'anna');
      const said = (await c.say(c.words.endOfTerm, c.words.yes)).join('\n');
      expect(said).toMatch(CASE_IN_TEXT);
    } finally {
      await c.close();
    }
  });
});
