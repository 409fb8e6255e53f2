import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartitionedWriter } from '../../src/ingest/partitioned-writer';
import type { ParquetColumn } from '../../src/parquet/part-writer';

let folder: string;
let duckdb: DuckDBInstance;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ledgerlake-partitions-'));
  duckdb = await DuckDBInstance.create(':memory:');
});

afterAll(async () => {
  duckdb.closeSync();
  await rm(folder, { recursive: true, force: true });
});

const COLUMNS: ParquetColumn[] = [
  { name: 'id', type: 'string', required: true },
  { name: 'amount', type: 'decimal(18,2)' },
  { name: 'at', type: 'timestamp', required: true },
  { name: 'source', type: 'string', required: true },
  { name: 'loaded_at', type: 'timestamp', required: true },
];

describe('PartitionedWriter', () => {
  it('writes every row to its day, numbers (nulls too) and constants intact, across row groups', async () => {
    const writer = new PartitionedWriter(
      COLUMNS,
      { source: 'landing/x.csv', loaded_at: 1_700_000_000_000 },
      join(folder, 'a'),
      'part',
      { rowGroupSize: 1500 },
    );
    const expected = new Map<number, unknown[][]>();
    for (let i = 0; i < 5000; i++) {
      const day = 19_000 + (i % 3 === 0 ? 0 : 1);
      const row = [`T${i}`, i % 11 === 0 ? null : i * 3, day * 86_400_000 + i];
      const written = writer.add(day, row);
      if (written) await written;
      expected.set(day, [...(expected.get(day) ?? []), row]);
    }
    const parts = await writer.finish();
    expect(parts.map((p) => [p.day, p.rows])).toEqual([
      [19_000, 1667],
      [19_001, 3333],
    ]);
    const connection = await duckdb.connect();
    for (const part of parts) {
      const rows = (
        await connection.runAndReadAll(
          `SELECT id, CAST(amount * 100 AS BIGINT) AS cents, epoch_ms("at") AS event_ms, source, epoch_ms(loaded_at) AS loaded
           FROM read_parquet('${part.path}') ORDER BY CAST(substr(id, 2) AS INTEGER)`,
        )
      ).getRows();
      const want = expected.get(part.day)!;
      expect(rows).toHaveLength(want.length);
      rows.forEach((row, r) => {
        const [id, cents, at] = want[r]!;
        expect([
          row[0],
          row[1] === null ? null : Number(row[1]),
          Number(row[2]),
          row[3],
          Number(row[4]),
        ]).toEqual([id, cents, at, 'landing/x.csv', 1_700_000_000_000]);
      });
    }
    connection.closeSync();
  });

  it('holds rows of thousands of small day partitions in memory that follows the rows, not the days', () => {
    const writer = new PartitionedWriter(
      COLUMNS,
      { source: 's', loaded_at: 0 },
      join(folder, 'many-days'),
      'part',
    );
    const before = process.memoryUsage().arrayBuffers;
    for (let day = 0; day < 4000; day++) {
      for (let i = 0; i < 3; i++) writer.add(day, [`T${day}-${i}`, i, day * 86_400_000]);
    }
    // 12,000 rows of two number columns: well under 1 MB. (A fixed 1024-row buffer per day and
    // column would take 64 MB.)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('writes the next day into the emptied buffers of a full row group, nothing of the last group kept', async () => {
    // Time-ordered days of 12,000 rows in groups of 5,000: a day's first group leaves its buffers to
    // the next day. Day 1 has nulls, codes in one order and high ids; day 2 none of these, day 3 nulls
    // elsewhere. The ids
    // are an id column (its first 4,096 values distinct): its later buffers hold PLAIN bytes.
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string', required: true },
      { name: 'customer', type: 'string' },
      { name: 'amount', type: 'decimal(18,2)' },
      { name: 'source', type: 'string', required: true },
    ];
    const writer = new PartitionedWriter(columns, { source: 's' }, join(folder, 'reuse'), 'part', {
      rowGroupSize: 5000,
    });
    const expected = new Map<number, unknown[][]>();
    const codes = new Int32Array(3).fill(-1);
    for (const day of [1, 2, 3]) {
      for (let i = 0; i < 12_000; i++) {
        // Customer n always has code n (equal codes, equal values); their order of first use differs.
        const n = day === 1 ? i % 40 : 39 - (i % 40);
        const nulls = day === 1 ? i % 7 === 0 : day === 3 && i % 11 === 5;
        const row = [
          `${day === 1 ? 'Z' : 'A'}${day}-${String(i).padStart(6, '0')}`,
          nulls ? null : `C${n}`,
          nulls ? null : i,
        ];
        codes[1] = nulls ? -1 : n;
        const written = writer.add(day, row, codes);
        if (written) await written;
        expected.set(day, [...(expected.get(day) ?? []), row]);
      }
    }
    const parts = await writer.finish();
    expect(parts.map((p) => [p.day, p.rows])).toEqual([
      [1, 12_000],
      [2, 12_000],
      [3, 12_000],
    ]);
    const connection = await duckdb.connect();
    for (const part of parts) {
      const rows = (
        await connection.runAndReadAll(
          `SELECT id, customer, CAST(amount * 100 AS BIGINT) FROM read_parquet('${part.path}') ORDER BY id`,
        )
      ).getRows();
      expect(
        rows.map(([id, customer, cents]) => [id, customer, cents === null ? null : Number(cents)]),
      ).toEqual(expected.get(part.day));
      // Each row group's statistics are its own rows' (rows are in the order they were added).
      for (const [c, name] of [
        [0, 'id'],
        [1, 'customer'],
      ] as const) {
        const groups = (
          await connection.runAndReadAll(
            `SELECT row_group_num_rows, stats_min_value, stats_max_value, stats_null_count
             FROM parquet_metadata('${part.path}') WHERE path_in_schema = '${name}' ORDER BY row_group_id`,
          )
        ).getRows();
        const want = expected.get(part.day)!;
        let first = 0;
        const wanted = groups.map(([count]) => {
          const slice = want.slice(first, first + Number(count));
          first += Number(count);
          const present = slice
            .map((r) => r[c])
            .filter((v): v is string => v !== null)
            .sort();
          return [Number(count), present[0], present.at(-1), slice.length - present.length];
        });
        expect(groups.map(([count, min, max, nulls]) => [Number(count), min, max, Number(nulls)])).toEqual(
          wanted,
        );
        // Each day's last rows were written when the next day began: whole groups, then the rest.
        expect(groups.map(([count]) => Number(count))).toEqual([5000, 5000, 2000]);
        expect(first).toBe(12_000);
      }
    }
    connection.closeSync();
  });

  it('ends row groups of wide rows at the byte bound, one day or many together, every row kept', async () => {
    const columns: ParquetColumn[] = [
      { name: 'id', type: 'string', required: true },
      { name: 'note', type: 'string' },
      { name: 'n', type: 'integer', required: true },
    ];
    const note = (i: number) => `${i}:${'x'.repeat(1000)}`;
    // One day: ~1,010 bytes a row (note, id, n) against 100 KB: groups of about 100 rows.
    const oneDay = new PartitionedWriter(columns, {}, join(folder, 'wide-one'), 'part', {
      rowGroupBytes: 100_000,
    });
    for (let i = 0; i < 1000; i++) {
      const written = oneDay.add(1, [`R${i}`, i % 10 === 0 ? null : note(i), i]);
      if (written) await written;
    }
    // Ten days in turn, each far below the bound alone: the bound on all buffers ends the groups.
    const manyDays = new PartitionedWriter(columns, {}, join(folder, 'wide-many'), 'part', {
      rowGroupBytes: 50_000,
    });
    for (let i = 0; i < 1000; i++) {
      const written = manyDays.add(i % 10, [`R${i}`, note(i), i]);
      if (written) await written;
    }
    const connection = await duckdb.connect();
    const groupsOf = async (paths: string[]) =>
      (
        await connection.runAndReadAll(
          `SELECT row_group_num_rows FROM parquet_metadata([${paths.map((p) => `'${p}'`).join(', ')}])
           WHERE path_in_schema = 'id'`,
        )
      )
        .getRows()
        .map(([rows]) => Number(rows));
    // As the bound counts them: each string's length plus 4, 8 for the number.
    const counted = (i: number, withNull: boolean) =>
      `R${i}`.length + 4 + (withNull && i % 10 === 0 ? 0 : note(i).length + 4) + 8;
    const oneDayParts = await oneDay.finish();
    const oneDayGroups = await groupsOf(oneDayParts.map((part) => part.path));
    let first = 0;
    for (const [g, size] of oneDayGroups.entries()) {
      let bytes = 0;
      for (let i = first; i < first + size - 1; i++) bytes += counted(i, true);
      // The group was open within the bound until its last row, which passed it (all but the last group).
      expect(bytes).toBeLessThanOrEqual(100_000);
      if (g < oneDayGroups.length - 1)
        expect(bytes + counted(first + size - 1, true)).toBeGreaterThan(100_000);
      first += size;
    }
    expect(first).toBe(1000);
    expect(oneDayGroups.length).toBeGreaterThanOrEqual(9);
    for (const [writer, most, days] of [
      [oneDay, 120, 1],
      // Alone, each day would fill 49 rows (50 KB) before its group ends.
      [manyDays, 20, 10],
    ] as const) {
      const parts = writer === oneDay ? oneDayParts : await writer.finish();
      expect(parts).toHaveLength(days);
      const paths = parts.map((part) => part.path);
      const groups = await groupsOf(paths);
      expect(groups.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(Math.max(...groups)).toBeLessThanOrEqual(most);
      expect(groups.length).toBeGreaterThan(1000 / (most + 1));
      const rows = (
        await connection.runAndReadAll(
          `SELECT id, note, n FROM read_parquet([${paths.map((p) => `'${p}'`).join(', ')}]) ORDER BY n`,
        )
      ).getRows();
      expect(rows).toEqual(
        Array.from({ length: 1000 }, (_, i) => [
          `R${i}`,
          writer === oneDay && i % 10 === 0 ? null : note(i),
          i,
        ]),
      );
    }
    connection.closeSync();
  });

  it('names the column when a number column is given something else', () => {
    const writer = new PartitionedWriter(COLUMNS, { source: 's', loaded_at: 0 }, join(folder, 'b'), 'part');
    expect(() => writer.add(1, ['T1', '12.50', 0])).toThrow(
      /column amount \(decimal\(18,2\)\) expects a number, got string 12.50/,
    );
  });
});
