import type { AlertDigest, AlertEntry, AlertNotification, BalanceMove } from './types';

/** SNS rejects email subjects longer than this. */
export const MAX_SUBJECT_LENGTH = 100;

/**
 * Orders moves for a person triaging: the largest absolute change first (the most money moved), then
 * the entity id so equal moves always list the same way.
 */
export function compareMoves(a: BalanceMove, b: BalanceMove): number {
  return Math.abs(b.change) - Math.abs(a.change) || a.entityId.localeCompare(b.entityId);
}

/**
 * Renders a digest as the notification SNS publishes and Slack shows.
 *
 * Subject, e.g. `[WARNING] account_balance_move 2024-06-03: 3 accounts moved, top acct-17 +60.0%`:
 * severity first so mail rules and eyes can sort, then the rule, the day, how many and the largest
 * move. ASCII only and at most 100 characters, as SNS requires.
 */
export function renderDigest(digest: AlertDigest): AlertNotification {
  const entries = [...digest.entries].sort(compareMoves);
  const top = entries[0];
  const revised = entries.some((entry) => entry.revision);
  const noun = entityNoun(digest.entityKey, entries.length);
  const subject = toSubject(
    `[${digest.severity.toUpperCase()}] ${digest.rule} ${digest.day}: ${entries.length} ${noun} moved` +
      (revised ? ' (revised)' : '') +
      (top ? `, top ${top.entityId} ${moveLabel(top)}` : ''),
  );

  const directionText = digest.direction === 'both' ? 'either direction' : digest.direction;
  const lines = [
    `${digest.description}.`,
    '',
    `Rule:      ${digest.rule} (severity ${digest.severity})`,
    `Balance:   ${digest.metric} of ${digest.model}, per ${digest.entityKey}`,
    `Threshold: |change| >= ${formatPercent(digest.thresholdRate, false)} of the previous balance, ${directionText}`,
    `Day:       ${digest.day}`,
    '',
    `${entries.length} ${noun} breached, largest move first:`,
    '',
    ...table(digest.entityKey, entries),
  ];
  if (revised) {
    lines.push(
      '',
      'REVISION: lines marked "revised" were alerted earlier with other balances; a corrected file changed them.',
    );
  }
  return {
    subject,
    text: `${lines.join('\n')}\n`,
    attributes: {
      rule: digest.rule,
      severity: digest.severity,
      model: digest.model,
      metric: digest.metric,
      day: digest.day,
      revision: String(revised),
    },
  };
}

function table(entityKey: string, entries: readonly AlertEntry[]): string[] {
  const header = [entityKey, 'previous', 'new', 'change', 'rate', 'note'];
  const rows = entries.map((entry) => [
    entry.entityId,
    formatAmount(entry.previousBalance),
    formatAmount(entry.currentBalance),
    formatAmount(entry.change, true),
    entry.changeRate === null ? 'from 0' : formatPercent(entry.changeRate, true),
    notes(entry),
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  // Amounts right-aligned so digits line up; the id and the note left-aligned.
  const rightAligned = new Set([1, 2, 3, 4]);
  const format = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].map((line) => `  ${line}`);
}

function notes(entry: AlertEntry): string {
  const notes: string[] = [];
  if (entry.isSignFlip) {
    notes.push(
      entry.previousBalance > 0 ? 'sign flip: positive to negative' : 'sign flip: negative to positive',
    );
  }
  if (entry.isFromZero) notes.push('from zero');
  if (entry.revision) notes.push('revised');
  return notes.join('; ');
}

/** `+60.0%`, or `from 0` when there is no rate. */
function moveLabel(move: BalanceMove): string {
  return move.changeRate === null
    ? `from 0 to ${formatAmount(move.currentBalance)}`
    : formatPercent(move.changeRate, true);
}

/** `1,234.50`, `-290.00`; with `signed`, a `+` for positive values. */
export function formatAmount(value: number, signed = false): string {
  const text = value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return signed && value > 0 ? `+${text}` : text;
}

/** `0.6` -> `+60.0%` (signed) or `60%` (a threshold). */
export function formatPercent(rate: number, signed: boolean): string {
  const percent = rate * 100;
  if (!signed) return `${Number(percent.toFixed(1))}%`;
  return `${percent > 0 ? '+' : ''}${percent.toFixed(1)}%`;
}

/** `account_id` -> `account` / `accounts`. */
function entityNoun(entityKey: string, count: number): string {
  const base = entityKey.replace(/_id$/, '').replaceAll('_', ' ');
  return count === 1 ? base : `${base}s`;
}

/** One line of printable ASCII, cut to SNS's limit with `...`. */
function toSubject(text: string): string {
  const ascii = text.replace(/[\r\n\t]+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length <= MAX_SUBJECT_LENGTH ? ascii : `${ascii.slice(0, MAX_SUBJECT_LENGTH - 3)}...`;
}
