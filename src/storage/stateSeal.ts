import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomFillSync } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { expandJson, shortenJson } from './stateDictionary';
import { readFromJson } from './stateJson';

/**
 * Conversation state encrypted at rest. While a caller is half-way through verification, their state holds the answers
 * given so far (user ID, phone, name, address) until the check, a sweep or the end of the conversation; a copy of the
 * database, a backup or a look at the state table must not show them. Each stored document is shortened, then
 * encrypted and authenticated (AES-256-GCM) under a key of its format, with its own store key as associated data, so
 * a document moved to another conversation's row, or relabelled as another format, does not open.
 *
 * The stored form is JSON, `{"sealed":"<format>.<base64url>"}`, so both databases keep their column types. Format 2
 * is shortened by the state dictionary (stateDictionary), format 1 (written before it, and still for a document the
 * dictionary cannot take) by deflate; both are read. A document stored before sealing (plain JSON) is still read, and
 * sealed on its next write.
 */
export interface StateSeal {
  seal(storeKey: string, json: string): string;
  /** The document's JSON as it was sealed (or as stored, from before sealing), or undefined when it does not open. */
  openJson(storeKey: string, stored: string): string | undefined;
  /** The document, or undefined when it is sealed but does not open (another key, changed bytes, another row's). */
  open(storeKey: string, stored: string | Record<string, unknown>): Record<string, unknown> | undefined;
  /** Forgets what it remembers of a deleted document, or (no key: after a sweep) of every document. */
  forget(storeKey?: string): void;
}

/** Deflated (the first format, and a document holding a control character). */
const DEFLATED = '1.';
/** Shortened by the state dictionary: smaller than deflated, in a quarter of the time. */
const SHORTENED = '2.';
const PREFIX = '{"sealed":"';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * A state document is a kilobyte or two: a 1 KB window compresses it as well as the default 32 KB does, and each call's
 * compressor is made in some 10 KB instead of 256 KB (half the time). Inflating takes any window, so this may change.
 */
const SMALL_DOCUMENT = { windowBits: 10, memLevel: 4 };

/** A key given by the operator (STATE_ENCRYPTION_KEY): 32 bytes, as base64 or hex. */
export function parseStateKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  // Exactly 32 bytes of base64 (or base64url): Node's decoder would skip stray characters and take a mistyped key.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  return undefined;
}

export function newStateKey(): Buffer {
  return randomBytes(32);
}

/**
 * A fresh random IV for each seal, taken from a pool filled a hundred at a time: a call for twelve random bytes costs
 * more than the encryption itself, every turn.
 */
const ivPool = Buffer.alloc(IV_BYTES * 100);
let ivAt = ivPool.length;
function nextIv(): Buffer {
  if (ivAt >= ivPool.length) {
    randomFillSync(ivPool);
    ivAt = 0;
  }
  ivAt += IV_BYTES;
  return Buffer.from(ivPool.subarray(ivAt - IV_BYTES, ivAt));
}

/**
 * How many documents a seal remembers, as sealed text and JSON, by store key: most reads are of what this process itself
 * sealed or opened a turn before, and text identical to it needs no decrypting and inflating (a fifth of what reading
 * and sealing state cost). A fixed bound, not one per conversation: a few megabytes at most, in memory only; a deleted
 * document is forgotten with it, and a sweep of idle conversations forgets them all.
 */
const RECENT_DOCUMENTS = 1000;

