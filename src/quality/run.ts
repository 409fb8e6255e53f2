import { performance } from 'node:perf_hooks';
import type { QueryEngine, SqlValue } from '../engine/query-engine';
import { type CompileOptions, compileDataTest } from './compile';
import type { DataTest, DataTestSeverity } from './declarations';

/** `pass`: no failing row; `fail`: failing rows at error severity; `warn`: at warn severity; `error`: the query failed. */
export type DataTestStatus = 'pass' | 'fail' | 'warn' | 'error';

export interface DataTestResult {
  readonly name: string;
  readonly model: string;
  readonly target: string;
  readonly severity: DataTestSeverity;
  readonly status: DataTestStatus;
  /** Rows the test's SQL returned (0 when it passed). */
  readonly failingCount: number;
  /** Up to `sampleSize` of them. */
  readonly failingRows: readonly Record<string, SqlValue>[];
  /** The SQL that ran: paste it into `ledgerlake query` (or Athena) to see every failing row. */
  readonly sql: string;
  /** Why the query failed (status `error`). */
  readonly message?: string;
  readonly ms: number;
}

export interface RunOptions extends CompileOptions {
  /** Failing rows kept per test. @default 5 */
  readonly sampleSize?: number;
}

/**
 * Runs each test on `engine`: the failing rows, at most `sampleSize` of them, and their total. A test
 * that passes or fails with at most `sampleSize` rows costs one query (one scan on Athena); only a test
 * with more failing rows runs a second query to count them. The total is not a `count(*) over ()`
 * window next to the rows: DuckDB 1.5.5's parallel window races on small inputs and fails with an
 * INTERNAL error that invalidates the database (duckdb/duckdb#22846, #25713; reproduced here about once
 * in 200 runs of the reconciliation test under load). A query that fails is an `error` result, and the
 * other tests still run.
 */
export async function runDataTests(
  engine: QueryEngine,
  tests: readonly DataTest[],
  options: RunOptions = {},
): Promise<DataTestResult[]> {
  const sampleSize = options.sampleSize ?? 5;
  const results: DataTestResult[] = [];
  for (const test of tests) {
    const sql = compileDataTest(test, options);
    const started = performance.now();
    const base = { name: test.name, model: test.model, target: test.target, severity: test.severity, sql };
    try {
      const sample = await engine.query(`select *\nfrom (\n${sql}\n) as failing\nlimit ${sampleSize + 1}`);
      const failingCount =
        sample.rows.length <= sampleSize
          ? sample.rows.length
          : Number(
              (await engine.query(`select count(*) as failing_count\nfrom (\n${sql}\n) as failing`)).rows[0]
                ?.failing_count ?? 0,
            );
      const failingRows = sample.rows.slice(0, sampleSize);
      results.push({
        ...base,
        status: failingCount === 0 ? 'pass' : test.severity === 'warn' ? 'warn' : 'fail',
        failingCount,
        failingRows,
        ms: performance.now() - started,
      });
    } catch (error) {
      results.push({
        ...base,
        status: 'error',
        failingCount: 0,
        failingRows: [],
        message: error instanceof Error ? error.message : String(error),
        ms: performance.now() - started,
      });
    }
  }
  return results;
}

/** Counts per status. */
export function summarize(results: readonly DataTestResult[]): Record<DataTestStatus, number> {
  const counts: Record<DataTestStatus, number> = { pass: 0, fail: 0, warn: 0, error: 0 };
  for (const result of results) counts[result.status]++;
  return counts;
}

/** Whether a run failed: an error-severity test with failing rows, or a test whose query failed. */
export function runFailed(results: readonly DataTestResult[]): boolean {
  return results.some((result) => result.status === 'fail' || result.status === 'error');
}

/**
 * Tests selected by model: those declared on a selected model or reading a selected relation (a
 * dataset name selects its reconciliation).
 */
export function selectDataTests(
  tests: readonly DataTest[],
  select: readonly string[] | undefined,
): DataTest[] {
  if (select === undefined || select.length === 0) return [...tests];
  return tests.filter((test) => select.includes(test.model) || select.includes(test.target));
}

/** The models a set of tests reads (their targets and relationship parents), to build before running them. */
export function modelsReadBy(tests: readonly DataTest[], modelNames: ReadonlySet<string>): string[] {
  const names = new Set<string>();
  for (const test of tests) {
    if (modelNames.has(test.target)) names.add(test.target);
    if (test.check.kind === 'relationships') names.add(test.check.parent);
  }
  return [...names].sort();
}
