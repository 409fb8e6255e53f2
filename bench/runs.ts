/** What the benchmarks keep of one measured run. */
export interface MeasuredRun {
  readonly seconds: number;
  readonly peakRssMb: number;
}

/** The run with the median time, with the highest peak RSS of all runs. */
export function median<T extends MeasuredRun>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)]!,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
  };
}

/** The value of a `--runs`-like option: a positive whole number, or a clear refusal. */
export function runCount(value: string | undefined, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${option} must be a positive whole number, got '${value}'`);
  return n;
}

/** The options both ingest benches take: the two file sizes and the runs of the smaller one. */
export const INGEST_BENCH_OPTIONS = {
  rows: { type: 'string', default: '1000000' },
  big: { type: 'string', default: '4000000' },
  runs: { type: 'string', default: '5' },
} as const;
