/**
 * A corpus of malformed, hostile and odd files for the transactions dataset, each with the verdict
 * ledgerlake must give it (issue 19): rejected whole with a reason, rows quarantined with reasons, or
 * accepted. test/cli/fuzz-corpus.test.ts ingests it through the shipped binary; bench/fuzz-corpus.ts
 * prints the peak memory of each kind.
 *
 *   node --import tsx scripts/fuzz-corpus.ts <folder>     writes the corpus and corpus.json
 *
 * Sizes are bounded so that the corpus is written and ingested in seconds: the gzip bombs are small
 * (about 2 MB) and are built from repeated gzip members, not by compressing gigabytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

/** What ledgerlake must do with a file of the corpus. */
export type Verdict =
  | { readonly verdict: 'accepted'; readonly valid: number; readonly ignored?: readonly string[] }
  | {
      readonly verdict: 'quarantined';
      readonly valid: number;
      readonly quarantined: number;
      /** A fragment of the reasons of the quarantined rows, and the line of the first one. */
      readonly reason: string;
      readonly line?: number;
    }
  | { readonly verdict: 'rejected'; readonly reason: string };

export interface CorpusEntry {
  /** What kind of input it is. */
  readonly kind: string;
  /** File name inside the corpus folder. */
  readonly file: string;
  readonly expect: Verdict;
}

const HEADER = 'transaction_id,event_time,customer_id,channel,type,amount,status';
const row = (id: string, amount = '12.50', extra = '') =>
  `${id},2026-01-15T10:00:00Z,C1,upi,deposit,${amount},success${extra}`;
const csv = (...lines: string[]) => `${lines.join('\n')}\n`;
const record = (id: string, overrides: Record<string, unknown> = {}) => ({
  transaction_id: id,
  event_time: '2026-01-15T10:00:00Z',
  customer_id: 'C1',
  channel: 'upi',
  type: 'deposit',
  amount: 12.5,
  status: 'success',
  ...overrides,
});
const MIB = 1024 * 1024;
/** Just over the 16 Mi-character record limit. */
const HUGE = 17 * MIB;

/** Gzip members concatenated: one member compressed once, repeated; gunzip reads them as one stream. */
function gzipRepeated(head: Buffer, member: Buffer, times: number): Buffer {
  const compressed = gzipSync(member, { level: 9 });
  return Buffer.concat([gzipSync(head), ...Array.from({ length: times }, () => compressed)]);
}

function parquet(
  rows: readonly ReturnType<typeof record>[],
  amountType: 'DOUBLE' | 'STRING' = 'DOUBLE',
): Buffer {
  const column = (name: keyof ReturnType<typeof record>) => rows.map((r) => r[name]);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'transaction_id', data: column('transaction_id'), type: 'STRING' },
      { name: 'event_time', data: rows.map((r) => new Date(String(r.event_time))), type: 'TIMESTAMP' },
      { name: 'customer_id', data: column('customer_id'), type: 'STRING' },
      { name: 'channel', data: column('channel'), type: 'STRING' },
      { name: 'type', data: column('type'), type: 'STRING' },
      {
        name: 'amount',
        data: amountType === 'DOUBLE' ? column('amount') : column('amount').map(String),
        type: amountType,
      },
      { name: 'status', data: column('status'), type: 'STRING' },
    ],
    rowGroupSize: 2,
  });
  return Buffer.from(buffer);
}

