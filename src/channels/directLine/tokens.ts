import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { createJsonClient } from '../../http/jsonClient';
import type { LocalDirectLine } from './localDirectLine';

/** What the widget gets to open a conversation: never the secret, only a token for one conversation. */
export interface WidgetToken {
  token: string;
  conversationId: string;
  userId: string;
  expiresIn: number;
  /** `local`: the bot's own Direct Line endpoint (the widget polls it); `service`: Microsoft's, at `domain`. */
  mode: 'local' | 'service';
  domain?: string;
}

export interface TokenSource {
  issue(): Promise<WidgetToken>;
}

const generatedTokenSchema = z.object({ conversationId: z.string().min(1), token: z.string().min(1), expires_in: z.number().int().positive() });

/**
 * Production: the Direct Line service's `tokens/generate`, paid for with DIRECTLINE_SECRET. The user ID is made here
 * (`dl_…`, the prefix Direct Line trusts), so the browser cannot choose whose conversation it is.
 */
export function directLineServiceTokens(options: { secret: string; endpoint: string; timeoutMs: number }): TokenSource {
  const client = createJsonClient({ baseUrl: options.endpoint, apiKey: options.secret, timeoutMs: options.timeoutMs, retries: 1, backoffMs: 200 });
  return {
    async issue() {
      const userId = `dl_${randomBytes(12).toString('base64url')}`;
      const response = await client.request('POST', '/tokens/generate', { body: { user: { id: userId } }, label: 'POST /tokens/generate' });
      const generated = generatedTokenSchema.parse(response.body);
      return { token: generated.token, conversationId: generated.conversationId, userId, expiresIn: generated.expires_in, mode: 'service', domain: options.endpoint };
    },
  };
}

export function localTokens(service: LocalDirectLine): TokenSource {
  return {
    async issue() {
      const issued = service.issueToken();
      return { token: issued.token, conversationId: issued.conversationId, userId: issued.userId, expiresIn: issued.expires_in, mode: 'local' };
    },
  };
}
