import type { SqlValue } from '../engine/query-engine';
import { type DataTestResult, summarize } from './run';

const LABELS = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', error: 'ERROR' } as const;

/**
 * The run as text: one line per test (status, name, failing count), the sample of failing rows under
 * each test that did not pass, and a summary line.
 */
export function formatResults(results: readonly DataTestResult[], seconds: number): string {
  const lines: string[] = [];
  for (const result of results) {
    const count =
      result.status === 'pass' || result.status === 'error'
        ? ''
        : `  ${result.failingCount} failing ${result.failingCount === 1 ? 'row' : 'rows'}`;
    lines.push(`${LABELS[result.status].padEnd(5)}  ${result.name}${count}`);
    if (result.status === 'error') lines.push(indent(result.message ?? 'the query failed'));
    if (result.failingRows.length > 0) {
      lines.push(indent(rowsTable(result.failingRows)));
      if (result.failingCount > result.failingRows.length)
        lines.push(indent(`... and ${result.failingCount - result.failingRows.length} more`));
    }
  }
  const counts = summarize(results);
  lines.push(
    '',
    `${results.length} tests: ${counts.pass} passed, ${counts.fail} failed, ${counts.warn} warned, ` +
      `${counts.error} could not run (${seconds.toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The run as JSON: the summary and every result with its SQL and sample rows. */
export function resultsJson(results: readonly DataTestResult[]): string {
  return `${JSON.stringify({ summary: summarize(results), results }, null, 2)}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `       ${line}`)
    .join('\n');
}

/** A few rows as an aligned table (values shortened to 80 characters). */
function rowsTable(rows: readonly Record<string, SqlValue>[]): string {
  const names = Object.keys(rows[0] ?? {});
  const cell = (value: SqlValue | undefined): string => {
    const text =
      value === null || value === undefined
        ? 'null'
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    return text.length > 80 ? `${text.slice(0, 79)}…` : text;
  };
  const cells = rows.map((row) => names.map((name) => cell(row[name])));
  const widths = names.map((name, i) => Math.max(name.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
