import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType } from '../../src/contract/types';
import { PAGE_BYTES, PAGE_ROWS } from '../../src/parquet/column-chunk';
import {
  type ByteSink,
  type ColumnValues,
  fileSink,
  memorySink,
  type ParquetColumn,
  ParquetPartWriter,
  ParquetSinkError,
  ParquetWriteError,
  type PartWriterOptions,
  StringColumnBuffer,
} from '../../src/parquet/part-writer';

let folder: string;
let duckdb: DuckDBInstance;
let fileCount = 0;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ledgerlake-parquet-'));
  duckdb = await DuckDBInstance.create(':memory:');
});

afterAll(async () => {
  duckdb.closeSync();
  await rm(folder, { recursive: true, force: true });
});

/** Writes the row groups to a new file and returns its path. */
async function writePart(
  columns: readonly ParquetColumn[],
  rowGroups: readonly (readonly ColumnValues[])[],
  options?: PartWriterOptions,
): Promise<string> {
  fileCount += 1;
  const path = join(folder, `part-${fileCount}.parquet`);
  const writer = new ParquetPartWriter(fileSink(path), columns, options);
  for (const group of rowGroups) await writer.writeRowGroup(group);
  await writer.finish();
  return path;
}

/** Writes one buffered string column as a one-row-group part and returns its path. */
async function writeBuffered(column: ParquetColumn, buffered: StringColumnBuffer): Promise<string> {
  fileCount += 1;
  const path = join(folder, `part-${fileCount}.parquet`);
  const writer = new ParquetPartWriter(fileSink(path), [column]);
  await writer.writeRowGroup([buffered]);
  await writer.finish();
  return path;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const connection = await duckdb.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
  }
}

const TYPES_IN_DUCKDB: [ColumnType, string][] = [
  ['string', 'VARCHAR'],
  ['integer', 'INTEGER'],
  ['double', 'DOUBLE'],
  ['decimal(18,2)', 'DECIMAL(18,2)'],
  ['date', 'DATE'],
  // UTC-adjusted instants (isAdjustedToUTC = true) are what DuckDB calls TIMESTAMP WITH TIME ZONE.
  ['timestamp', 'TIMESTAMP WITH TIME ZONE'],
  ['boolean', 'BOOLEAN'],
];

const SAMPLE_VALUE: Record<ColumnType, unknown> = {
  string: 'x',
  integer: 1,
  double: 1.5,
  'decimal(18,2)': 150,
  date: 0,
  timestamp: 0,
  boolean: true,
};

