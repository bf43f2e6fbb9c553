import type { StoreItems } from 'botbuilder';
import { withoutETag } from './stateStore';

/**
 * A turn's state as JSON, made once where it was made three times: the state tracker (changeTrackedState.ts) compares
 * the state's JSON before and after the turn, and the store writes that same JSON. Each text is kept against the very
 * object it is the JSON of, for the one use it was made for, and taken away by it:
 * - as read: the text a store opened the item from — the tracker's "before", without writing the item out again;
 * - to write: the text the tracker just made of an item it hands to the store at once, which the store seals.
 */
const asRead = new WeakMap<object, string>();
const toWrite = new WeakMap<object, string>();

export function readFromJson(item: object, json: string): void {
  asRead.set(item, json);
}

/** The JSON the item was read from (once), else undefined — the item may since have changed for all a later reader knows. */
export function takeJsonAsRead(item: object): string | undefined {
  const json = asRead.get(item);
  asRead.delete(item);
  return json;
}

/** Hands the store `json` for `item`: called right before the write, with nothing in between that could change the item. */
export function writeWithJson(item: object, json: string): void {
  toWrite.set(item, json);
}

/** The JSON a store writes for an item (its eTag left out): what the tracker handed over for it, else made now. */
export function jsonToWrite(item: StoreItems[string]): string {
  if (item !== null && typeof item === 'object') {
    const json = toWrite.get(item);
    if (json !== undefined) {
      toWrite.delete(item);
      return json;
    }
  }
  return withoutETag(item);
}
