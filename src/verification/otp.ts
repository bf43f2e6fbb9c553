import { createHash, randomInt, randomBytes, timingSafeEqual } from 'node:crypto';
import { createJsonClient, UpstreamError, type JsonClientOptions } from '../http/jsonClient';
import type { Logger } from '../log';

/** Sends the one-time code of the fast-revoke step-up check to the phone number on the account. */
export interface OtpSender {
  send(phoneE164: string, text: string): Promise<void>;
}

export class OtpDeliveryError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OtpDeliveryError';
  }
}

/** Development: the SMS goes to the server log (phone masked), so the code can be read off the console. */
export function createLogOtpSender(logger: Logger): OtpSender {
  return {
    async send(phoneE164, text) {
      logger.info('otp.development-sms', { to: phoneE164, text });
    },
  };
}

/** An SMS gateway: POST /messages { to, text } → 2xx. */
export function createHttpOtpSender(options: JsonClientOptions): OtpSender {
  const client = createJsonClient(options);
  return {
    async send(to, text) {
      try {
        await client.request('POST', '/messages', { body: { to, text }, label: 'POST /messages' });
      } catch (error) {
        if (error instanceof UpstreamError) throw new OtpDeliveryError(`SMS gateway: ${error.failure}`, { cause: error });
        throw error;
      }
    },
  };
}

/** What the conversation keeps of a code: a salted hash and when it expires, never the code itself. */
export interface IssuedCode {
  hash: string;
  salt: string;
  expiresAt: string;
}

export function issueCode(now: Date, ttlMinutes: number): { code: string; issued: IssuedCode } {
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const salt = randomBytes(16).toString('hex');
  return { code, issued: { hash: hashCode(code, salt), salt, expiresAt: new Date(now.getTime() + ttlMinutes * 60_000).toISOString() } };
}

export function codeMatches(issued: IssuedCode, typed: string, now: Date): boolean {
  if (now.getTime() > Date.parse(issued.expiresAt)) return false;
  const digits = typed.replace(/\D/g, '');
  if (digits.length !== 6) return false;
  return timingSafeEqual(Buffer.from(hashCode(digits, issued.salt), 'hex'), Buffer.from(issued.hash, 'hex'));
}

function hashCode(code: string, salt: string): string {
  return createHash('sha256').update(`${salt}:${code}`).digest('hex');
}
