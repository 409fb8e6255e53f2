/**
 * Planting deliberately dirty rows into a file's clean rows, and counting exactly what was planted so
 * the pipeline's manifests can be checked against it.
 */
import type { Rng } from './random';

/**
 * The kinds of dirty rows the demo plants. Every kind but `duplicate` breaks at least one contract rule
 * for certain, so the row is quarantined; a `duplicate` is an exact later copy of a valid row, so the
 * pipeline drops the earlier copy and counts it as a duplicate.
 */
export type DirtyKind =
  | 'null_key'
  | 'negative_amount'
  | 'unknown_channel'
  | 'bad_date'
  | 'bad_quantity'
  | 'bad_discount'
  | 'bad_segment'
  | 'unknown_type'
  | 'duplicate';

/** A quarantined kind: everything but duplicates. */
export type SpoiledKind = Exclude<DirtyKind, 'duplicate'>;

/** Returns a copy of a clean row that breaks one rule (the kind it is registered under). */
export type Spoiler<R> = (row: R, rng: Rng) => R;

/** What a correct pipeline must report for a file. */
export interface ExpectedCounts {
  readonly rows: number;
  readonly valid: number;
  readonly quarantined: number;
  readonly duplicates: number;
  readonly rejected?: boolean;
}

/** Dirty rows planted in one file, per kind. */
export type PlantedCounts = Readonly<Partial<Record<DirtyKind, number>>>;

export interface PlantedRows<R> {
  /** The file's rows in order: clean, spoiled and duplicated. */
  readonly rows: readonly R[];
  readonly expected: ExpectedCounts;
  readonly planted: PlantedCounts;
}

/**
 * Spoils some of `clean` and adds exact duplicates. For each kind in `spoilers` (and for duplicates) about
 * `share` of the rows (between 0.75 and 1.25 times it, so files differ) is planted. Every planted row is
 * a different clean row, so no row is dirty twice and a duplicate always copies a row that stays valid.
 * The clean rows' keys must be unique, and spoilers must keep the key unique (or remove it).
 */
export function plantDirtyRows<R>(
  clean: readonly R[],
  spoilers: Readonly<Partial<Record<SpoiledKind, Spoiler<R>>>>,
  share: number,
  rng: Rng,
): PlantedRows<R> {
  const n = clean.length;
  const rows = [...clean];
  // Walking one permutation hands every planted kind rows nobody else touched.
  const untouched = rng.permutation(n);
  let next = 0;
  const take = (): number | undefined => (next < untouched.length ? untouched[next++] : undefined);
  const plantedCount = (): number => Math.round(n * share * (0.75 + 0.5 * rng.next()));

  const planted: Partial<Record<DirtyKind, number>> = {};
  let quarantined = 0;
  for (const [kind, spoil] of Object.entries(spoilers) as [SpoiledKind, Spoiler<R>][]) {
    let count = 0;
    for (let wanted = plantedCount(); count < wanted; count++) {
      const at = take();
      if (at === undefined) break;
      rows[at] = spoil(rows[at]!, rng);
    }
    planted[kind] = count;
    quarantined += count;
  }

  // A copy goes after its original, so the kept (last) copy is the same valid row.
  const copiesAfter = new Map<number, R[]>();
  let duplicates = 0;
  for (let wanted = plantedCount(); duplicates < wanted; duplicates++) {
    const original = take();
    if (original === undefined) break;
    const after = rng.int(original, n - 1);
    copiesAfter.set(after, [...(copiesAfter.get(after) ?? []), rows[original]!]);
  }
  planted.duplicate = duplicates;

  const withCopies: R[] = [];
  rows.forEach((row, i) => {
    withCopies.push(row, ...(copiesAfter.get(i) ?? []));
  });
  return {
    rows: withCopies,
    planted,
    expected: { rows: n + duplicates, valid: n - quarantined, quarantined, duplicates, rejected: false },
  };
}