/** Every kind of the corpus with its bytes. */
export function corpusFiles(): { entry: CorpusEntry; bytes: Buffer | string }[] {
  const files: { entry: CorpusEntry; bytes: Buffer | string }[] = [];
  const add = (kind: string, file: string, bytes: Buffer | string, expect: Verdict) =>
    files.push({ entry: { kind, file, expect }, bytes });
  const accepted = (valid: number, ignored?: string[]): Verdict => ({ verdict: 'accepted', valid, ignored });
  const quarantined = (valid: number, count: number, reason: string, line?: number): Verdict => ({
    verdict: 'quarantined',
    valid,
    quarantined: count,
    reason,
    line,
  });
  const rejected = (reason: string): Verdict => ({ verdict: 'rejected', reason });
  const two = [row('A1'), row('A2')];

  // --- accepted: odd but well-formed ---
  add('plain CSV', 'plain.csv', csv(HEADER, ...two), accepted(2));
  add('CRLF line endings', 'crlf.csv', `${[HEADER, ...two].join('\r\n')}\r\n`, accepted(2));
  add('mixed LF and CRLF', 'mixed-eol.csv', `${HEADER}\r\n${row('A1')}\n${row('A2')}\r\n`, accepted(2));
  add('UTF-8 byte order mark', 'bom.csv', `\ufeff${csv(HEADER, ...two)}`, accepted(2));
  add('no newline at the end', 'no-final-newline.csv', [HEADER, ...two].join('\n'), accepted(2));
  add('semicolon delimiter', 'semicolon.csv', csv(HEADER, ...two).replaceAll(',', ';'), accepted(2));
  add('tab-separated .tsv', 'tabs.tsv', csv(HEADER, ...two).replaceAll(',', '\t'), accepted(2));
  add(
    'quoted field holding newlines and delimiters',
    'quoted-newlines.csv',
    csv(`${HEADER},note`, `${row('A1')},"line one\nline two, with a comma"`, `${row('A2')},plain`),
    accepted(2, ['note']),
  );
  add(
    'escaped quotes in a quoted field',
    'escaped-quotes.csv',
    csv(HEADER, `"A""1",2026-01-15T10:00:00Z,C1,upi,deposit,12.50,success`),
    accepted(1),
  );
  add(
    'blank lines between rows',
    'blank-lines.csv',
    `\n\n${HEADER}\n\n${row('A1')}\n   \n${row('A2')}\n\n`,
    accepted(2),
  );
  add(
    'trailing delimiter on every line',
    'trailing-delimiter.csv',
    csv(`${HEADER},`, `${row('A1')},`),
    accepted(1),
  );
  add(
    'header of aliases',
    'aliases.csv',
    csv('txn_id,Transaction Time,Customer ID,payment_method,txn_type,transaction_amount,state', row('A1')),
    accepted(1),
  );
  add(
    'columns in another order',
    'reordered.csv',
    csv(
      'amount,status,type,channel,customer_id,event_time,transaction_id',
      '12.50,success,deposit,upi,C1,2026-01-15T10:00:00Z,A1',
    ),
    accepted(1),
  );
  add(
    'extra columns no contract column takes',
    'extra-columns.csv',
    csv(`${HEADER},branch,teller`, `${row('A1')},north,7`),
    accepted(1, ['branch', 'teller']),
  );
  add(
    'header names padded with spaces',
    'padded-header.csv',
    csv(
      HEADER.split(',')
        .map((h) => ` ${h} `)
        .join(','),
      row('A1'),
    ),
    accepted(1),
  );
  add(
    'emoji, CJK and combining characters in values',
    'unicode.csv',
    csv(HEADER, '🧾-1,2026-01-15T10:00:00Z,客户-é́,upi,deposit,12.50,success'),
    accepted(1),
  );
  add(
    'a file name holding terminal escapes and a newline',
    'evil\u001b]0;pwned\u0007\u001b[2J\nname.csv',
    csv(HEADER, row('A1')),
    accepted(1),
  );
  add('HTML in a text value', 'html-value.csv', csv(HEADER, row('<script>alert(1)</script>')), accepted(1));
  add('gzipped CSV', 'gzipped.csv.gz', gzipSync(csv(HEADER, ...two)), accepted(2));
  add(
    'gzipped CSV without .gz in its name',
    'secretly-gzipped.csv',
    gzipSync(csv(HEADER, ...two)),
    accepted(2),
  );
  add('header only, no rows', 'header-only.csv', csv(HEADER), accepted(0));
  add(
    'the same key twice (the last row wins)',
    'repeated-key.csv',
    csv(HEADER, row('A1', '1.00'), row('A1', '2.00')),
    accepted(1),
  );
  add(
    'a 1 MiB text value',
    'long-value.csv',
    csv(`${HEADER},note`, `${row('A1')},${'x'.repeat(MIB)}`),
    accepted(1, ['note']),
  );
  add(
    'multi-byte characters across read chunks',
    'multibyte-boundaries.csv',
    csv(`${HEADER},note`, ...Array.from({ length: 40 }, (_, i) => `${row(`A${i}`)},${'é'.repeat(5000 + i)}`)),
    accepted(40, ['note']),
  );
  add(
    'processing time -0',
    'minus-zero.csv',
    csv(`${HEADER},processing_time_s`, `${row('A1')},-0`),
    accepted(1),
  );
  add('JSON array of records', 'array.json', JSON.stringify([record('J1'), record('J2')]), accepted(2));
  add(
    'JSON object wrapping the records',
    'wrapped.json',
    JSON.stringify({ transactions: [record('J1'), record('J2')] }),
    accepted(2),
  );
  add(
    'a sequence of pretty-printed JSON objects',
    'objects.json',
    `${JSON.stringify(record('J1'), null, 2)}\n${JSON.stringify(record('J2'), null, 2)}\n`,
    accepted(2),
  );
  add(
    'NDJSON',
    'lines.ndjson',
    `${JSON.stringify(record('N1'))}\n${JSON.stringify(record('N2'))}\n`,
    accepted(2),
  );
  add(
    'JSON Lines with CRLF',
    'crlf.jsonl',
    `${JSON.stringify(record('N1'))}\r\n${JSON.stringify(record('N2'))}\r\n`,
    accepted(2),
  );
  add(
    'JSON keys no column takes',
    'extra-keys.json',
    JSON.stringify([record('J1', { branch: 'north', meta: { source: 'app' } })]),
    accepted(1, ['branch', 'meta']),
  );
  add(
    'JSON amounts as strings',
    'string-amounts.json',
    JSON.stringify([record('J1', { amount: '12.50' })]),
    accepted(1),
  );
  add('Parquet export', 'export.parquet', parquet([record('P1'), record('P2'), record('P3')]), accepted(3));
  add(
    'gzipped NDJSON',
    'lines.ndjson.gz',
    gzipSync(`${JSON.stringify(record('N1'))}\n${JSON.stringify(record('N2'))}\n`),
    accepted(2),
  );

  // --- rows quarantined, each with its reason ---
  add(
    'a negative amount',
    'negative-amount.csv',
    csv(HEADER, row('A1'), row('A2', '-5.00')),
    quarantined(1, 1, 'amount must be > 0', 3),
  );
  add(
    'an amount of 1e400',
    'amount-1e400.csv',
    csv(HEADER, row('A1', '1e400')),
    quarantined(0, 1, "amount '1e400' is not a decimal number", 2),
  );
  add(
    'a 30-digit amount',
    'amount-30-digits.csv',
    csv(HEADER, row('A1', '123456789012345678901234567890')),
    quarantined(0, 1, 'is too large for decimal(18,2)', 2),
  );
  add(
    'an amount with 3 decimals',
    'amount-3-decimals.csv',
    csv(HEADER, row('A1', '1.005')),
    quarantined(0, 1, 'has more than 2 decimal places', 2),
  );
  add(
    'amount NaN',
    'amount-nan.csv',
    csv(HEADER, row('A1', 'NaN')),
    quarantined(0, 1, 'is not a decimal number', 2),
  );
  add(
    'amount -0.00',
    'amount-minus-zero.csv',
    csv(HEADER, row('A1', '-0.00')),
    quarantined(0, 1, 'amount must be > 0, got 0', 2),
  );
  add(
    'a double of 1e400',
    'double-1e400.csv',
    csv(`${HEADER},processing_time_s`, `${row('A1')},1e400`),
    quarantined(0, 1, 'overflows to infinity', 2),
  );
  add(
    'a double of 1e-400',
    'double-1e-400.csv',
    csv(`${HEADER},processing_time_s`, `${row('A1')},1e-400`),
    quarantined(0, 1, 'too small for a double', 2),
  );
  add(
    'a double of Infinity',
    'double-infinity.csv',
    csv(`${HEADER},processing_time_s`, `${row('A1')},Infinity`),
    quarantined(0, 1, "processing_time_s 'Infinity' is not a number", 2),
  );
  add(
    'a double of NaN',
    'double-nan.csv',
    csv(`${HEADER},processing_time_s`, `${row('A1')},NaN`),
    quarantined(0, 1, "processing_time_s 'NaN' is not a number", 2),
  );
  add(
    'a date that does not exist',
    'bad-date.csv',
    csv(HEADER, row('A1').replace('2026-01-15', '2026-02-30')),
    quarantined(0, 1, 'is not a valid timestamp', 2),
  );
  add(
    'an event in 1900',
    'year-1900.csv',
    csv(HEADER, row('A1').replace('2026', '1900')),
    quarantined(0, 1, 'before 2020-01-01', 2),
  );
  add(
    'an event in 2029 (after the file landed)',
    'far-future.csv',
    csv(HEADER, row('A1').replace('2026', '2029')),
    quarantined(0, 1, 'later than the day after the file landed', 2),
  );
  add(
    'an unknown channel',
    'bad-channel.csv',
    csv(HEADER, row('A1').replace('upi', 'carrier-pigeon')),
    quarantined(0, 1, 'channel', 2),
  );
  add(
    'an empty required value',
    'empty-required.csv',
    csv(HEADER, row('A1').replace('C1', '')),
    quarantined(0, 1, 'customer_id is required', 2),
  );
  add(
    'a row with too many fields',
    'too-many-fields.csv',
    csv(HEADER, `${row('A1')},x,y`),
    quarantined(0, 1, 'row has 9 fields but the header has 7', 2),
  );
  add(
    'a row with too few fields',
    'too-few-fields.csv',
    csv(HEADER, 'A1,2026-01-15T10:00:00Z'),
    quarantined(0, 1, 'row has 2 fields but the header has 7', 2),
  );
  add(
    'terminal escapes in a value',
    'escape-in-value.csv',
    csv(HEADER, row('A1', '\u001b[2J\u001b]0;pwned\u0007')),
    quarantined(0, 1, 'is not a decimal number', 2),
  );
  add(
    'every row bad',
    'all-bad.csv',
    csv(HEADER, row('A1', 'x'), row('A2', 'y')),
    quarantined(0, 2, 'is not a decimal number', 2),
  );
  add(
    'JSON amount 1e400',
    'amount-1e400.json',
    `[${JSON.stringify(record('J1')).replace('12.5', '1e400')}]`,
    quarantined(0, 1, 'is not a finite number', 1),
  );
  add(
    'a JSON number id past 2^53',
    'big-number-id.json',
    `[${JSON.stringify(record('J1')).replace('"J1"', '12345678901234567890')}]`,
    quarantined(0, 1, 'too large to be read exactly', 1),
  );
  add(
    'a JSON field nested 100,000 deep',
    'nested-field.json',
    `[${JSON.stringify(record('J1')).replace('"C1"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)}, ${JSON.stringify(record('J2'))}]`,
    quarantined(1, 1, 'nested deeper than 64 levels', 1),
  );
  add(
    'a JSON array nested 100,000 deep',
    'nested-array.json',
    `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`,
    quarantined(0, 1, 'nested deeper than 64 levels', 1),
  );
  add(
    'an NDJSON line nested 100,000 deep',
    'nested.ndjson',
    `${JSON.stringify(record('N1'))}\n{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`,
    quarantined(1, 1, 'nested deeper than 64 levels', 2),
  );
  add(
    'a JSON record with a key twice',
    'duplicate-key.json',
    `[${JSON.stringify(record('J1')).replace('"amount":12.5', '"amount":12.5,"amount":99')}]`,
    quarantined(0, 1, 'key "amount" appears twice', 1),
  );
  add(
    'a JSON record with a column and its alias',
    'alias-conflict.json',
    JSON.stringify([record('J1', { transaction_amount: 99 }), record('J2')]),
    quarantined(1, 1, 'keys "amount" and "transaction_amount" both give column amount', 1),
  );
  add(
    'an NDJSON line that is not JSON',
    'broken-line.ndjson',
    `${JSON.stringify(record('N1'))}\n{"transaction_id": "N2",\n`,
    quarantined(1, 1, 'invalid JSON', 2),
  );
  add(
    'a JSON record that is a number',
    'scalar-record.json',
    `[1, ${JSON.stringify(record('J1'))}]`,
    quarantined(1, 1, 'record is a number', 1),
  );
  add(
    'Parquet with a negative amount',
    'negative.parquet',
    parquet([record('P1'), record('P2', { amount: -3 })]),
    quarantined(1, 1, 'amount must be > 0', 2),
  );
  add(
    'Parquet with an amount of 1e400 as text',
    'overflow.parquet',
    parquet([record('P1', { amount: '1e400' })], 'STRING'),
    quarantined(0, 1, 'is not a decimal number', 1),
  );

  // --- rejected whole, with the reason ---
  add('an empty file', 'empty.csv', '', rejected('empty file (0 bytes)'));
  add('only white space', 'whitespace.csv', ' \n\t\n  \n', rejected('empty file'));
  add('only a byte order mark', 'only-bom.csv', '\ufeff', rejected('empty file'));
  add(
    'binary data',
    'binary.csv',
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    rejected('binary data'),
  );
  add(
    'UTF-16 text',
    'utf16.csv',
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv(HEADER, row('A1')), 'utf16le')]),
    rejected('UTF-16'),
  );
  add(
    'Latin-1 text',
    'latin1.csv',
    Buffer.from(csv(HEADER, row('A1').replace('C1', 'Café')), 'latin1'),
    rejected('not valid UTF-8'),
  );
  add(
    'a corrupt gzip stream',
    'corrupt.csv.gz',
    gzipSync(csv(HEADER, ...two)).subarray(0, 30),
    rejected('gzip stream is corrupt'),
  );
  add('a gzip stream of 0 bytes', 'empty.csv.gz', gzipSync(''), rejected('empty file'));
  add(
    'a gzip bomb of 2.2 GB of white space',
    'bomb-whitespace.csv.gz',
    gzipRepeated(Buffer.from(' '), Buffer.alloc(16 * MIB, ' '), 140),
    rejected('characters of nothing but white space'),
  );
  add(
    'a gzip bomb of 2.2 GB of rows',
    'bomb-rows.csv.gz',
    gzipRepeated(
      Buffer.from(`${HEADER},note\n`),
      Buffer.from(`${row('B1', '1.00', `,${'z'.repeat(4000)}`)}\n`.repeat(4096)),
      140,
    ),
    rejected('expands more than 200:1'),
  );
  add(
    'a quote never closed',
    'unterminated-quote.csv',
    csv(HEADER, `"A1,2026-01-15T10:00:00Z,C1,upi,deposit,12.50,success`),
    rejected('unterminated quoted field starting at line 2'),
  );
  add('CR-only line endings', 'cr-only.csv', `${[HEADER, ...two].join('\r')}\r`, rejected('CR only'));
  add(
    'a required column missing',
    'missing-column.csv',
    csv('transaction_id,event_time,customer_id', 'A1,2026-01-15T10:00:00Z,C1'),
    rejected('missing required columns: channel, type, amount, status'),
  );
  add(
    'a header without names',
    'nameless-header.csv',
    csv(',,,', row('A1')),
    rejected('CSV has no header row'),
  );
  add(
    'the same column twice',
    'duplicate-column.csv',
    csv(`${HEADER},amount`, `${row('A1')},99.00`),
    rejected('"amount" (column 6) and "amount" (column 8)'),
  );
  add(
    'a column and its alias',
    'alias-column.csv',
    csv(`${HEADER},transaction_amount`, `${row('A1')},99.00`),
    rejected('"amount" (column 6) and "transaction_amount" (column 8)'),
  );
  add(
    'terminal escapes in the header',
    'escape-header.csv',
    csv('transaction_id,\u001b[2J\u001b]0;pwned\u0007,customer_id\r\u001b[1A', row('A1')),
    rejected('missing required columns'),
  );
  add(
    'a 17 MiB CSV field',
    'huge-field.csv',
    csv(HEADER, `${'x'.repeat(HUGE)},2026-01-15T10:00:00Z,C1,upi,deposit,1.00,success`),
    rejected('longer than 16777216 characters'),
  );
  add(
    'a 17 MiB quoted CSV field',
    'huge-quoted-field.csv',
    csv(HEADER, `"${'x'.repeat(HUGE)}",2026-01-15T10:00:00Z,C1,upi,deposit,1.00,success`),
    rejected('longer than 16777216 characters'),
  );
  add(
    'a 17 MiB JSON string',
    'huge-string.json',
    `[{"transaction_id":"${'x'.repeat(HUGE)}"}]`,
    rejected('longer than 16777216 characters'),
  );
  add(
    'a 17 MiB NDJSON line',
    'huge-line.ndjson',
    `{"transaction_id":"${'x'.repeat(HUGE)}"}\n`,
    rejected('longer than 16777216 characters'),
  );
  add(
    'a 17 MiB header line',
    'huge-header.csv',
    csv('x'.repeat(HUGE), row('A1')),
    rejected('longer than 16777216 characters'),
  );
  add(
    'JSON with a syntax error',
    'syntax-error.json',
    '[{"transaction_id": "J1",, }]',
    rejected('invalid JSON at line 1'),
  );
  add('JSON that is a string', 'scalar.json', '"hello"', rejected('JSON is not an array of records'));
  add(
    'JSON with a trailing comma',
    'trailing-comma.json',
    `[${JSON.stringify(record('J1'))},]`,
    rejected('remove the trailing comma'),
  );
  add(
    'JSON cut off',
    'truncated.json',
    `[${JSON.stringify(record('J1'))},${JSON.stringify(record('J2')).slice(0, 20)}`,
    rejected('invalid JSON'),
  );
  add('JSON with NaN', 'nan.json', '[{"transaction_id":"J1","amount":NaN}]', rejected('invalid JSON'));
  add(
    'HTML named .json',
    'page.json',
    '<!doctype html><html><body>hi</body></html>',
    rejected('JSON is not an array of records'),
  );
  add(
    'XML named .csv',
    'data.csv',
    '<?xml version="1.0"?>\n<transactions><t id="1"/></transactions>\n',
    rejected('missing required columns'),
  );
  add(
    'a cut-off Parquet file',
    'truncated.parquet',
    parquet([record('P1')]).subarray(0, 40),
    rejected('not a Parquet file'),
  );
  add('text named .parquet', 'not.parquet', csv(HEADER, row('A1')), rejected('not a Parquet file'));
  add(
    'a gzipped Parquet file',
    'gzipped.parquet',
    gzipSync(parquet([record('P1')])),
    rejected('a gzipped Parquet file'),
  );
  add(
    'Parquet named .csv',
    'parquet-inside.csv',
    parquet([record('P1')]),
    rejected('Parquet data in a file not named .parquet'),
  );
  add(
    'a Parquet footer that lies about its length',
    'lying-footer.parquet',
    (() => {
      const bytes = parquet([record('P1')]);
      bytes.writeUInt32LE(0x7fffffff, bytes.length - 8);
      return bytes;
    })(),
    rejected('the Parquet footer claims 2 GiB'),
  );
  return files;
}

/**
 * Writes the corpus (or the given files of it) into `folder`, with `.corpus.json`, the entries (a
 * hidden file, which ingest skips); returns the entries.
 */
export async function writeCorpus(
  folder: string,
  files: readonly { entry: CorpusEntry; bytes: Buffer | string }[] = corpusFiles(),
): Promise<CorpusEntry[]> {
  await mkdir(folder, { recursive: true });
  for (const { entry, bytes } of files) await writeFile(join(folder, entry.file), bytes);
  const entries = files.map((f) => f.entry);
  await writeFile(join(folder, '.corpus.json'), `${JSON.stringify(entries, null, 2)}\n`);
  return entries;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: node --import tsx scripts/fuzz-corpus.ts <folder>');
    process.exitCode = 2;
  } else {
    const entries = await writeCorpus(folder);
    const count = (verdict: string) => entries.filter((e) => e.expect.verdict === verdict).length;
    console.log(
      `${entries.length} kinds in ${folder}: ${count('accepted')} accepted, ${count('quarantined')} with quarantined rows, ${count('rejected')} rejected whole`,
    );
  }
}
