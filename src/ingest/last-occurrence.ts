/**
 * Finds, in one streaming pass over a file's keys, which rows a later row with the same primary key
 * supersedes ("duplicates inside one file: keep the last").
 *
 * An exact map of every key would grow with the file. Instead a Bloom filter remembers which keys were
 * probably seen; only keys it flags (real repeats plus a small share of false positives) are kept
 * exactly, with the line of their latest occurrence. A false positive only adds a key whose single
 * occurrence is its own last one, so the answer stays exact; memory stays bounded by the filter plus the
 * number of repeated keys.
 *
 * The filter is sized for the expected number of keys (up to 8 MiB, 4M keys). A file with more keys
 * than that does not overfill it, which would flag a growing share of keys and fill the exact map:
 * each time the newest layer holds as many keys as it was sized for, a layer twice its size is added
 * (a scalable Bloom filter), about 2 bytes of typed array per further key.
 */
/** What an index answers from once every line was observed (`held`), to hand to another thread. */
export interface HeldKeys {
  readonly lastLine: ReadonlyMap<string, number>;
  readonly trackedHashes: Uint32Array;
}

export class LastOccurrenceIndex {
  /** Filter layers, oldest first; keys are added to the last one. */
  private readonly layers: FilterLayer[] = [];
  /** Keys added to the newest layer. */
  private added = 0;
  private readonly lastLine = new Map<string, number>();
  /**
   * A bit per value of the low 16 bits of a key's hash, set for every key in `lastLine`: lets a caller
   * rule out most keys without building the key string `isSuperseded` looks up (see `mayTrack`).
   */
  private readonly trackedHashes = new Uint32Array(TRACKED_HASH_BITS >>> 5);
  /** Scratch for `observeRange(s)`: two hashes per key. */
  private hashes = new Int32Array(2);
  /** What `observeRanges` read ahead (unused but for keeping those reads). */
  private touched = 0;

  /**
   * @param expectedKeys rough number of keys (e.g. from the file size); sizes the first filter layer at
   *   ~16 bits a key, between 64 KiB and 8 MiB.
   */
  constructor(expectedKeys: number) {
    this.layers.push(filterLayer(Math.min(Math.max(expectedKeys * 16, 1 << 19), 1 << 26)));
  }

  /**
   * Records that `key` occurs at `line` (lines must be observed in increasing order).
   *
   * Each layer is a blocked Bloom filter: the seven bits of a key lie in one 512-bit block (one cache
   * line), chosen by the first hash. A layer is megabytes large, so seven bits spread over it cost seven
   * cache misses per key; one block costs one, for a slightly higher false-positive rate (which only
   * adds exact map entries, never changes an answer).
   */
  observe(key: string, line: number): void {
    this.observeRange(key, 0, key.length, line);
  }

  /**
   * `observe` for the key `text[from, to)`: the key is cut out of the text only when the filter has
   * probably seen it before, so a pass over keys that are all distinct allocates nothing per key.
   */
  observeRange(text: string, from: number, to: number, line: number): void {
    this.newestLayer();
    const hashes = this.hashes;
    hashInto(hashes, 0, text, from, to);
    this.observeHashed(text, from, to, line, hashes[0]!, hashes[1]!);
  }

  /**
   * `observeRange` for `count` keys in a row, in line order: key `k` is `text[from[k], to[k])` at line
   * `lines[k]`. The filter block of every key is read first, in a loop of its own without branches, so
   * that their cache misses overlap: a filter of megabytes costs a miss per key, which was half of the
   * key pass (1M keys in a 4 MB filter: about 190 ms one at a time, 120 ms in batches; `npm run
   * bench:key-pass`).
   */
  observeRanges(
    text: string,
    from: Int32Array,
    to: Int32Array,
    lines: ArrayLike<number>,
    count: number,
  ): void {
    if (this.hashes.length < 2 * count) this.hashes = new Int32Array(2 * count);
    const hashes = this.hashes;
    const newest = this.newestLayer();
    const { bits, blockMask } = newest;
    let touched = 0;
    for (let k = 0; k < count; k++) hashInto(hashes, k, text, from[k]!, to[k]!);
    for (let k = 0; k < count; k++) {
      // Both ends: the typed array's memory is aligned to 16 bytes, not 64, so a block may span two
      // cache lines.
      const block = blockOf(hashes[2 * k]!, blockMask);
      touched |= bits[block]! | bits[block + 15]!;
    }
    // Kept, so that the reads above are not optimised away.
    this.touched ^= touched;
    for (let k = 0; k < count; k++) {
      this.observeHashed(text, from[k]!, to[k]!, lines[k]!, hashes[2 * k]!, hashes[2 * k + 1]!);
    }
  }

  private newestLayer(): FilterLayer {
    const newest = this.layers[this.layers.length - 1];
    if (newest === undefined) throw new Error('LastOccurrenceIndex: a key observed after endObserving()');
    return newest;
  }

