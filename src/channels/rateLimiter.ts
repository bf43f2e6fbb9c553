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

/**
 * Who is asking, for the rate limit: the socket's address, or behind a trusted reverse proxy the address that proxy saw
 * (the last X-Forwarded-For entry: the ones before it are whatever the client wrote). An IPv6 client counts by its /64,
 * the block one subscriber gets, so new addresses from it are not new clients.
 */
export function clientAddress(req: Request, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  const seen = trustProxy && typeof forwarded === 'string' && forwarded.trim() ? (forwarded.split(',').at(-1) as string).trim() : req.socket?.remoteAddress;
  return clientKey(seen ?? 'unknown');
}

export function clientKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (!plain.includes(':')) return plain;
  const [head, tail = ''] = plain.toLowerCase().split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const groups = plain.includes('::') ? [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back] : front;
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
