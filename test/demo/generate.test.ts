import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets';
import type { ColumnSpec, DatasetContract } from '../../src/contract/types';
import {
  type DemoFile,
  DemoOptionsError,
  type DirtyKind,
  generateDemo,
  summarizeDemo,
  UNKNOWN_DATASET_KEY,
  UNREADABLE_FILE_KEY,
} from '../../src/demo/generate';

// ---------------------------------------------------------------------------------------------------
// A small, independent reader of the generated files: the test's own view of what was planted.
// ---------------------------------------------------------------------------------------------------

/** One source record: canonical column name -> value as written (string for CSV, JSON value for JSON). */
type SourceRecord = Record<string, unknown>;

interface ReadFile {
  readonly contract: DatasetContract;
  /** Source column names (CSV header, or every dotted JSON key seen). */
  readonly sourceNames: readonly string[];
  readonly records: readonly SourceRecord[];
  /** Each record as written, for comparing copies. */
  readonly texts: readonly string[];
  readonly text: string;
}

const looseKey = (name: string): string => name.toLowerCase().replace(/[\s_.-]+/g, '');

/** The contract column a source name stands for, by name, alias or path, or undefined. */
function columnFor(contract: DatasetContract, sourceName: string): ColumnSpec | undefined {
  const wanted = looseKey(sourceName);
  return contract.columns.find((column) =>
    [column.name, column.path ?? column.name, ...(column.aliases ?? [])].some(
      (name) => looseKey(name) === wanted,
    ),
  );
}

function fileText(file: DemoFile): string {
  const bytes = file.key.endsWith('.gz') ? gunzipSync(file.body) : file.body;
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
}

/** RFC 4180 fields of one CSV text, with `"` quoting and either line ending. */
function parseCsv(text: string, delimiter: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

/** `{ product: { price: 1 } }` -> `{ 'product.price': 1 }`. */
function flatten(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, inner]) =>
      inner !== null && typeof inner === 'object' && !Array.isArray(inner)
        ? Object.entries(flatten(inner as Record<string, unknown>, `${prefix}${key}.`))
        : [[`${prefix}${key}`, inner]],
    ),
  );
}

function readFile(file: DemoFile): ReadFile {
  const contract = DATASETS.find((d) => d.name === file.dataset);
  if (!contract) throw new Error(`no contract for ${file.key}`);
  const text = fileText(file).replace(/^\uFEFF/, '');
  if (/\.csv(\.gz)?$/.test(file.key)) {
    const headerLine = text.slice(0, text.search(/\r?\n/));
    const delimiter = headerLine.split(';').length > headerLine.split(',').length ? ';' : ',';
    const [header = [], ...rows] = parseCsv(text, delimiter);
    const canonical = header.map((name) => columnFor(contract, name)?.name ?? name);
    return {
      contract,
      sourceNames: header,
      records: rows.map((fields) => Object.fromEntries(canonical.map((name, j) => [name, fields[j]]))),
      texts: rows.map((fields) => fields.join('\u0000')),
      text,
    };
  }
  const raw: Record<string, unknown>[] = /\.json$/.test(file.key)
    ? JSON.parse(text)
    : text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line));
  const flat = raw.map((record) => flatten(record));
  return {
    contract,
    sourceNames: [...new Set(flat.flatMap((record) => Object.keys(record)))],
    records: flat.map((record) =>
      Object.fromEntries(
        Object.entries(record).map(([key, value]) => [columnFor(contract, key)?.name ?? key, value]),
      ),
    ),
    texts: raw.map((record) => JSON.stringify(record)),
    text,
  };
}

// Detectors for each dirty kind, written from the contracts' rules, not from the generator's code.

const isEmpty = (value: unknown): boolean =>
  value === undefined || value === null || String(value).trim() === '';

function isRealDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Whether a value reads as a date/time in one of the column's declared formats. */
function readsAsDate(column: ColumnSpec, value: unknown): boolean {
  return (column.formats ?? ['iso']).some((format) => {
    if (format === 'epoch_millis') return typeof value === 'number' || /^\d{10,13}$/.test(String(value));
    const text = String(value);
    const patterns: Record<string, [RegExp, (m: RegExpExecArray) => [number, number, number]]> = {
      iso: [/^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}:\d{2}Z)?$/, (m) => [+m[1]!, +m[2]!, +m[3]!]],
      'dd/mm/yyyy': [/^(\d{2})\/(\d{2})\/(\d{4})$/, (m) => [+m[3]!, +m[2]!, +m[1]!]],
      'mm-dd-yyyy': [/^(\d{2})-(\d{2})-(\d{4})$/, (m) => [+m[3]!, +m[1]!, +m[2]!]],
      'yyyy/mm/dd': [/^(\d{4})\/(\d{2})\/(\d{2})$/, (m) => [+m[1]!, +m[2]!, +m[3]!]],
      'dd.mm.yyyy': [/^(\d{2})\.(\d{2})\.(\d{4})$/, (m) => [+m[3]!, +m[2]!, +m[1]!]],
      yyyymmdd: [/^(\d{4})(\d{2})(\d{2})$/, (m) => [+m[1]!, +m[2]!, +m[3]!]],
    };
    const [regex, parts] = patterns[format] ?? [/$^/, () => [0, 0, 0] as [number, number, number]];
    const match = regex.exec(text);
    return match !== null && isRealDate(...parts(match));
  });
}

/** Whether a text value is one the column allows, after case folding and value aliases. */
function isAllowed(column: ColumnSpec, value: unknown): boolean {
  const text = String(value).trim();
  const alias = Object.entries(column.valueAliases ?? {}).find(
    ([from]) => looseKey(from) === looseKey(text),
  )?.[1];
  return column.allowed?.includes(alias ?? text.toLowerCase()) ?? true;
}

const column = (contract: DatasetContract, name: string): ColumnSpec =>
  contract.columns.find((c) => c.name === name)!;

/** Per dataset: how to recognise each quarantined dirty kind in a record. */
const DETECTORS: Record<
  string,
  Partial<Record<DirtyKind, (record: SourceRecord, contract: DatasetContract) => boolean>>
> = {
  transactions: {
    negative_amount: (r) => Number(r.amount) < 0,
    unknown_channel: (r, c) => !isAllowed(column(c, 'channel'), r.channel),
    bad_date: (r, c) => !readsAsDate(column(c, 'event_time'), r.event_time),
  },
  customers: {
    bad_segment: (r, c) => !isAllowed(column(c, 'segment'), r.segment),
    bad_date: (r, c) => !readsAsDate(column(c, 'updated_at'), r.updated_at),
  },
  sales: {
    bad_quantity: (r) => Number(r.quantity) <= 0,
    bad_discount: (r) => {
      const text = String(r.discount ?? '0');
      return (text.endsWith('%') ? Number.parseFloat(text) / 100 : Number(text)) > 1;
    },
    bad_date: (r, c) => !readsAsDate(column(c, 'order_date'), r.order_date),
  },
  holdings_movements: {
    negative_amount: (r) => Number(r.units) <= 0,
    bad_date: (r, c) => !readsAsDate(column(c, 'event_time'), r.event_time),
  },
  customer_profiles: {
    bad_date: (r, c) => !readsAsDate(column(c, 'join_date'), r.join_date),
  },
  web_events: {
    bad_date: (r, c) => !readsAsDate(column(c, 'event_time'), r.event_time),
  },
  accounts: {
    unknown_type: (r, c) => !isAllowed(column(c, 'account_type'), r.account_type),
    bad_date: (r, c) => !readsAsDate(column(c, 'updated_at'), r.updated_at),
  },
  stock_movements: {
    unknown_type: (r, c) => !isAllowed(column(c, 'movement_type'), r.movement_type),
    bad_date: (r, c) => !readsAsDate(column(c, 'event_time'), r.event_time),
  },
};