describe('ParquetPartWriter types', () => {
  it.each(TYPES_IN_DUCKDB)('writes a %s column that DuckDB reads as %s', async (type, duckdbType) => {
    const path = await writePart([{ name: 'value', type }], [[[SAMPLE_VALUE[type]]]]);

    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);

    expect(described.map((row) => [row.column_name, row.column_type])).toEqual([['value', duckdbType]]);
  });

  it('writes decimal(18,2) cents unscaled, including negative and large amounts', async () => {
    const cents = [1234, -1234, 123456789012345, -5, 0, null];

    const path = await writePart([{ name: 'amount', type: 'decimal(18,2)' }], [[cents]]);
    const rows = await query(`SELECT CAST(amount AS VARCHAR) AS amount FROM read_parquet('${path}')`);

    expect(rows.map((row) => row.amount)).toEqual([
      '12.34',
      '-12.34',
      '1234567890123.45',
      '-0.05',
      '0.00',
      null,
    ]);
  });

  it('writes dates as days since 1970-01-01, before and after the epoch', async () => {
    const days = [-1, 0, 19797, -719162, null];

    const path = await writePart([{ name: 'day', type: 'date' }], [[days]]);
    const rows = await query(`SELECT CAST(day AS VARCHAR) AS day FROM read_parquet('${path}')`);

    expect(rows.map((row) => row.day)).toEqual([
      '1969-12-31',
      '1970-01-01',
      '2024-03-15',
      '0001-01-01',
      null,
    ]);
  });

  it('writes timestamps with their milliseconds, before and after the epoch', async () => {
    const millis = [Date.UTC(2024, 2, 15, 10, 35, 0, 123), -1, 0, Date.UTC(1900, 0, 1), null];

    const path = await writePart([{ name: 'event_time', type: 'timestamp' }], [[millis]]);
    const rows = await query(
      `SELECT epoch_ms(event_time) AS millis,
              strftime(timezone('UTC', event_time), '%Y-%m-%d %H:%M:%S.%g') AS text
       FROM read_parquet('${path}')`,
    );

    expect(rows).toEqual([
      { millis: 1710498900123n, text: '2024-03-15 10:35:00.123' },
      { millis: -1n, text: '1969-12-31 23:59:59.999' },
      { millis: 0n, text: '1970-01-01 00:00:00.000' },
      { millis: BigInt(Date.UTC(1900, 0, 1)), text: '1900-01-01 00:00:00.000' },
      { millis: null, text: null },
    ]);
  });

  it('writes strings, integers, doubles and booleans exactly, non-ASCII text included', async () => {
    const columns: ParquetColumn[] = [
      { name: 's', type: 'string' },
      { name: 'i', type: 'integer' },
      { name: 'd', type: 'double' },
      { name: 'b', type: 'boolean' },
    ];
    const values = [
      ['café', 'Zürich 😀', '', 'plain'],
      [2147483647, -2147483648, 0, 42],
      [0.1, -1e300, 3.5, Number.MIN_VALUE],
      [true, false, true, false],
    ];

    const path = await writePart(columns, [values]);
    const rows = await query(`SELECT * FROM read_parquet('${path}')`);

    expect(rows).toEqual(
      values[0]!.map((_, i) => ({ s: values[0]![i], i: values[1]![i], d: values[2]![i], b: values[3]![i] })),
    );
  });

  it.each(TYPES_IN_DUCKDB.map(([type]) => type))(
    'writes null values of an optional %s column as NULL',
    async (type) => {
      const path = await writePart([{ name: 'value', type }], [[[null, SAMPLE_VALUE[type], undefined]]]);

      const rows = await query(`SELECT value IS NULL AS missing FROM read_parquet('${path}')`);

      expect(rows.map((row) => row.missing)).toEqual([true, false, true]);
    },
  );

  it('marks required columns REQUIRED and optional ones OPTIONAL in the schema', async () => {
    const path = await writePart(
      [
        { name: 'id', type: 'string', required: true },
        { name: 'note', type: 'string' },
      ],
      [[['a'], [null]]],
    );

    const schema = await query(
      `SELECT name, repetition_type FROM parquet_schema('${path}') WHERE name <> 'duckdb_schema' AND num_children IS NULL`,
    );

    expect(schema).toEqual([
      { name: 'id', repetition_type: 'REQUIRED' },
      { name: 'note', repetition_type: 'OPTIONAL' },
    ]);
  });

  it('sets DECIMAL(18,2) as converted and logical type and a UTC-adjusted microsecond timestamp', async () => {
    const path = await writePart(
      [
        { name: 'amount', type: 'decimal(18,2)' },
        { name: 'at', type: 'timestamp' },
      ],
      [[[1], [1]]],
    );

    const schema = await query(
      `SELECT name, type, converted_type, precision, scale, logical_type FROM parquet_schema('${path}') WHERE type IS NOT NULL`,
    );

    expect(schema).toEqual([
      expect.objectContaining({
        name: 'amount',
        type: 'INT64',
        converted_type: 'DECIMAL',
        precision: 18n,
        scale: 2n,
      }),
      expect.objectContaining({ name: 'at', type: 'INT64', converted_type: 'TIMESTAMP_MICROS' }),
    ]);
    expect(String(schema[0]!.logical_type)).toMatch(/DecimalType\(scale=2, precision=18\)/);
    expect(String(schema[1]!.logical_type)).toMatch(
      /TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\)/,
    );
  });
});

