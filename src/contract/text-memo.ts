/**
 * Numbers distinct texts in the order they are added, and finds a text's number by itself or by a range
 * of a longer text. The ingest hot path looks CSV cells up by their place in the read chunk: a cell that
 * is in a column's memo (a channel, a status, a city, a customer id) gets its value parsed and checked
 * once, kept by the caller under the cell's number and shared by every row that has it.
 *
 * Open addressing with linear probing on a hash of the range's characters. A slot is two numbers in one
 * typed array, the hash and the text's number, so a probe reads one cache line; the texts lie in a dense
 * array by number, as do the caller's values. Keeping a key, its value and their hash in three sparse
 * arrays of slots and the value in an object of its own cost four to five cache misses per lookup in a
 * memo of 5,000 customer ids (the hottest lines of validation). A candidate key is compared with the cell
 * cut out as a short-lived string: `===` compares natively, which measured about twice as fast as
 * comparing the characters with `charCodeAt` in a loop (validation as a whole ~10% faster).
 */
export class TextMemo {
  /** The texts, by number. */
  private readonly keys: string[] = [];
  /** Per slot: the hash of its text, then its number plus one (0: an empty slot). */
  private slots: Int32Array;
  private mask: number;

  constructor(capacity = 64) {
    const slots = 2 ** Math.ceil(Math.log2(Math.max(capacity * 2, 8)));
    this.slots = new Int32Array(2 * slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The number of `key`, or -1. */
  indexOf(key: string): number {
    return this.indexOfRange(key, 0, key.length);
  }

  /** The number of the text equal to `text[from, to)`, or -1. */
  indexOfRange(text: string, from: number, to: number): number {
    const keys = this.keys;
    if (keys.length <= SMALL) {
      if (keys.length === 0) return -1;
      const cell = text.slice(from, to);
      for (let k = 0; k < keys.length; k++) {
        if (keys[k] === cell) return k;
      }
      return -1;
    }
    const length = to - from;
    const hash = hashRange(text, from, to);
    const slots = this.slots;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = slots[2 * slot + 1]!;
      if (entry === 0) return -1;
      if (slots[2 * slot] === hash) {
        const key = keys[entry - 1]!;
        if (key.length === length && text.slice(from, to) === key) return entry - 1;
      }
    }
  }

  /** The number of `key`, which is given the next number if it is new. */
  add(key: string): number {
    const hash = hashRange(key, 0, key.length);
    const slots = this.slots;
    let slot = hash & this.mask;
    for (; slots[2 * slot + 1] !== 0; slot = (slot + 1) & this.mask) {
      const entry = slots[2 * slot + 1]!;
      if (slots[2 * slot] === hash && this.keys[entry - 1] === key) return entry - 1;
    }
    const index = this.keys.length;
    this.keys.push(key);
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = index + 1;
    if (this.keys.length * 2 > this.mask + 1) this.grow();
    return index;
  }

  private grow(): void {
    const slotCount = 2 * (this.mask + 1);
    const slots = new Int32Array(2 * slotCount);
    const mask = slotCount - 1;
    for (let index = 0; index < this.keys.length; index++) {
      const key = this.keys[index]!;
      const hash = hashRange(key, 0, key.length);
      let slot = hash & mask;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = hash;
      slots[2 * slot + 1] = index + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** Texts up to which lookups compare the cell with each instead of hashing. */
const SMALL = 8;

/** FNV-1a over the UTF-16 code units of `text[from, to)`, with a final mix for the low bits. */
export function hashRange(text: string, from: number, to: number): number {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  return hash ^ (hash >>> 12);
}