/** What the test reads in a file: dirty rows per kind, duplicate copies, and whether copies are exact. */
function findDirtyRows(read: ReadFile): { counts: Record<string, number>; copiesAreExact: boolean } {
  const { contract, records, texts } = read;
  const counts: Record<string, number> = { null_key: 0, duplicate: 0 };
  const detectors = DETECTORS[contract.name] ?? {};
  const firstTextByKey = new Map<string, string>();
  let copiesAreExact = true;
  records.forEach((record, i) => {
    if (contract.primaryKey.some((name) => isEmpty(record[name]))) {
      counts.null_key = (counts.null_key ?? 0) + 1;
      return;
    }
    for (const [kind, broken] of Object.entries(detectors)) {
      if (broken(record, contract)) counts[kind] = (counts[kind] ?? 0) + 1;
    }
    const key = contract.primaryKey.map((name) => String(record[name])).join('|');
    const first = firstTextByKey.get(key);
    if (first === undefined) firstTextByKey.set(key, texts[i]!);
    else {
      counts.duplicate = (counts.duplicate ?? 0) + 1;
      copiesAreExact &&= first === texts[i];
    }
  });
  for (const kind of Object.keys(detectors)) counts[kind] ??= 0;
  return { counts, copiesAreExact };
}

// ---------------------------------------------------------------------------------------------------