describe('ParquetPartWriter row groups and metadata', () => {
  const columns: ParquetColumn[] = [
    { name: 'source_line', type: 'integer', required: true },
    { name: 'transaction_id', type: 'string', required: true },
    { name: 'customer_id', type: 'string', required: true },
    { name: 'status', type: 'string' },
  ];
  const STATUSES = ['completed', 'pending', 'failed'];
  /** Rows numbered from `start`: unique ids, 5000 customers, 3 statuses. */
  function group(start: number, count: number): unknown[][] {
    const lines = Array.from({ length: count }, (_, i) => start + i);
    return [
      lines,
      lines.map((n) => `T${String(n).padStart(8, '0')}`),
      lines.map((n) => `C${String((n * 7919) % 5000).padStart(5, '0')}`),
      lines.map((n) => STATUSES[n % 3]!),
    ];
  }

  it('reads several row groups back as one table, in row order', async () => {
    const sizes = [20_000, 7, 12_000];
    const starts = [0, 20_000, 20_007];

    const path = await writePart(
      columns,
      sizes.map((size, i) => group(starts[i]!, size)),
    );
    const rows = await query(
      `SELECT count(*) AS rows, bool_and(source_line = row_number - 1) AS in_order
       FROM (SELECT source_line, row_number() OVER () AS row_number FROM read_parquet('${path}'))`,
    );
    const metadata = await query(
      `SELECT row_group_id, any_value(row_group_num_rows) AS rows FROM parquet_metadata('${path}') GROUP BY ALL ORDER BY 1`,
    );

    expect(rows).toEqual([{ rows: 32_007n, in_order: true }]);
    expect(metadata).toEqual([
      { row_group_id: 0n, rows: 20_000n },
      { row_group_id: 1n, rows: 7n },
      { row_group_id: 2n, rows: 12_000n },
    ]);
  });

  it('dictionary-encodes low- and mid-cardinality strings and writes unique ids plain', async () => {
    const path = await writePart(columns, [group(0, 50_000)]);

    const chunks = await query(
      `SELECT path_in_schema AS column, encodings FROM parquet_metadata('${path}') ORDER BY column_id`,
    );

    expect(chunks).toEqual([
      { column: 'source_line', encodings: expect.not.stringContaining('DICTIONARY') },
      { column: 'transaction_id', encodings: 'PLAIN' },
      { column: 'customer_id', encodings: expect.stringContaining('RLE_DICTIONARY') },
      { column: 'status', encodings: expect.stringContaining('RLE_DICTIONARY') },
    ]);
  });

  it.each(['SNAPPY', 'GZIP', 'UNCOMPRESSED'] as const)(
    'compresses pages with %s when asked',
    async (codec) => {
      const path = await writePart(columns, [group(0, 1000)], { codec });

      const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
      const rows = await query(`SELECT count(DISTINCT transaction_id) AS ids FROM read_parquet('${path}')`);

      expect(codecs).toEqual([{ compression: codec }]);
      expect(rows).toEqual([{ ids: 1000n }]);
    },
  );

  it('compresses with SNAPPY by default', async () => {
    const path = await writePart(columns, [group(0, 10)]);

    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);

    expect(codecs).toEqual([{ compression: 'SNAPPY' }]);
  });

  it('stores the key/value metadata and created_by in the footer', async () => {
    const path = await writePart(columns, [group(0, 10)], {
      kvMetadata: { dataset: 'transactions', source_key: 'landing/transactions/a.csv' },
      createdBy: 'ledgerlake test',
    });

    const kv = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${path}') ORDER BY key`,
    );
    const meta = await query(`SELECT created_by FROM parquet_file_metadata('${path}')`);

    expect(kv).toEqual([
      { key: 'dataset', value: 'transactions' },
      { key: 'source_key', value: 'landing/transactions/a.csv' },
    ]);
    expect(meta).toEqual([{ created_by: 'ledgerlake test' }]);
  });

  it('writes min, max and null count statistics that readers can use to skip row groups', async () => {
    const statsColumns: ParquetColumn[] = [
      { name: 'amount', type: 'decimal(18,2)' },
      { name: 'at', type: 'timestamp' },
      { name: 'day', type: 'date' },
      { name: 'n', type: 'integer' },
      { name: 'ratio', type: 'double' },
      { name: 'city', type: 'string' },
      { name: 'id', type: 'string' },
    ];
    const values = [
      [500, -1234, null, 99],
      [Date.UTC(2024, 0, 2), Date.UTC(2024, 0, 1, 0, 0, 0, 5), null, Date.UTC(2024, 0, 3)],
      [3, 1, null, 2],
      [7, -3, null, 5],
      [0.5, Number.NaN, null, -2.25],
      ['Lyon', 'Paris', null, 'Lyon'],
      // UTF-8 order puts the emoji (F0 9F ...) after U+FF21 (EF BC A1); UTF-16 order would not.
      ['\uFF21', 'a', null, '😀'],
    ];

    const path = await writePart(statsColumns, [values]);
    const stats = await query(
      `SELECT path_in_schema AS column, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls
       FROM parquet_metadata('${path}') ORDER BY column_id`,
    );

    expect(stats).toEqual([
      { column: 'amount', min: '-12.34', max: '5.00', nulls: 1n },
      { column: 'at', min: '2024-01-01 00:00:00.005+00', max: '2024-01-03 00:00:00+00', nulls: 1n },
      { column: 'day', min: '1970-01-02', max: '1970-01-04', nulls: 1n },
      { column: 'n', min: '-3', max: '7', nulls: 1n },
      { column: 'ratio', min: '-2.25', max: '0.5', nulls: 1n },
      { column: 'city', min: 'Lyon', max: 'Paris', nulls: 1n },
      { column: 'id', min: 'a', max: '😀', nulls: 1n },
    ]);
  });

  it('leaves the statistics out when asked', async () => {
    const path = await writePart([{ name: 'n', type: 'integer' }], [[[1, 2, null]]], { statistics: false });

    const stats = await query(
      `SELECT stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls FROM parquet_metadata('${path}')`,
    );

    expect(stats).toEqual([{ min: null, max: null, nulls: null }]);
  });

  it('lets DuckDB prune row groups with the statistics', async () => {
    const path = await writePart(columns, [group(0, 1000), group(1000, 1000)]);

    const rows = await query(`SELECT count(*) AS n FROM read_parquet('${path}') WHERE source_line >= 1500`);

    expect(rows).toEqual([{ n: 500n }]);
  });
});

