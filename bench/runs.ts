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
