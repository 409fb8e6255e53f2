/**
 * A map from text to a value that can also be looked up by a range of a longer text. The ingest hot path
 * looks CSV cells up by their place in the read chunk: a cell that is in the memo (a channel, a status,
 * a city) gets the value parsed and checked once, shared by every row that has it.
 *
 * Open addressing with linear probing on a hash of the range's characters. A candidate key is compared
 * with the cell cut out as a short-lived string: `===` compares natively, which measured about twice as
 * fast as comparing the characters with `charCodeAt` in a loop (validation as a whole ~10% faster).
 */
export class TextMemo<V> {
  private keys: (string | undefined)[];
  private values: (V | undefined)[];
  private hashes: Int32Array;
  private mask: number;
  private count = 0;
  /**
   * The first `SMALL` keys and values in insertion order: while there are no more, a lookup compares the
   * cell with each key instead of hashing (a channel, a status: most memos stay this small).
   */
  private readonly smallKeys: string[] = [];
  private readonly smallValues: V[] = [];

  constructor(capacity = 64) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(capacity * 2, 8)));
    this.keys = new Array<string | undefined>(slots).fill(undefined);
    this.values = new Array<V | undefined>(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.getRange(key, 0, key.length);
  }

  /** The value of the key equal to `text[from, to)`. */
  getRange(text: string, from: number, to: number): V | undefined {
    const length = to - from;
    if (this.count <= SMALL) {
      const keys = this.smallKeys;
      if (keys.length === 0) return undefined;
      const cell = text.slice(from, to);
      for (let k = 0; k < keys.length; k++) {
        if (keys[k] === cell) return this.smallValues[k];
      }
      return undefined;
    }
    const hash = hashRange(text, from, to);
    const keys = this.keys;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const key = keys[slot];
      if (key === undefined) return undefined;
      if (this.hashes[slot] === hash && key.length === length && text.slice(from, to) === key) {
        return this.values[slot];
      }
    }
  }

  /** Adds or replaces the value of `key`. */
  set(key: string, value: V): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    if (!this.insert(key, value)) {
      const small = this.smallKeys.indexOf(key);
      if (small >= 0) this.smallValues[small] = value;
    } else if (this.count <= SMALL) {
      this.smallKeys.push(key);
      this.smallValues.push(value);
    }
  }

  /** Puts `key` in the hash table; returns false when it replaced the value of a key already there. */
  private insert(key: string, value: V): boolean {
    const hash = hashRange(key, 0, key.length);
    const keys = this.keys;
    let slot = hash & this.mask;
    for (; keys[slot] !== undefined; slot = (slot + 1) & this.mask) {
      if (this.hashes[slot] === hash && keys[slot] === key) {
        this.values[slot] = value;
        return false;
      }
    }
    keys[slot] = key;
    this.values[slot] = value;
    this.hashes[slot] = hash;
    this.count++;
    return true;
  }

  private grow(): void {
    const keys = this.keys;
    const values = this.values;
    const slots = keys.length * 2;
    this.keys = new Array<string | undefined>(slots).fill(undefined);
    this.values = new Array<V | undefined>(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.mask = slots - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key !== undefined) this.insert(key, values[i] as V);
    }
  }
}

/** Keys up to which lookups scan a list instead of hashing. */
const SMALL = 8;

/** FNV-1a over the UTF-16 code units of `text[from, to)`, with a final mix for the low bits. */
export function hashRange(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  return hash ^ (hash >>> 12);
}