  private observeHashed(text: string, from: number, to: number, line: number, h1: number, h2: number) {
    const layers = this.layers;
    const newest = layers.length - 1;
    let seen = false;
    for (let l = 0; l < newest && !seen; l++) seen = probe(layers[l]!, h1, h2, false);
    if (!seen && !probe(layers[newest]!, h1, h2, true)) {
      const layer = layers[newest]!;
      if (++this.added > layer.capacity) {
        layers.push(filterLayer(Math.min(layer.bits.length * 64, MAX_LAYER_BITS)));
        this.added = 0;
      }
      return;
    }
    this.lastLine.set(text.slice(from, to), line);
    const bit = trackedHashBit(h1);
    this.trackedHashes[bit >>> 5]! |= 1 << (bit & 31);
  }

  /**
   * Drops the filter, keeping what `mayTrack` and `isSuperseded` answer from: called when every line was
   * observed, so that the filter's megabytes are not held while the rows are processed.
   */
  endObserving(): void {
    this.layers.length = 0;
  }

  /**
   * What the index answers from, after `endObserving`: the keys held exactly and their hash bits. A
   * worker thread of a split ingest gets them by structured clone (`fromHeld`).
   */
  held(): HeldKeys {
    if (this.layers.length > 0) throw new Error('held() is for an index whose observing has ended');
    return { lastLine: this.lastLine, trackedHashes: this.trackedHashes };
  }

  /** An index answering as the one `held` came from; it observes nothing more. */
  static fromHeld(held: HeldKeys): LastOccurrenceIndex {
    const index = new LastOccurrenceIndex(0);
    index.endObserving();
    for (const [key, line] of held.lastLine) index.lastLine.set(key, line);
    index.trackedHashes.set(held.trackedHashes);
    return index;
  }

  /**
   * False when `key` is surely not held exactly, so `isSuperseded(key, line)` is false for every line;
   * true when it may be. Costs a hash of the key, much less than building the key and looking it up.
   */
  mayTrack(key: string): boolean {
    if (this.lastLine.size === 0) return false;
    let h1 = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h1 = Math.imul(h1 ^ key.charCodeAt(i), 0x01000193);
    const bit = trackedHashBit(h1);
    return (this.trackedHashes[bit >>> 5]! & (1 << (bit & 31))) !== 0;
  }

  /** True when a later row of the file has the same key. */
  isSuperseded(key: string, line: number): boolean {
    const last = this.lastLine.get(key);
    return last !== undefined && last !== line;
  }

  /** Keys held exactly (repeats and filter false positives), for memory figures. */
  get trackedKeys(): number {
    return this.lastLine.size;
  }

  /** Bytes of the filter layers. */
  get filterBytes(): number {
    return this.layers.reduce((sum, layer) => sum + layer.bits.byteLength, 0);
  }
}

/** One layer of the filter: blocks of 16 words (512 bits). */
interface FilterLayer {
  readonly bits: Uint32Array;
  /** Selects the first word of a block from a hash. */
  readonly blockMask: number;
  /** Keys the layer is sized for: 16 bits a key. */
  readonly capacity: number;
}

/** Largest filter layer: 128 MiB, for 64M keys. */
const MAX_LAYER_BITS = 2 ** 30;

function filterLayer(wantedBits: number): FilterLayer {
  const words = 2 ** Math.ceil(Math.log2(wantedBits / 32));
  return { bits: new Uint32Array(words), blockMask: (words - 1) & ~15, capacity: words * 2 };
}

/**
 * True when the seven bits of the key hashed to `h1`, `h2` are all set in `layer`; with `set`, sets
 * them too.
 */
function probe(layer: FilterLayer, h1: number, h2: number, set: boolean): boolean {
  const bits = layer.bits;
  const block = blockOf(h1, layer.blockMask);
  // Without a branch per bit: whether a bit of a new key is set is a coin toss, and mispredicted.
  let seen = 1;
  for (let k = 0; k < 7; k++) {
    const bit = (h1 + Math.imul(k, h2)) & 511;
    const word = block + (bit >>> 5);
    seen &= bits[word]! >>> (bit & 31);
    if (set) bits[word]! |= 1 << (bit & 31);
  }
  return (seen & 1) !== 0;
}

/** The two hashes of the key `text[from, to)`, into `hashes[2k]` and `hashes[2k + 1]` (odd). */
function hashInto(hashes: Int32Array, k: number, text: string, from: number, to: number): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x9e3779b9;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  hashes[2 * k] = h1;
  hashes[2 * k + 1] = h2 | 1;
}

/** The first word of the block of the key hashed to `h1`. */
function blockOf(h1: number, blockMask: number): number {
  return (Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b) >>> 0) & blockMask;
}

/** Size of `LastOccurrenceIndex.trackedHashes`: 8 KiB, which rules out nearly every key while few are tracked. */
const TRACKED_HASH_BITS = 1 << 16;

function trackedHashBit(h1: number): number {
  return (h1 ^ (h1 >>> 16)) & (TRACKED_HASH_BITS - 1);
}
