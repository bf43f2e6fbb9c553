import { describe, it } from 'vitest';
import { BRANCHES, checkBranch } from '../support/branches';
import { CASE_IN_TEXT, startConversation } from '../support/conversation';

describe.each(['sv', 'en'] as const)('account flows in %s (TestAdapter)', (language) => {
  it.each(BRANCHES.map((b) => [b.name, b] as const))('%s', async (_name, branch) => {
    const c = await startConversation({ language });
    try {
      await checkBranch(c, branch, language, CASE_IN_TEXT);
    } finally {
      await c.close();
    }
  });
});
