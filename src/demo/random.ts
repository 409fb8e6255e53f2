/**
 * A small seeded pseudo-random generator for the demo data. Math.random() cannot be seeded, and the
 * demo must write byte-identical files for the same options on every run and machine.
 */

/** A mix of named outcomes and their relative weights, e.g. `{ success: 87, failed: 10, pending: 3 }`. */
export type Mix<K extends string> = Readonly<Record<K, number>>;

/** Mixes split into outcomes and weights once: `weighted` is called for every generated value. */
const splitMixes = new WeakMap<object, { outcomes: string[]; weights: number[] }>();

/**
 * sfc32 (Small Fast Counting, from PractRand): 128 bits of state, passes BigCrush, and is a handful of
 * 32-bit integer operations per number, so generating the default demo stays far below a second.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  /**
   * @param seed the user's seed
   * @param stream a name for an independent sequence, so that e.g. changing the number of
   * transactions per day does not change the customers
   */
  constructor(seed: number, stream = '') {
    // Mix seed and stream name into the state with splitmix32, then discard the first outputs as the
    // sfc32 authors recommend.
    let h = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x01000193) >>> 0;
    const splitmix = (): number => {
      h = (h + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One outcome of a weighted mix. */
  weighted<K extends string>(mix: Mix<K>): K {
    let split = splitMixes.get(mix);
    if (!split) {
      split = { outcomes: Object.keys(mix), weights: Object.values(mix) };
      splitMixes.set(mix, split);
    }
    return split.outcomes[this.weightedIndex(split.weights)] as K;
  }

  /** An index into `weights`, each drawn in proportion to its weight. */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const weight of weights) total += weight;
    let at = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      at -= weights[i]!;
      if (at < 0) return i;
    }
    return weights.length - 1;
  }

  /** A standard normal number (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    const u = 1 - this.next();
    const v = this.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** A log-normal number with the given median and spread (sigma of the underlying normal). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** The numbers 0..n-1 in random order (Fisher-Yates). */
  permutation(n: number): number[] {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}

/**
 * Draws indexes in proportion to fixed weights in O(log n) per draw (binary search over cumulative
 * weights): used to pick among hundreds of customers thousands of times.
 */
export function weightedPicker(weights: readonly number[]): (rng: Rng) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const weight of weights) {
    total += weight;
    cumulative.push(total);
  }
  return (rng) => {
    const at = rng.next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! > at) high = middle;
      else low = middle + 1;
    }
    return low;
  };
}