export function createStateSeal(secret: Buffer): StateSeal {
  // Keys of their own, derived: the secret could one day serve something else too without the two meeting. One per
  // format, so that bytes sealed in one format never open as the other (the format is in the text, unauthenticated).
  const derived = (info: string) => Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
  const keys = new Map([
    [DEFLATED, derived('conversation-state-v1')],
    [SHORTENED, derived('conversation-state-v2')],
  ]);
  const recent = new Map<string, { stored: string; json: string }>();
  const remember = (storeKey: string, stored: string, json: string) => {
    recent.delete(storeKey);
    recent.set(storeKey, { stored, json });
    if (recent.size > RECENT_DOCUMENTS) recent.delete(recent.keys().next().value!);
  };
  return {
    seal(storeKey, json) {
      const iv = nextIv();
      const short = shortenJson(json);
      const format = short === undefined ? DEFLATED : SHORTENED;
      const cipher = createCipheriv('aes-256-gcm', keys.get(format)!, iv);
      cipher.setAAD(Buffer.from(storeKey, 'utf8'));
      const plain = short === undefined ? deflateRawSync(json, SMALL_DOCUMENT) : Buffer.from(short, 'utf8');
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      const stored = `${PREFIX}${format}${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}"}`;
      remember(storeKey, stored, json);
      return stored;
    },
    openJson(storeKey, stored) {
      // The very text sealed or opened here for this key (another row's, or changed bytes, never compare equal).
      const known = recent.get(storeKey);
      if (known?.stored === stored) return known.json;
      const sealed = sealedPart(stored);
      if (sealed === undefined) return stored;
      const format = sealed.slice(0, DEFLATED.length);
      const formatKey = keys.get(format);
      if (formatKey === undefined) return undefined; // a format this version does not know
      const raw = Buffer.from(sealed.slice(format.length), 'base64url');
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
      let json: string | undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', formatKey, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(storeKey, 'utf8'));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
        json = format === DEFLATED ? inflateRawSync(plain).toString('utf8') : expandJson(plain.toString('utf8'));
      } catch {
        return undefined;
      }
      if (json === undefined) return undefined;
      remember(storeKey, stored, json);
      return json;
    },
    forget(storeKey) {
      // A deleted conversation's answers must not outlive it in memory either.
      if (storeKey === undefined) recent.clear();
      else recent.delete(storeKey);
    },
    open(storeKey, stored) {
      if (typeof stored !== 'string') {
        const sealed = sealedPart(stored);
        return sealed === undefined ? stored : this.open(storeKey, `${PREFIX}${sealed}"}`);
      }
      const json = this.openJson(storeKey, stored);
      try {
        return json === undefined ? undefined : (JSON.parse(json) as Record<string, unknown>);
      } catch {
        return undefined;
      }
    },
  };
}

/** The sealed text of a stored document, or undefined for a document stored in the clear (from before sealing). */
function sealedPart(stored: string | Record<string, unknown>): string | undefined {
  // base64url and the version need no escaping in JSON: the sealed text is what stands between the quotes.
  if (typeof stored === 'string') return stored.startsWith(PREFIX) && stored.endsWith('"}') ? stored.slice(PREFIX.length, -2) : undefined;
  const keys = Object.keys(stored);
  return keys.length === 1 && typeof stored.sealed === 'string' ? stored.sealed : undefined;
}

/** How a store seals: with this key (else the store's own default key) and whom to tell of a document that won't open. */
export interface StateSealing {
  key?: Buffer;
  /** A sealed document that does not open is read as empty (the conversation starts afresh); this hears of it. */
  onUnreadable?: (storeKey: string) => void;
}

/**
 * The stored document as the store hands it out, with its eTag. One that does not open (the key was changed or lost)
 * is an empty item that still carries its eTag: the next write replaces it — a ledger's "only if absent" write would
 * otherwise find the row there on every try, for ever.
 */
export function openStored(seal: StateSeal, sealing: StateSealing, storeKey: string, stored: string | Record<string, unknown>, eTag: string): Record<string, unknown> {
  let doc: Record<string, unknown> | undefined;
  if (typeof stored === 'string') {
    const json = seal.openJson(storeKey, stored);
    doc = json === undefined ? undefined : parsedObject(json);
    // What it was read from: the turn's "before" for the state tracker, without writing it out again.
    if (doc && json !== undefined) readFromJson(doc, json);
  } else {
    doc = seal.open(storeKey, stored);
  }
  if (!doc) {
    sealing.onUnreadable?.(storeKey);
    return { eTag };
  }
  doc.eTag = eTag;
  return doc;
}

/** A stored document's JSON as an object; anything else (a value, malformed text) as none. */
function parsedObject(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
