import { z } from 'zod';
import { createJsonClient, UpstreamError, type JsonClientOptions } from '../http/jsonClient';
import type { VerificationAnswers } from '../verification/answers';
import { normaliseUserId } from '../verification/normalise';
import { accountSchema, directoryEntrySchema, type Account } from './account';
import { DirectoryUnavailableError, judgeAnswers, type AccountDirectory } from './directory';

/**
 * The customer's CRM/billing REST API as the account directory:
 *   GET /users/{userId}     → 200 DirectoryEntry | 404
 *   GET /accounts/{id}      → 200 Account | 404
 * The bot fetches the record and compares the answers itself (judgeAnswers), so the comparison rules are the same
 * whichever directory is configured. Anything but a valid answer is DirectoryUnavailableError.
 */
export function createHttpDirectory(options: JsonClientOptions): AccountDirectory {
  const client = createJsonClient(options);

  async function fetchOrMissing<T>(path: string, label: string, schema: z.ZodType<T>): Promise<T | undefined> {
    try {
      const response = await client.request('GET', path, { accept: [404], label });
      if (response.status === 404) return undefined;
      const parsed = schema.safeParse(response.body);
      if (!parsed.success) throw new DirectoryUnavailableError(`accounts API: unexpected response to ${label}`, { cause: parsed.error });
      return parsed.data;
    } catch (error) {
      if (error instanceof UpstreamError) throw new DirectoryUnavailableError(`accounts API: ${error.failure}`, { cause: error });
      throw error;
    }
  }

  return {
    async verify(answers: VerificationAnswers) {
      const entry = await fetchOrMissing(`/users/${encodeURIComponent(normaliseUserId(answers.userId))}`, 'GET /users/{userId}', directoryEntrySchema);
      return judgeAnswers(answers, entry);
    },
    async findAccount(accountId: string): Promise<Account | undefined> {
      return fetchOrMissing(`/accounts/${encodeURIComponent(accountId)}`, 'GET /accounts/{id}', accountSchema);
    },
    async close() {
      // Nothing pooled to release: fetch keeps no state we own.
    },
  };
}
