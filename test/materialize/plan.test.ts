import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { openDuckDb } from '../../src/engine/duckdb';
import {
  composeRefreshSql,
  daysBetween,
  type IncrementalModel,
  isIncremental,
  MAX_PARTITIONS_PER_STATEMENT,
  refreshBatches,
  refreshDays,
} from '../../src/materialize/plan';
import { loadModels, ModelError } from '../../src/sql/models';
import { checkTrinoGrammar, formatGrammarError } from '../../src/sql/trino-grammar';

const MODELS = loadModels();
const INCREMENTAL = MODELS.filter(isIncremental);
const model = (name: string): IncrementalModel => {
  const found = INCREMENTAL.find((m) => m.name === name);
  if (!found) throw new Error(`no incremental model ${name}`);
  return found;
};
const ATHENA_NAMES = { qualified: (name: string) => `"ledgerlake"."${name}"` };

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('incremental model headers', () => {
  it('declares the routine marts incremental, each with a day partition and a day-read input', () => {
    expect(INCREMENTAL.map((m) => [m.name, m.incremental.partitionBy]).sort()).toEqual([
      ['balance_moves', 'balance_date'],
      ['fact_account_daily_balance', 'balance_date'],
      ['fact_customer_monthly_summary', 'summary_date'],
      ['fact_host_activity_daily', 'activity_date'],
      ['fact_inventory_daily_position', 'position_date'],
      ['fact_organization_daily_financials', 'snapshot_date'],
      ['fact_portfolio_daily_balance', 'balance_date'],
      ['fact_sales', 'order_date'],
      ['fact_transactions', 'event_date'],
      ['kpi_daily', 'kpi_date'],
    ]);
    expect(model('fact_account_daily_balance').incremental).toEqual({
      partitionBy: 'balance_date',
      inputs: [
        {
          relation: 'fact_transactions',
          column: 'event_date',
          read: 'window',
          refresh: { kind: 'through_latest' },
        },
      ],
      carryPartitions: 1,
      carryColumns: [
        { name: 'account_id', type: 'varchar' },
        { name: 'customer_id', type: 'varchar' },
        { name: 'closing_balance', type: 'decimal(18,2)' },
      ],
    });
  });

  it.each([
    [
      'no partition column',
      '-- materialized: incremental\n-- input: transactions.dt\nselect 1',
      /partitioned_by/,
    ],
    [
      'an unknown input option',
      '-- materialized: incremental\n-- partitioned_by: d\n-- input: transactions.dt refresh=sometimes\nselect 1',
      /input option 'refresh=sometimes'/,
    ],
    [
      'only whole inputs',
      '-- materialized: incremental\n-- partitioned_by: d\n-- input: transactions.dt read=all\nselect 1',
      /at least one `-- input:` read by day/,
    ],
    [
      'a carry column without a type',
      '-- materialized: incremental\n-- partitioned_by: d\n-- input: transactions.dt\n-- carry: 1 balance\nselect 1',
      /carry column must be '<name> <type>'/,
    ],
    [
      'an input that is not a relation',
      '-- materialized: incremental\n-- partitioned_by: d\n-- input: nowhere.dt\nselect 1',
      /input 'nowhere' is neither a model nor a base table/,
    ],
    ['an unknown materialization', '-- materialized: ephemeral\nselect 1', /view, table or incremental/],
  ])('rejects a header with %s, naming the file', (_label, text, message) => {
    const root = mkdtempSync(join(tmpdir(), 'll-plan-'));
    dirs.push(root);
    mkdirSync(join(root, 'sql', 'marts'), { recursive: true });
    writeFileSync(join(root, 'sql', 'marts', 'fact_x.sql'), text);

    const error = (() => {
      try {
        loadModels(join(root, 'sql'));
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(ModelError);
    expect((error as Error).message).toMatch(/^sql\/marts\/fact_x\.sql: /);
    expect((error as Error).message).toMatch(message);
  });

  it('puts the partition column last in every incremental model (Hive tables keep it last)', async () => {
    const engine = await openDuckDb();
    const lakeDir = mkdtempSync(join(tmpdir(), 'll-plan-lake-'));
    dirs.push(lakeDir);
    try {
      await buildCatalog(engine, { lakeDir });
      for (const m of INCREMENTAL) {
        const { rows } = await engine.query(`describe ${m.name}`);
        expect(rows.at(-1), m.name).toMatchObject({
          column_name: m.incremental.partitionBy,
          column_type: 'DATE',
        });
      }
    } finally {
      await engine.close();
    }
  });
});

describe('refreshDays', () => {
  const partitions = (days: Record<string, readonly string[]>) => new Map(Object.entries(days));
  const march = daysBetween('2024-03-01', '2024-03-10');

  it('rebuilds a changed day only, for a fact', () => {
    const days = refreshDays(
      model('fact_transactions'),
      new Map([['transactions', ['2024-03-04']]]),
      partitions({ transactions: march }),
      march,
    );

    expect(days).toEqual(['2024-03-04']);
  });

  it('re-keys the fact days that exist from a customers snapshot on, not every calendar day', () => {
    const held = ['2024-03-01', '2024-03-05', '2024-03-09'];
    const days = refreshDays(
      model('fact_transactions'),
      new Map([['customers', ['2024-03-04']]]),
      partitions({ transactions: held }),
      held,
    );

    expect(days).toEqual(['2024-03-05', '2024-03-09']);
  });

  it('rebuilds balances from the changed day to the latest, and fills a quiet spell before a new day', () => {
    const facts = [...march, '2024-03-14'];
    const late = refreshDays(
      model('fact_account_daily_balance'),
      new Map([['fact_transactions', ['2024-03-08']]]),
      partitions({ fact_transactions: march }),
      march,
    );
    const afterGap = refreshDays(
      model('fact_account_daily_balance'),
      new Map([['fact_transactions', ['2024-03-14']]]),
      partitions({ fact_transactions: facts }),
      march,
    );

    expect(late).toEqual(['2024-03-08', '2024-03-09', '2024-03-10']);
    expect(afterGap).toEqual(daysBetween('2024-03-11', '2024-03-14'));
  });

  it('rebuilds a KPI day and the 6 after it, never past the latest day', () => {
    const days = refreshDays(
      model('kpi_daily'),
      new Map([['fact_transactions', ['2024-03-02', '2024-03-09']]]),
      partitions({ fact_transactions: march }),
      march,
    );

    expect(days).toEqual(daysBetween('2024-03-02', '2024-03-10'));
  });

  it("rebuilds the held days of a changed day's whole month for a monthly summary, across a leap day", () => {
    const held = ['2024-01-31', '2024-02-01', '2024-02-15', '2024-02-29', '2024-03-01', '2024-03-02'];
    const days = refreshDays(
      model('fact_customer_monthly_summary'),
      new Map([['fact_transactions', ['2024-02-15', '2024-03-02']]]),
      partitions({ fact_transactions: held }),
      held,
    );

    expect(days).toEqual(['2024-02-01', '2024-02-15', '2024-02-29', '2024-03-01', '2024-03-02']);
  });

  it('does nothing when no input of the model changed', () => {
    expect(
      refreshDays(model('balance_moves'), new Map([['fact_sales', march]]), partitions({}), march),
    ).toEqual([]);
  });
});

describe('refresh statements', () => {
  it('never writes more than 100 partitions in one statement, and keeps carried windows in order', () => {
    const days = daysBetween('2024-01-01', '2024-09-30');
    const batches = refreshBatches(model('fact_account_daily_balance'), days);

    expect(Math.max(...batches.map((b) => b.length))).toBe(MAX_PARTITIONS_PER_STATEMENT);
    expect(batches.flat()).toEqual(days);
    expect(batches.map((b) => b[0])).toEqual(['2024-01-01', '2024-04-10', '2024-07-19']);
  });

  it('splits a carried window at gaps, so each run starts from the day before it', () => {
    const batches = refreshBatches(model('kpi_daily'), ['2024-03-01', '2024-03-02', '2024-03-20']);

    expect(batches).toEqual([['2024-03-01', '2024-03-02'], ['2024-03-20']]);
  });

  it.each(INCREMENTAL.map((m) => m.name))('composes a refresh of %s that parses as Trino', (name) => {
    const m = model(name);
    const partitions = new Map<string, readonly string[]>(
      m.incremental.inputs.map((input) => [input.relation, ['2024-03-01', '2024-03-02', '2024-03-03']]),
    );
    const sql = composeRefreshSql(
      { model: m, models: MODELS, days: ['2024-03-02', '2024-03-03'], partitions, priorDays: ['2024-03-01'] },
      ATHENA_NAMES,
    );

    expect(checkTrinoGrammar(`${name} refresh`, sql).map(formatGrammarError)).toEqual([]);
    expect(sql).toContain(`where "${m.incremental.partitionBy}" in (date '2024-03-02', date '2024-03-03')`);
  });

  it('narrows the day-read inputs and inlines the views between them and the model', () => {
    const sql = composeRefreshSql(
      {
        model: model('fact_transactions'),
        models: MODELS,
        days: ['2024-03-02'],
        partitions: new Map([['transactions', ['2024-03-02']]]),
        priorDays: [],
      },
      ATHENA_NAMES,
    );

    expect(sql).toContain(
      `transactions as (select * from "ledgerlake"."transactions" where "dt" in (date '2024-03-02'))`,
    );
    // stg_transactions and dim_city read transactions: inlined. dim_customer reads customers whole: not.
    expect(sql).toMatch(/\nstg_transactions as \(/);
    expect(sql).toMatch(/\ndim_city as \(/);
    expect(sql).not.toMatch(/\ndim_customer as \(/);
    expect(sql).not.toContain('"ledgerlake"."customers"');
  });

  it('reads the previous partition of each window day for with_previous inputs', () => {
    const sql = composeRefreshSql(
      {
        model: model('balance_moves'),
        models: MODELS,
        days: ['2024-03-09'],
        partitions: new Map([
          ['fact_account_daily_balance', ['2024-03-07', '2024-03-08', '2024-03-09']],
          ['fact_organization_daily_financials', ['2024-03-01', '2024-03-09']],
        ]),
        priorDays: [],
      },
      ATHENA_NAMES,
    );

    expect(sql).toContain(`"balance_date" in (date '2024-03-08', date '2024-03-09')`);
    expect(sql).toContain(`"snapshot_date" in (date '2024-03-01', date '2024-03-09')`);
  });
});