describe('ParquetPartWriter sinks', () => {
  const columns: ParquetColumn[] = [
    { name: 'id', type: 'string', required: true },
    { name: 'amount', type: 'decimal(18,2)' },
  ];
  const groups = [0, 1, 2].map((g) => [
    Array.from({ length: 3000 }, (_, i) => `T${g}-${i}`),
    Array.from({ length: 3000 }, (_, i) => i * 7 - g),
  ]);

  /** A sink whose writes take a while and which fails if the writer does not wait for them. */
  function slowSink(): ByteSink & { chunks: Uint8Array[]; closed: boolean } {
    let inFlight = false;
    const sink = {
      chunks: [] as Uint8Array[],
      closed: false,
      async write(chunk: Uint8Array) {
        if (inFlight) throw new Error('write() called before the previous write resolved');
        inFlight = true;
        await new Promise((resolve) => setTimeout(resolve, 20));
        sink.chunks.push(chunk);
        inFlight = false;
      },
      async close() {
        if (inFlight) throw new Error('close() called before the last write resolved');
        sink.closed = true;
      },
    };
    return sink;
  }

  it('waits for a slow sink and delivers every byte in order', async () => {
    const direct = await writePart(columns, groups);
    const sink = slowSink();

    const writer = new ParquetPartWriter(sink, columns);
    for (const group of groups) await writer.writeRowGroup(group);
    const totals = await writer.finish();

    const expected = await readFile(direct);
    expect(sink.closed).toBe(true);
    expect(sink.chunks.length).toBeGreaterThan(3);
    expect(Buffer.concat(sink.chunks).equals(expected)).toBe(true);
    expect(totals).toEqual({ rows: 9000, bytes: expected.length, rowGroups: 3 });
  });

  it('gives the same bytes to a memory sink as to a file sink', async () => {
    const direct = await writePart(columns, groups);
    const sink = memorySink();

    const writer = new ParquetPartWriter(sink, columns);
    for (const group of groups) await writer.writeRowGroup(group);
    await writer.finish();

    expect(Buffer.from(sink.bytes()).equals(await readFile(direct))).toBe(true);
  });

  it('creates the parent folders of a file sink', async () => {
    const path = join(folder, 'nested', 'dt=2024-03-15', 'part-0.parquet');

    const writer = new ParquetPartWriter(fileSink(path), columns);
    await writer.writeRowGroup(groups[0]!);
    const totals = await writer.finish();

    expect((await stat(path)).size).toBe(totals.bytes);
  });

  it('reports a file sink that cannot be written as a ParquetSinkError naming the file', async () => {
    const path = join(folder, 'a-folder.parquet');
    await mkdir(path);

    const writer = new ParquetPartWriter(fileSink(path), columns);
    const failure = writer.writeRowGroup(groups[0]!).then(() => writer.finish());

    await expect(failure).rejects.toThrow(ParquetSinkError);
    await expect(failure).rejects.toThrow(path);
  });
});

