/** Shapes shared by the demo's dataset generators. */
import type { ColumnSpec, DatasetContract } from '../contract/types';
import { dayToIso } from '../ingest/lake-layout';
import type { Customer } from './customers';
import type { ExpectedCounts, PlantedCounts } from './dirty';

/** One generated landing file and what a correct pipeline must report for it. */
export interface DemoFile {
  /** Landing key, e.g. 'landing/transactions/2024-06-01.csv' or 'landing/sales/orders-2024-06-01.ndjson.gz'. */
  readonly key: string;
  /** Dataset folder of the key (`landing/<dataset>/...`); `wire_transfers` has no contract. */
  readonly dataset: string;
  /** The file bytes (gzipped where the key ends in .gz). */
  readonly body: Uint8Array;
  /** What a correct pipeline must report for this file (planted counts). */
  readonly expected: ExpectedCounts;
  /** Dirty rows planted, per kind (empty for rejected files). */
  readonly planted: PlantedCounts;
  /** What the file exercises, for people: 'semicolon-delimited CSV', 'gzipped NDJSON', ... */
  readonly style: string;
}

/** Everything a dataset generator needs, resolved from the user's options. */
export interface DemoPlan {
  readonly seed: number;
  /** Day number (days since 1970-01-01, UTC) of the first day. */
  readonly firstDay: number;
  readonly days: number;
  readonly transactionsPerDay: number;
  readonly ordersPerDay: number;
  readonly dirtyShare: number;
  readonly customers: readonly Customer[];
}

export const DAY_MS = 86_400_000;

/** `2024-06-01T08:15:32Z`: ISO 8601 in UTC, seconds precision. */
export function isoTimestamp(millis: number): string {
  const day = Math.floor(millis / DAY_MS);
  return `${dayToIso(day)}T${clockTime(millis - day * DAY_MS)}Z`;
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `08:15:32` for milliseconds since midnight; written by hand because it runs for every row. */
export function clockTime(millisOfDay: number): string {
  const seconds = Math.floor(millisOfDay / 1000);
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`;
}

/** `20240601`, for ids. */
export function compactDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
}

/** Weekday of a day number, Sunday = 0 (1970-01-01 was a Thursday). */
export function weekday(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

/**
 * The name a file uses for a contract column: the canonical name, or one of its declared aliases
 * (`aliasIndex`, clamped to the last alias), so the demo's headers always come from the contract.
 */
export function sourceName(
  contract: DatasetContract,
  column: string,
  aliasIndex: number | undefined,
): string {
  const spec: ColumnSpec | undefined = contract.columns.find((c) => c.name === column);
  if (!spec) throw new Error(`dataset ${contract.name} has no column ${column}`);
  const aliases = (spec.aliases ?? []).filter((alias) => !alias.includes('.'));
  if (aliasIndex === undefined || aliases.length === 0) return spec.name;
  return aliases[Math.min(aliasIndex, aliases.length - 1)]!;
}

/** `premium` -> `Premium`. */
export function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
