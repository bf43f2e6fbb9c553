import { describe, it } from 'vitest';
import { BRANCHES, checkBranch } from '../support/branches';
import { CASE_IN_TEXT } from '../support/conversation';
import { startHttpConversation } from '../support/httpConversation';

/** The same branches as test/flows, over real HTTP in Web Chat (cards and all), in both languages. */
describe.each(['sv', 'en'] as const)('account flows in %s over HTTP', (language) => {
  it.each(BRANCHES.map((b) => [b.name, b] as const))('%s', async (_name, branch) => {
    const c = await startHttpConversation(language);
    try {
      await checkBranch(c, branch, language, CASE_IN_TEXT);
    } finally {
      await c.close();
    }
  });
});