describe('generateDemo', () => {
  let demo: DemoFile[];
  let readable: { file: DemoFile; read: ReadFile }[];

  beforeAll(() => {
    demo = generateDemo();
    readable = demo.filter((file) => !file.expected.rejected).map((file) => ({ file, read: readFile(file) }));
  });

  it('writes byte-identical files for the same options', () => {
    const again = generateDemo();

    expect(again.map((f) => f.key)).toEqual(demo.map((f) => f.key));
    again.forEach((file, i) => {
      expect(Buffer.from(file.body).equals(Buffer.from(demo[i]!.body)), file.key).toBe(true);
    });
  });

  it('writes different files for a different seed', () => {
    const other = generateDemo({ seed: 43 });

    const changed = other.filter((file, i) => !Buffer.from(file.body).equals(Buffer.from(demo[i]!.body)));
    // Only the fixed wire_transfers file has no random content.
    expect(changed.map((f) => f.key)).toEqual(
      demo.map((f) => f.key).filter((key) => key !== UNKNOWN_DATASET_KEY),
    );
  });

  it.each([1, 7, 12])('writes one transactions file per day, ending on endDate, for days=%i', (days) => {
    const files = generateDemo({ days, transactionsPerDay: 20, customers: 10, endDate: '2024-03-01' });

    const dates = files
      .map((f) => /^landing\/transactions\/(\d{4}-\d{2}-\d{2})\.csv(\.gz)?$/.exec(f.key)?.[1])
      .filter((date) => date !== undefined);
    expect(dates).toHaveLength(days);
    expect(dates.at(-1)).toBe('2024-03-01');
    expect(new Set(dates).size).toBe(days);
  });

  it('reports counts that add up for every file', () => {
    for (const file of demo) {
      const { rows, valid, quarantined, duplicates } = file.expected;
      expect(rows, file.key).toBe(valid + quarantined + duplicates);
    }
  });

  it('reports as many rows as each file holds', () => {
    for (const { file, read } of readable) {
      expect(read.records.length, file.key).toBe(file.expected.rows);
    }
  });

  it('plants exactly the dirty rows it reports, in every file', () => {
    for (const { file, read } of readable) {
      const { counts } = findDirtyRows(read);

      expect(counts, file.key).toEqual(file.planted);
      expect(file.expected.duplicates, file.key).toBe(counts.duplicate);
      expect(file.expected.quarantined, file.key).toBe(
        Object.entries(counts).reduce((sum, [kind, n]) => sum + (kind === 'duplicate' ? 0 : n), 0),
      );
    }
  });

  it('makes every duplicate an exact copy of an earlier row', () => {
    for (const { file, read } of readable) {
      expect(findDirtyRows(read).copiesAreExact, file.key).toBe(true);
    }
  });

  it.each(['transactions', 'customers', 'accounts', 'sales', 'holdings_movements', 'stock_movements'])(
    'plants each dirty kind in about one row of fifty in %s',
    (dataset) => {
      const files = readable.filter(({ file }) => file.dataset === dataset);
      const totals: Record<string, number> = {};
      let rows = 0;
      for (const { read } of files) {
        rows += read.records.length;
        for (const [kind, n] of Object.entries(findDirtyRows(read).counts))
          totals[kind] = (totals[kind] ?? 0) + n;
      }

      expect(Object.keys(totals).length).toBeGreaterThanOrEqual(4);
      for (const [kind, n] of Object.entries(totals)) {
        expect(n / rows, `${dataset} ${kind}`).toBeGreaterThan(0.01);
        expect(n / rows, `${dataset} ${kind}`).toBeLessThan(0.03);
      }
    },
  );

  it('plants no dirty rows when dirtyShare is 0', () => {
    const files = generateDemo({ days: 7, dirtyShare: 0 });

    for (const file of files.filter((f) => !f.expected.rejected)) {
      const { counts } = findDirtyRows(readFile(file));
      expect(
        Object.values(counts).every((n) => n === 0),
        file.key,
      ).toBe(true);
      expect(file.expected.valid, file.key).toBe(file.expected.rows);
    }
  });

  it('names every column with a name or alias its contract declares', () => {
    for (const { file, read } of readable) {
      const unknown = read.sourceNames.filter((name) => columnFor(read.contract, name) === undefined);
      const present = new Set(read.sourceNames.map((name) => columnFor(read.contract, name)?.name));
      const missing = read.contract.columns.filter(
        (c) => c.required && c.default === undefined && !present.has(c.name),
      );

      expect(unknown, file.key).toEqual([]);
      expect(
        missing.map((c) => c.name),
        file.key,
      ).toEqual([]);
    }
  });

  it.each([
    [
      'a UTF-8 byte order mark',
      (f: DemoFile) => !f.key.endsWith('.gz') && f.body[0] === 0xef && f.body[1] === 0xbb,
    ],
    ['CRLF line endings', (f: DemoFile) => !f.key.endsWith('.gz') && fileText(f).includes('\r\n')],
    ['semicolons as delimiter', (f: DemoFile) => fileText(f).split('\n')[0]!.split(';').length > 5],
    ['gzip', (f: DemoFile) => f.key.endsWith('.csv.gz') && f.body[0] === 0x1f && f.body[1] === 0x8b],
    ['a quoted city with a comma', (f: DemoFile) => fileText(f).includes('"Washington, D.C."')],
    ['aliased headers', (f: DemoFile) => fileText(f).startsWith('Transaction ID,')],
    ['value spellings', (f: DemoFile) => /,Credit Card,/.test(fileText(f)) && /,SUCCESS,/.test(fileText(f))],
  ])('writes a transactions file with %s', (_, exercises) => {
    const transactions = demo.filter((f) => f.dataset === 'transactions' && !f.expected.rejected);

    expect(transactions.some(exercises)).toBe(true);
  });

  it.each([
    ['a JSON array', (f: DemoFile) => f.key.endsWith('.json') && fileText(f).startsWith('[')],
    ['gzipped NDJSON', (f: DemoFile) => f.key.endsWith('.ndjson.gz') && f.body[0] === 0x1f],
    ['a percentage discount', (f: DemoFile) => /"discount":"\d+%"/.test(fileText(f))],
    ['an epoch-millis order date', (f: DemoFile) => /"order_date":\d{13}/.test(fileText(f))],
    [
      'a day-first order date',
      (f: DemoFile) => /"(order_date|date)":"\d{2}\/\d{2}\/\d{4}"/.test(fileText(f)),
    ],
    ['a nested product object', (f: DemoFile) => /"product":\{"product_id":/.test(fileText(f))],
  ])('writes a sales file with %s', (_, exercises) => {
    expect(demo.filter((f) => f.dataset === 'sales').some(exercises)).toBe(true);
  });

  it('changes some customers more than once across snapshots', () => {
    const versions = new Map<string, Set<string>>();
    for (const { file, read } of readable.filter(({ file }) => file.dataset === 'customers')) {
      const epoch = /^\d+$/.test(String(read.records[0]?.updated_at));
      for (const r of read.records) {
        if (isEmpty(r.customer_id) || !readsAsDate(column(read.contract, 'updated_at'), r.updated_at))
          continue;
        const at = epoch
          ? new Date(Number(r.updated_at)).toISOString().replace('.000', '')
          : String(r.updated_at);
        versions.set(String(r.customer_id), (versions.get(String(r.customer_id)) ?? new Set()).add(at));
      }
      expect(read.records.length, file.key).toBeGreaterThanOrEqual(200);
    }

    const counts = [...versions.values()].map((set) => set.size);
    expect(counts.filter((n) => n >= 3).length).toBeGreaterThan(0);
    expect(counts.filter((n) => n === 1).length).toBeGreaterThan(counts.length / 2);
  });

  it('adds one unknown-dataset file and one binary file, both expected to be rejected', () => {
    const rejected = demo.filter((f) => f.expected.rejected);
    const broken = demo.find((f) => f.key === UNREADABLE_FILE_KEY);

    expect(rejected.map((f) => f.key).sort()).toEqual([UNREADABLE_FILE_KEY, UNKNOWN_DATASET_KEY].sort());
    for (const file of rejected) {
      expect(file.expected).toEqual({ rows: 0, valid: 0, quarantined: 0, duplicates: 0, rejected: true });
    }
    expect(broken?.body.includes(0)).toBe(true);
  });

  it('summarises the expected counts per dataset', () => {
    const summary = summarizeDemo(demo);

    const transactions = summary.find((s) => s.dataset === 'transactions');
    const files = demo.filter((f) => f.key.startsWith('landing/transactions/'));
    expect(summary.map((s) => s.dataset)).toEqual([
      'customers',
      'accounts',
      'transactions',
      'sales',
      'holdings_movements',
      'stock_movements',
      'customer_profiles',
      'web_events',
      'wire_transfers',
    ]);
    expect(transactions?.files).toBe(files.length);
    expect(transactions?.rejectedFiles).toBe(1);
    expect(transactions?.rows).toBe(files.reduce((sum, f) => sum + f.expected.rows, 0));
    expect(transactions?.planted.negative_amount).toBe(
      files.reduce((sum, f) => sum + (f.planted.negative_amount ?? 0), 0),
    );
  });

  it.each([
    [{ days: 0 }, /days must be a whole number/],
    [{ days: 2.5 }, /days must be a whole number/],
    [{ customers: 0 }, /customers must be/],
    [{ dirtyShare: 0.5 }, /dirtyShare must be/],
    [{ endDate: '2024-02-30' }, /endDate must be a date like 2024-06-30, got '2024-02-30'/],
  ])('rejects the options %o with a DemoOptionsError', (options, message) => {
    expect(() => generateDemo(options)).toThrow(DemoOptionsError);
    expect(() => generateDemo(options)).toThrow(message);
  });
});

describe('the demo world', () => {
  it('uses only cities that reference/cities.csv lists, with the region the demo gives them', async () => {
    const { readFileSync } = await import('node:fs');
    const { CITIES } = await import('../../src/demo/catalog');
    const listed = new Set(
      readFileSync(new URL('../../reference/cities.csv', import.meta.url), 'utf8')
        .split('\n')
        .slice(1)
        .map((line) => (line.startsWith('"') ? line.slice(1, line.indexOf('"', 1)) : line.split(',')[0]))
        .filter((name) => name),
    );
    // Negative control: the reader finds the quoted name and the plain ones.
    expect(listed.has('Washington, D.C.')).toBe(true);
    expect(listed.has('New York')).toBe(true);
    expect(CITIES.map((c) => c.name).filter((name) => !listed.has(name))).toEqual([]);
  });
});
