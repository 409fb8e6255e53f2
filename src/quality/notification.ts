import type { SqlValue } from '../engine/query-engine';
import type { DataTestResult } from './run';

/** One message to the operations topic about a test that did not pass. */
export interface DataTestNotification {
  /** One line, ASCII, at most 100 characters (SNS's limit for email subjects). */
  readonly subject: string;
  /** Plain text, for email (and Slack, through the notifier). */
  readonly text: string;
  /** `test`, `model`, `severity`, `status`, `failing_count`: for subscription filters. */
  readonly attributes: Readonly<Record<string, string>>;
}

const SUBJECT_LIMIT = 100;

/**
 * The message for a test that failed, warned or could not run: the test's name, its model, the
 * failing count, up to the sampled failing rows, and the SQL that returns them all. Undefined for a
 * test that passed.
 */
export function dataTestNotification(
  result: DataTestResult,
  where: string,
): DataTestNotification | undefined {
  if (result.status === 'pass') return undefined;
  const verb = { fail: 'failed', warn: 'warned', error: 'could not run' }[result.status];
  const subject = ascii(`ledgerlake data test ${verb}: ${result.name}`);
  const lines = [
    `Data test ${verb} on ${where}.`,
    '',
    `test: ${result.name}`,
    `model: ${result.model}`,
    `severity: ${result.severity}`,
    `failing rows: ${result.failingCount}`,
  ];
  if (result.message !== undefined) lines.push(`error: ${result.message}`);
  if (result.failingRows.length > 0) {
    lines.push('', `first ${result.failingRows.length} failing rows:`);
    for (const row of result.failingRows) lines.push(`  ${formatRow(row)}`);
  }
  lines.push('', 'SQL (returns every failing row):', result.sql);
  return {
    subject: subject.length > SUBJECT_LIMIT ? `${subject.slice(0, SUBJECT_LIMIT - 3)}...` : subject,
    text: `${lines.join('\n')}\n`,
    attributes: {
      test: result.name,
      model: result.model,
      severity: result.severity,
      status: result.status,
      failing_count: String(result.failingCount),
    },
  };
}

function formatRow(row: Readonly<Record<string, SqlValue>>): string {
  return Object.entries(row)
    .map(
      ([name, value]) =>
        `${name}=${value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join(', ');
}

/** Email subjects must be printable ASCII: anything else becomes `?`. */
function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}