describe('ParquetPartWriter edge cases', () => {
  const columns: ParquetColumn[] = [
    { name: 'id', type: 'string', required: true },
    { name: 'amount', type: 'decimal(18,2)' },
  ];

  it('writes a valid file with zero rows that keeps the schema', async () => {
    fileCount += 1;
    const path = join(folder, `empty-${fileCount}.parquet`);

    const writer = new ParquetPartWriter(fileSink(path), columns);
    await writer.writeRowGroup([[], []]);
    const totals = await writer.finish();
    const rows = await query(`SELECT count(*) AS n FROM read_parquet('${path}')`);
    const described = await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`);

    expect(totals).toEqual({ rows: 0, bytes: (await stat(path)).size, rowGroups: 0 });
    expect(rows).toEqual([{ n: 0n }]);
    expect(described.map((row) => row.column_type)).toEqual(['VARCHAR', 'DECIMAL(18,2)']);
  });

  it.each([
    [
      'a null in a required column',
      [
        ['a', null],
        [1, 2],
      ],
      /row group 0, row 1: column id is required/,
    ],
    [
      'a number in a string column',
      [
        ['a', 5],
        [1, 2],
      ],
      /column id \(string\) expects a string, got number 5/,
    ],
    [
      'fractional cents',
      [
        ['a', 'b'],
        [1, 2.5],
      ],
      /column amount \(decimal\(18,2\)\) expects an integer number of cents, got number 2.5/,
    ],
    ['too few column arrays', [['a']], /has 1 column arrays but the part declares 2 columns \(id, amount\)/],
    ['columns of different lengths', [['a', 'b'], [1]], /column amount has 1 values, column id has 2/],
  ])('rejects %s with a ParquetWriteError', async (_case, group, message) => {
    const writer = new ParquetPartWriter(memorySink(), columns);

    const failure = writer.writeRowGroup(group);

    await expect(failure).rejects.toThrow(ParquetWriteError);
    await expect(failure).rejects.toThrow(message);
  });

  it.each([
    ['an integer outside the 32-bit range', 'integer', 2 ** 31],
    ['a fractional integer', 'integer', 1.5],
    ['a date as a string', 'date', '2024-03-15'],
    ['a timestamp as a Date object', 'timestamp', new Date(0)],
    ['a boolean as a number', 'boolean', 1],
  ] as const)('rejects %s', async (_case, type, value) => {
    const writer = new ParquetPartWriter(memorySink(), [{ name: 'value', type }]);

    await expect(writer.writeRowGroup([[value]])).rejects.toThrow(/row group 0, row 0: column value/);
  });

  it('refuses to write after finish()', async () => {
    const writer = new ParquetPartWriter(memorySink(), columns);
    await writer.finish();

    await expect(writer.writeRowGroup([['a'], [1]])).rejects.toThrow(/after finish\(\)/);
  });

  it('refuses a second row group while the first is still being written', async () => {
    const writer = new ParquetPartWriter(
      { write: () => new Promise((resolve) => setTimeout(resolve, 20)), close: async () => {} },
      columns,
    );

    const first = writer.writeRowGroup([['a'], [1]]);
    const second = writer.writeRowGroup([['b'], [2]]);

    await expect(second).rejects.toThrow(/await each call/);
    await expect(first).resolves.toBeUndefined();
  });

  it('refuses two columns with the same name', () => {
    expect(() => new ParquetPartWriter(memorySink(), [columns[0]!, columns[0]!])).toThrow(
      /column id is declared twice/,
    );
  });
});

describe('ParquetPartWriter with typed number columns', () => {
  it('writes typed numbers (nulls included, capacity beyond length ignored) as it writes the same JS values', async () => {
    const columns: ParquetColumn[] = [
      { name: 'amount', type: 'decimal(18,2)' },
      { name: 'at', type: 'timestamp' },
      { name: 'n', type: 'integer' },
      { name: 'x', type: 'double' },
    ];
    const rows = 3000;
    const js: unknown[][] = [[], [], [], []];
    const typed = columns.map(() => ({
      numbers: new Float64Array(rows + 100),
      isNull: new Uint8Array(rows + 100),
      length: rows,
    }));
    for (let i = 0; i < rows; i++) {
      const values = [
        i % 7 === 0 ? null : i * 25,
        1_717_236_000_000 + i * 1000,
        i % 5 === 0 ? null : i % 3,
        i / 8,
      ];
      values.forEach((value, c) => {
        js[c]!.push(value);
        if (value === null) typed[c]!.isNull[i] = 1;
        else typed[c]!.numbers[i] = value as number;
      });
    }
    // Past `length`: must not be written.
    for (const column of typed) column.numbers.fill(123, rows);
    const fromJs = await writePart(columns, [js]);
    fileCount += 1;
    const fromTyped = join(folder, `part-${fileCount}.parquet`);
    const writer = new ParquetPartWriter(fileSink(fromTyped), columns);
    await writer.writeRowGroup(typed);
    await writer.finish();
    const read = (path: string) => query(`SELECT * FROM read_parquet('${path}')`);
    const expected = await read(fromJs);
    expect(expected).toHaveLength(rows);
    expect(await read(fromTyped)).toEqual(expected);
    expect(expected.filter((row) => row.amount === null)).toHaveLength(Math.ceil(rows / 7));
    const stats = `SELECT path_in_schema, stats_min, stats_max, stats_null_count FROM parquet_metadata('%') ORDER BY 1`;
    expect(await query(stats.replace('%', fromTyped))).toEqual(await query(stats.replace('%', fromJs)));
  });

  it('refuses typed numbers for a string column', async () => {
    const writer = new ParquetPartWriter(memorySink(), [{ name: 's', type: 'string' }]);
    await expect(
      writer.writeRowGroup([{ numbers: new Float64Array(1), isNull: undefined, length: 1 }]),
    ).rejects.toThrow(/column s \(string\) was given typed numbers/);
  });
});

describe('ParquetPartWriter with buffered string columns', () => {
  const column: ParquetColumn = { name: 's', type: 'string' };
  const marks = ['\uFF21', 'a', '😀', 'é', 'z', ''];
  // Customers drawn at random, as in a day of transactions (a seeded LCG, so the test is repeatable).
  let seed = 7;
  const customers = Array.from({ length: 20_000 }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % 5000;
  });
  /** Value generators by row, and the encoding the buffered column must get. */
  const cases: [string, number, (i: number) => string | null, 'PLAIN' | 'RLE_DICTIONARY'][] = [
    [
      'a few values with nulls',
      10_000,
      (i) => (i % 9 === 0 ? null : ['upi', 'debit_card', 'x'][i % 3]!),
      'RLE_DICTIONARY',
    ],
    ['5,000 customer ids in 20,000 rows', 20_000, (i) => `C${customers[i]}`, 'RLE_DICTIONARY'],
    ['unique ids (found by the first 4,096 values)', 10_000, (i) => `T${i}`, 'PLAIN'],
    [
      'unique non-ASCII values, in UTF-8 order',
      6000,
      (i) => (i % 11 === 0 ? null : `${marks[i % 6]}${i}`),
      'PLAIN',
    ],
    // Half a surrogate pair is written as U+FFFD (EF BF BD), and must be ordered so in the statistics.
    [
      'unpaired surrogates among U+E000 and U+FFFD',
      3000,
      (i) => `${['\ud800', '\ue000', 'b', '\ufffd', '\udfffa'][i % 5]}${i % 40}`,
      'RLE_DICTIONARY',
    ],
    [
      'unique values with unpaired surrogates',
      6000,
      (i) => `${['\ud800', '\ue000', '\ufffd', '\ud800b'][i % 4]}${i}`,
      'PLAIN',
    ],
    // Each value is the new max: compared by its bytes, not copied.
    ['ascending ids of 13 characters', 6000, (i) => `TX-${String(i).padStart(10, '0')}`, 'PLAIN'],
    [
      'unique values of 13 characters and more (min and max kept as ranges of the bytes)',
      6000,
      (i) => `${marks[i % 6]}${i}-a-longer-value`,
      'PLAIN',
    ],
    // Repeats through the first 4,096 rows, then more distinct values than a dictionary holds.
    ['70,000 distinct values after 5,000 repeats', 75_000, (i) => (i < 5000 ? 'same' : `v${i}`), 'PLAIN'],
    // Each value twice in a row: the sample keeps the dictionary, which then does not pay.
    ['3,000 values each twice: a dictionary that does not pay', 6000, (i) => `value-${i >> 1}`, 'PLAIN'],
  ];

  it.each(cases)(
    'writes %s as the same JS values would be written',
    async (_name, rows, valueAt, encoding) => {
      const values = Array.from({ length: rows }, (_, i) => valueAt(i));
      const buffered = new StringColumnBuffer();
      for (const value of values) buffered.push(value, column);
      const fromJs = await writePart([column], [[values]]);
      const fromBuffer = await writeBuffered(column, buffered);

      const read = (path: string) => query(`SELECT s FROM read_parquet('${path}')`);
      // The footer's own statistics (DuckDB shows long string bounds cut short).
      const footer = async (path: string) => {
        const bytes = await readFile(path);
        const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
        return meta.row_groups[0]!.columns[0]!.meta_data!;
      };
      // What is stored: UTF-8, where half a surrogate pair becomes U+FFFD.
      const stored = values.map((v) => (v === null ? null : Buffer.from(v, 'utf8').toString('utf8')));
      // Bounds worked out independently: UTF-8 byte order is Parquet's order for strings.
      const present = stored.filter((v): v is string => v !== null);
      const byBytes = [...present].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const written = await read(fromBuffer);
      const chunk = await footer(fromBuffer);

      expect(written).toEqual(stored.map((s) => ({ s })));
      expect(await read(fromJs)).toEqual(written);
      expect(chunk.statistics).toEqual((await footer(fromJs)).statistics);
      // hyparquet-writer cuts bounds longer than 16 bytes: a shorter min, a greater max.
      const { min_value: min, max_value: max, null_count: nulls } = chunk.statistics!;
      const [least, greatest] = [byBytes[0]!, byBytes.at(-1)!];
      if (Buffer.byteLength(least) <= 16) expect(min).toBe(least);
      else expect(least.startsWith(String(min))).toBe(true);
      if (Buffer.byteLength(greatest) <= 16) expect(max).toBe(greatest);
      else expect(Buffer.compare(Buffer.from(String(max)), Buffer.from(greatest))).toBe(1);
      expect(nulls).toBe(BigInt(values.length - present.length));
      expect(chunk.encodings).toContain(encoding);
      if (encoding === 'PLAIN') expect(chunk.encodings).not.toContain('RLE_DICTIONARY');
    },
  );

  it('starts the later buffers of an id column in the PLAIN form, with the same values written', async () => {
    const hint = { idColumn: false };
    const first = new StringColumnBuffer(hint);
    for (let i = 0; i < 5000; i++) first.push(`T${i}`, column);
    const second = new StringColumnBuffer(hint);
    const values = ['T9', null, 'T10', 'T9'];
    for (const value of values) second.push(value, column);
    const path = await writeBuffered(column, second);

    expect(hint.idColumn).toBe(true);
    expect(new StringColumnBuffer().entries).toEqual([]);
    expect(second.entries).toBeUndefined();
    expect(await query(`SELECT s FROM read_parquet('${path}')`)).toEqual(values.map((s) => ({ s })));
    expect(
      await query(`SELECT stats_min_value AS min, stats_max_value AS max FROM parquet_metadata('${path}')`),
    ).toEqual([{ min: 'T10', max: 'T9' }]);
  });

  it('finds values by their codes, a value with two codes included, and writes what it was given', async () => {
    // 300 customers in 6,000 rows; each customer has two codes (two spellings of one value), some rows none.
    const buffered = new StringColumnBuffer();
    const values: string[] = [];
    for (let i = 0; i < 6000; i++) {
      const customer = customers[i]! % 300;
      const code = i % 5 === 0 ? -1 : customer + 300 * (i % 2);
      values.push(`C${customer}`);
      buffered.push(`C${customer}`, column, code);
    }
    const fromJs = await writePart([column], [[values]]);
    const fromBuffer = await writeBuffered(column, buffered);

    const read = (path: string) => query(`SELECT s FROM read_parquet('${path}')`);
    expect(await read(fromBuffer)).toEqual(values.map((s) => ({ s })));
    expect(await read(fromJs)).toEqual(await read(fromBuffer));
    // One dictionary entry per value, whatever its codes.
    expect(buffered.entries).toHaveLength(300);
  });

  it('refuses a value that is not a string, naming the column', () => {
    const buffered = new StringColumnBuffer();
    expect(() => buffered.push(12, column)).toThrow(/column s \(string\) expects a string, got number 12/);
  });

  it('refuses a null in a required column, naming its row', async () => {
    const buffered = new StringColumnBuffer();
    for (const value of ['a', 'b', null]) buffered.push(value, column);
    const writer = new ParquetPartWriter(memorySink(), [{ ...column, required: true }]);

    await expect(writer.writeRowGroup([buffered])).rejects.toThrow(
      /row group 0, row 2: column s is required but the value is null/,
    );
  });

  it('refuses buffered strings for a column of another type', async () => {
    const writer = new ParquetPartWriter(memorySink(), [{ name: 'n', type: 'integer' }]);
    const buffered = new StringColumnBuffer();
    buffered.push('1', column);

    await expect(writer.writeRowGroup([buffered])).rejects.toThrow(
      /column n \(integer\) was given buffered strings/,
    );
  });
});

describe('ParquetPartWriter after a refused row group', () => {
  it('leaves the part as it was: later row groups and the footer make a readable file', async () => {
    fileCount += 1;
    const path = join(folder, `part-${fileCount}.parquet`);
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string' },
      { name: 'amount', type: 'decimal(18,2)' },
    ];
    const writer = new ParquetPartWriter(fileSink(path), columns);
    await writer.writeRowGroup([
      ['a', 'b'],
      [100, 200],
    ]);
    // The second column is refused after the first was already encoded and written.
    await expect(writer.writeRowGroup([['c'], ['not cents']])).rejects.toThrow(
      /row group 1, row 0: column amount/,
    );
    await writer.writeRowGroup([['d'], [null]]);
    const totals = await writer.finish();
    expect(totals.rows).toBe(3);
    expect(await query(`SELECT id, amount FROM read_parquet('${path}') ORDER BY id`)).toEqual([
      { id: 'a', amount: 1 },
      { id: 'b', amount: 2 },
      { id: 'd', amount: null },
    ]);
    // Byte for byte the part that never saw the refused row group: none of its bytes stayed.
    const clean = await writePart(columns, [
      [
        ['a', 'b'],
        [100, 200],
      ],
      [['d'], [null]],
    ]);
    expect(await readFile(path)).toEqual(await readFile(clean));
  });
});

/** The data pages of each column chunk of a part, read from their page headers: rows and nulls per page. */
async function dataPages(path: string): Promise<{ rows: number; nulls: number }[][][]> {
  const bytes = await readFile(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const view = new DataView(buffer);
  return parquetMetadata(buffer).row_groups.map((group) =>
    group.columns.map((chunk) => {
      const meta = chunk.meta_data!;
      const start = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      const end = start + Number(meta.total_compressed_size);
      const reader = { view, offset: start };
      const pages: { rows: number; nulls: number }[] = [];
      while (reader.offset < end) {
        const header = parquetHeader(reader);
        if (header.type === 'DATA_PAGE_V2') {
          pages.push({
            rows: header.data_page_header_v2!.num_rows,
            nulls: header.data_page_header_v2!.num_nulls,
          });
        }
        reader.offset += header.compressed_page_size;
      }
      expect(reader.offset).toBe(end);
      return pages;
    }),
  );
}

describe('ParquetPartWriter pages', () => {
  it('cuts a large row group into pages of bounded rows and bytes that read back as the values', async () => {
    const rows = 100_000;
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string', required: true },
      { name: 'customer', type: 'string' },
      { name: 'note', type: 'string' },
      { name: 'amount', type: 'decimal(18,2)' },
      { name: 'rate', type: 'double' },
      { name: 'flag', type: 'boolean' },
    ];
    const ids = Array.from({ length: rows }, (_, i) => `T${String(i).padStart(9, '0')}`);
    const customers = Array.from({ length: rows }, (_, i) => (i % 13 === 0 ? null : `C${(i * 7919) % 500}`));
    // About 120 bytes each: 12 MB of PLAIN strings, cut by bytes before rows.
    const notes = Array.from({ length: rows }, (_, i) =>
      i % 17 === 0 ? null : `${i}:${'n'.repeat(110 + (i % 7))}`,
    );
    const amounts = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? null : i * 37 - 50_000));
    const rates = Array.from({ length: rows }, (_, i) => (i % 40) / 8);
    const flags = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? null : i % 2 === 0));
    const buffered = new StringColumnBuffer();
    for (const id of ids) buffered.push(id, columns[0]!);
    const path = await writePart(columns, [[ids, customers, notes, amounts, rates, flags]]);
    const fromBuffer = await writePart(columns, [[buffered, customers, notes, amounts, rates, flags]]);

    const read = await query(
      `SELECT id, customer, note, CAST(amount * 100 AS BIGINT) AS cents, rate, flag FROM read_parquet('${path}')`,
    );
    expect(read).toHaveLength(rows);
    read.forEach((row, i) => {
      expect(row).toEqual({
        id: ids[i],
        customer: customers[i],
        note: notes[i],
        cents: amounts[i] === null ? null : BigInt(amounts[i]!),
        rate: rates[i],
        flag: flags[i],
      });
    });
    expect(await query(`SELECT * FROM read_parquet('${fromBuffer}')`)).toEqual(
      await query(`SELECT * FROM read_parquet('${path}')`),
    );
    // A second reader of the pages: hyparquet (what ingest reads Parquet sources with).
    const bytes = await readFile(path);
    const objects = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      columns: ['id', 'customer', 'note', 'flag'],
    });
    expect(objects.map((o) => [o.id, o.customer, o.note, o.flag])).toEqual(
      ids.map((id, i) => [id, customers[i], notes[i], flags[i]]),
    );

    const [chunks] = await dataPages(path);
    const nullsOf = (values: readonly unknown[]) => values.filter((v) => v === null).length;
    const expectedNulls = [0, nullsOf(customers), nullsOf(notes), nullsOf(amounts), 0, nullsOf(flags)];
    chunks!.forEach((pages, c) => {
      expect(pages.reduce((sum, page) => sum + page.rows, 0)).toBe(rows);
      expect(pages.reduce((sum, page) => sum + page.nulls, 0)).toBe(expectedNulls[c]);
      for (const page of pages) expect(page.rows).toBeLessThanOrEqual(PAGE_ROWS);
    });
    const byRows = Math.ceil(rows / PAGE_ROWS);
    // Rows bound the pages of ids, customers (dictionary indexes), amounts, rates and flags (bits).
    expect(chunks!.map((pages) => pages.length)).toEqual([
      byRows,
      byRows,
      expect.any(Number),
      byRows,
      byRows,
      byRows,
    ]);
    // Bytes bound the notes' pages: about 12 MB of them in pages of about a megabyte.
    const noteBytes = notes.reduce((sum, note) => sum + (note === null ? 0 : 4 + note.length), 0);
    expect(chunks![2]!.length).toBeGreaterThanOrEqual(Math.floor(noteBytes / (PAGE_BYTES + 200)));
    expect((await dataPages(fromBuffer))[0]!.map((pages) => pages.length)).toEqual(
      chunks!.map((pages) => pages.length),
    );
  });

  it('writes a string longer than a page as a page of its own', async () => {
    const column: ParquetColumn = { name: 's', type: 'string' };
    const values = ['a', 'x'.repeat(PAGE_BYTES + 10), null, 'b', 'c'];
    const path = await writePart([column], [[values]]);
    expect(await query(`SELECT s FROM read_parquet('${path}')`)).toEqual(values.map((s) => ({ s })));
    expect((await dataPages(path))[0]![0]).toEqual([
      { rows: 2, nulls: 0 },
      { rows: 3, nulls: 1 },
    ]);
  });

  it('drops a refused row group that already spanned several write segments', async () => {
    fileCount += 1;
    const path = join(folder, `part-${fileCount}.parquet`);
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string' },
      { name: 'amount', type: 'decimal(18,2)' },
    ];
    // 3 MB of unique strings: the refused group's first column fills several 1 MB segments.
    const big = Array.from({ length: 20_000 }, (_, i) => `${i}-${'z'.repeat(150)}`);
    const writer = new ParquetPartWriter(fileSink(path), columns, { codec: 'UNCOMPRESSED' });
    await writer.writeRowGroup([['a'], [100]]);
    await expect(writer.writeRowGroup([big, big.map(() => 'not cents')])).rejects.toThrow(
      /row group 1, row 0: column amount/,
    );
    await writer.writeRowGroup([['d'], [null]]);
    await writer.finish();
    const clean = await writePart(
      columns,
      [
        [['a'], [100]],
        [['d'], [null]],
      ],
      { codec: 'UNCOMPRESSED' },
    );
    expect(await readFile(path)).toEqual(await readFile(clean));
  });
});

describe('ParquetPartWriter with constant columns', () => {
  const cases: [ColumnType, unknown, boolean][] = [
    ['string', 'landing/transactions/2024/01/x.csv', true],
    ['string', 'Zürich 😀', false],
    ['timestamp', 1_700_000_000_123, true],
    ['decimal(18,2)', -12_345, false],
    ['integer', 7, false],
    ['double', -0.5, false],
    ['double', Number.NaN, false],
    ['date', 19_700, false],
    ['boolean', true, false],
    ['string', null, false],
  ];
  it.each(cases)(
    'writes a %s constant (%s) as its values would be written',
    async (type, constant, required) => {
      const rows = 70_000;
      const columns: ParquetColumn[] = [
        { name: 'c', type, required },
        { name: 'n', type: 'integer', required: true },
      ];
      const numbers = Array.from({ length: rows }, (_, i) => i);
      const path = await writePart(columns, [
        [{ constant, length: rows }, numbers],
        [{ constant, length: 3 }, [0, 1, 2]],
      ]);
      const fromValues = await writePart(columns, [
        [new Array(rows).fill(constant), numbers],
        [new Array(3).fill(constant), [0, 1, 2]],
      ]);
      const read = (file: string) => query(`SELECT c, n FROM read_parquet('${file}')`);
      const stats = (file: string) =>
        query(
          `SELECT row_group_id, stats_min_value, stats_max_value, stats_null_count, num_values
         FROM parquet_metadata('${file}') WHERE path_in_schema = 'c' ORDER BY row_group_id`,
        );
      const written = await read(path);
      expect(written).toHaveLength(rows + 3);
      expect(new Set(written.map((row) => String(row.c))).size).toBe(1);
      expect(written).toEqual(await read(fromValues));
      expect(await stats(path)).toEqual(await stats(fromValues));
    },
  );

  it('refuses a constant of the wrong type, or null in a required column', async () => {
    const writer = new ParquetPartWriter(memorySink(), [
      { name: 'c', type: 'decimal(18,2)', required: true },
    ]);
    await expect(writer.writeRowGroup([{ constant: 'x', length: 5 }])).rejects.toThrow(/column c .* expects/);
    await expect(writer.writeRowGroup([{ constant: null, length: 5 }])).rejects.toThrow(
      /column c is required/,
    );
  });
});
