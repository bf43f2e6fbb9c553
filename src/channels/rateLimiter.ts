import type { Request } from 'restify';

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimiter {
  take(key: string): Admission;
}

/**
 * A token bucket per key: `perMinute` requests a minute, the first ones at once. Keys are forgotten once their bucket
 * is full again, and there are never more than `maxKeys` (the oldest go first), so a flood of addresses costs bounded memory.
 */
export function createRateLimiter(perMinute: number, options: { now?: () => number; maxKeys?: number } = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 50_000;
  const refillPerMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();

  return {
    take(key) {
      const time = now();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: time };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (time - bucket.at) * refillPerMs);
      bucket.at = time;
      buckets.delete(key); // re-inserted last: the Map's order is then "least recently used first"
      if (bucket.tokens < 1) {
        buckets.set(key, bucket);
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000)) };
      }
      bucket.tokens -= 1;
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      return { ok: true };
    },
  };
}

/** Who is asking: the socket's address, or behind a trusted reverse proxy the first X-Forwarded-For address. */
export function clientAddress(req: Request, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string' && forwarded.trim()) return forwarded.split(',')[0].trim();
  return req.socket?.remoteAddress ?? 'unknown';
}
