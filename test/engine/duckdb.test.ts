import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCompatMacros } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { QueryError } from '../../src/engine/query-engine';

describe('DuckDbEngine', () => {
  let engine: DuckDbEngine;

  beforeAll(async () => {
    engine = await openDuckDb({ source: '/tmp/some-lake' });
    await installCompatMacros(engine);
  });

  afterAll(async () => {
    await engine?.close();
  });

  it('normalises values as the QueryEngine contract says', async () => {
    const result = await engine.query(`
      select
        cast(42 as bigint) as big,
        cast(12.34 as decimal(18, 2)) as money,
        date '2024-03-05' as day,
        timestamp '2024-03-05 10:15:00.123' as at,
        timestamptz '2024-03-05 12:15:00+02' as at_tz,
        true as yes,
        cast(null as varchar) as nothing,
        [date '2024-01-01'] as days,
        {'n': cast(1 as bigint)} as record,
        map(['k'], [2]) as lookup`);

    expect(result.rows).toEqual([
      {
        big: 42,
        money: 12.34,
        day: '2024-03-05',
        at: '2024-03-05T10:15:00.123Z',
        at_tz: '2024-03-05T10:15:00.000Z',
        yes: true,
        nothing: null,
        days: ['2024-01-01'],
        record: { n: 1 },
        lookup: { k: 2 },
      },
    ]);
    expect(result.columns.slice(0, 3)).toEqual([
      { name: 'big', type: 'BIGINT' },
      { name: 'money', type: 'DECIMAL(18,2)' },
      { name: 'day', type: 'DATE' },
    ]);
  });

  it('divides integers like Trino', async () => {
    const result = await engine.query(
      'select 7 / 2 as q, -7 / 2 as negative, cast(7 as double) / 2 as exact',
    );

    expect(result.rows).toEqual([{ q: 3, negative: -3, exact: 3.5 }]);
  });

  it('reports a failing statement as a one-line QueryError that keeps the SQL', async () => {
    const error = await engine.query('select * from no_such_table').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toMatch(
      /^Catalog Error: Table with name no_such_table does not exist!$/,
    );
    expect((error as QueryError).sql).toBe('select * from no_such_table');
  });

  it.each([
    ["day_of_week(date '2024-03-03')", 7], // a Sunday
    ["day_of_week(date '2024-03-04')", 1], // a Monday
    ["last_day_of_month(date '2024-02-10')", '2024-02-29'],
    ['bitwise_and(13, 7)', 5],
    ['bitwise_or(8, 1)', 9],
    ['bit_count(641, 64)', 3],
    ['cardinality(array[1, 2, 3])', 3],
    ["regexp_like('amount.range', '^amount\\.')", true],
    ["cast(date_add('day', 31, date '2024-01-01') as date)", '2024-02-01'],
    ["cast(date_add('month', 1, date '2024-01-31') as date)", '2024-02-29'],
    ["date_add('hour', 2, timestamp '2024-01-01 23:00:00')", '2024-01-02T01:00:00.000Z'],
    ["date_diff('day', date '2024-02-28', date '2024-03-01')", 2],
    ["cast(date_trunc('month', date '2024-02-10') as date)", '2024-02-01'],
  ])('gives %s the Trino answer', async (expression, expected) => {
    const result = await engine.query(`select ${expression} as value`);

    expect(result.rows[0]?.value).toEqual(expected);
  });
});
