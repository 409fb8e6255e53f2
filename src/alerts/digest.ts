import type { AlertDigest, AlertEntry, AlertNotification, BalanceMove } from './types';

/** SNS rejects email subjects longer than this. */
export const MAX_SUBJECT_LENGTH = 100;

/** SNS's limit for one published message, body and attributes together, in UTF-8 bytes (256 KiB). */
export const SNS_MESSAGE_LIMIT_BYTES = 262_144;

/**
 * The most a rendered digest may weigh (subject, text and attributes in UTF-8 bytes). Well under
 * SNS's 256 KiB, so a digest never fails to publish on its size (and then again on every run); a
 * larger digest lists its largest moves up to this and says how to query the rest.
 */
export const DIGEST_BUDGET_BYTES = 200 * 1024;

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
 *
 * The table lists every entity while the notification weighs at most `budgetBytes` (UTF-8, subject
 * and attributes included); beyond that it lists as many of the largest moves as fit, then
 * "and N more accounts (M breaches in all)" and the SQL that lists them all. Counts in the subject
 * and the text are always of the whole digest.
 */
export function renderDigest(
  digest: AlertDigest,
  budgetBytes: number = DIGEST_BUDGET_BYTES,
): AlertNotification {
  const entries = [...digest.entries].sort(compareMoves);
  // Cells formatted once: the bisection below renders the table a dozen times or so.
  const rows = entries.map(tableRow);
  const whole = renderListing(digest, entries, rows, entries.length);
  if (notificationBytes(whole) <= budgetBytes) return whole;
  // The size only grows with the rows listed (columns widen, never narrow), so the most rows that
  // fit is found by bisection on the real rendered size.
  let fits = 0;
  let over = entries.length;
  while (over - fits > 1) {
    const middle = Math.floor((fits + over) / 2);
    if (notificationBytes(renderListing(digest, entries, rows, middle)) <= budgetBytes) fits = middle;
    else over = middle;
  }
  return renderListing(digest, entries, rows, fits);
}

/** What a notification weighs against SNS's limit: subject, text and attributes, in UTF-8 bytes. */
export function notificationBytes(notification: AlertNotification): number {
  let bytes = Buffer.byteLength(notification.subject) + Buffer.byteLength(notification.text);
  for (const [name, value] of Object.entries(notification.attributes)) {
    // SNS counts each attribute's name, data type ('String') and value.
    bytes += Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * The query that lists every breach of the digest's rule on its day, largest move first; it filters
 * on `balance_date`, the partition column, so it reads one day.
 */
export function allBreachesQuery(digest: Pick<AlertDigest, 'rule' | 'day'>): string {
  const rule = digest.rule.replaceAll("'", "''");
  return (
    `select * from balance_moves where rule_name = '${rule}' and balance_date = date '${digest.day}'` +
    ' and is_breach order by abs(change) desc'
  );
}

/** The notification listing the first `listed` of `entries` (sorted, largest move first). */
function renderListing(
  digest: AlertDigest,
  entries: readonly AlertEntry[],
  rows: readonly (readonly string[])[],
  listed: number,
): AlertNotification {
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
    listed === entries.length
      ? `${entries.length} ${noun} breached, largest move first:`
      : `${entries.length} ${noun} breached, the ${listed} largest moves first:`,
    '',
    ...table(digest.entityKey, rows.slice(0, listed)),
  ];
  if (listed < entries.length) {
    const more = entries.length - listed;
    lines.push(
      '',
      `and ${more} more ${entityNoun(digest.entityKey, more)} (${entries.length} breaches in all); to see them all:`,
      allBreachesQuery(digest),
    );
  }
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

/** One entry's table cells: entity, previous, new, change, rate, note. */
function tableRow(entry: AlertEntry): string[] {
  return [
    entry.entityId,
    formatAmount(entry.previousBalance),
    formatAmount(entry.currentBalance),
    formatAmount(entry.change, true),
    entry.changeRate === null ? 'from 0' : formatPercent(entry.changeRate, true),
    notes(entry),
  ];
}

function table(entityKey: string, rows: readonly (readonly string[])[]): string[] {
  const header = [entityKey, 'previous', 'new', 'change', 'rate', 'note'];
  // A loop, not Math.max(...rows): spreading a digest of 100,000+ rows overflows the call stack.
  const widths = header.map((title) => title.length);
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column]!, cell.length);
    });
  }
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

/** One formatter for every amount: `toLocaleString` builds a new one per call, slow over 5,000 rows. */
const AMOUNT_FORMAT = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** `1,234.50`, `-290.00`; with `signed`, a `+` for positive values. */
export function formatAmount(value: number, signed = false): string {
  const text = AMOUNT_FORMAT.format(value);
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
