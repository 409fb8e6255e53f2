import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaQueryEngine, type AthenaSend } from '../../src/engine/athena';
import {
  AthenaMartWriter,
  dropPartitionsStatement,
  TooManyPartitionsError,
} from '../../src/materialize/athena-writer';
import { referenceDefinition } from '../../src/materialize/definition';
import { daysBetween, definitionHash, isIncremental } from '../../src/materialize/plan';
import { refreshMarts } from '../../src/materialize/refresh';
import { fingerprintDays, writeState } from '../../src/materialize/state';
import { loadModels, REPO_ROOT } from '../../src/sql/models';
import { checkTrinoGrammar, formatGrammarError } from '../../src/sql/trino-grammar';
import { FsObjectStore } from '../../src/storage/fs-store';

const DATABASE = 'ledgerlake';
const models = loadModels();
const referenceDir = join(REPO_ROOT, 'reference');
const definitionExtra = (model: (typeof models)[number]) => referenceDefinition(model, models, referenceDir);

/**
 * Athena's API has no local stand-in, so this one records every statement and answers it: each
 * query succeeds at once; `select distinct "<column>" as day ... in (date 'a', date 'b')` returns the
 * days it names (every written day holds rows), anything else an empty result.
 */
function recordingAthena() {
  const statements: string[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      switch (command.constructor.name) {
        case 'StartQueryExecutionCommand':
          statements.push(command.input.QueryString as string);
          return { QueryExecutionId: `q${statements.length}` };
        case 'GetQueryExecutionCommand': {
          const sql = statements[Number(String(command.input.QueryExecutionId).slice(1)) - 1]!;
          return {
            QueryExecution: {
              Status: { State: 'SUCCEEDED' },
              StatementType: sql.startsWith('ALTER') ? 'DDL' : 'DML',
              Statistics: { DataScannedInBytes: 1, EngineExecutionTimeInMillis: 1 },
            },
          };
        }
        case 'GetQueryResultsCommand': {
          const sql = statements[Number(String(command.input.QueryExecutionId).slice(1)) - 1]!;
          if (!sql.startsWith('select distinct')) return { ResultSet: { Rows: [] } };
          const days = [...sql.matchAll(/date '(\d{4}-\d{2}-\d{2})'/g)].map((m) => m[1]!);
          return {
            ResultSet: {
              ResultSetMetadata: { ColumnInfo: [{ Name: 'day', Label: 'day', Type: 'date' }] },
              Rows: [
                { Data: [{ VarCharValue: 'day' }] },
                ...days.map((day) => ({ Data: [{ VarCharValue: day }] })),
              ],
            },
          };
        }
        default:
          throw new Error(`unexpected command ${command.constructor.name}`);
      }
    },
  } as unknown as AthenaSend;
  const engine = new AthenaQueryEngine({
    client,
    workgroup: 'ledgerlake-materialize',
    database: DATABASE,
    sleep: async () => undefined,
  });
  return { engine, statements };
}

/** The statement's kind, target and the days it names, e.g. `INSERT fact_transactions 2024-05-10`. */
function summary(sql: string): string {
  const insert =
    /^INSERT INTO "ledgerlake"\."(\w+)"[\s\S]*\nselect \* from model where "\w+" in \(([^)]*)\)$/.exec(sql);
  if (insert) return `INSERT ${insert[1]} ${daysOf(insert[2]!)}`;
  const drop = /^ALTER TABLE (\w+) DROP IF EXISTS /.exec(sql);
  if (drop) return `DROP ${drop[1]} ${[...sql.matchAll(/= '([\d-]+)'/g)].map((m) => m[1]).join(',')}`;
  const present = /^select distinct "\w+" as day from "ledgerlake"\."(\w+)" where "\w+" in \(([^)]*)\)$/.exec(
    sql,
  );
  if (present) return `PRESENT ${present[1]} ${daysOf(present[2]!)}`;
  return `OTHER ${sql.slice(0, 60)}`;
}

/** The days a DROP PARTITION or an INSERT INTO writes (none for other statements). */
function writtenDays(sql: string): string[] {
  if (sql.startsWith('ALTER TABLE')) return [...sql.matchAll(/= '([\d-]+)'/g)].map((m) => m[1]!);
  const last = sql.startsWith('INSERT') ? sql.slice(sql.lastIndexOf('\n')) : '';
  return [...last.matchAll(/date '([\d-]+)'/g)].map((m) => m[1]!);
}

function daysOf(list: string): string {
  const days = [...list.matchAll(/date '([\d-]+)'/g)].map((m) => m[1]!);
  return days.length <= 3 ? days.join(',') : `${days[0]}..${days.at(-1)} (${days.length})`;
}

describe('AthenaMartWriter under the real refresh', () => {
  let dir: string;
  let lake: FsObjectStore;

  /** An (empty) curated file: the refresh fingerprints keys, sizes and times, never content. */
  const curated = (dataset: string, day: string, name = 'part.parquet') => {
    const folder = join(dir, 'curated', dataset, `dt=${day}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, name), '');
  };
  const martFile = (model: string, column: string, day: string) => {
    const folder = join(dir, 'marts', model, `${column}=${day}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, '20240511_000000_00001_abcde_1.parquet'), 'old');
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ledgerlake-athena-writer-'));
    lake = new FsObjectStore(dir);
    // A lake of 10 transaction days whose marts are up to date (state written by hand).
    const days = daysBetween('2024-05-01', '2024-05-10');
    for (const day of days) curated('transactions', day);
    const partitions: Record<string, string[]> = {
      fact_transactions: days,
      fact_account_daily_balance: days,
      kpi_daily: days,
      balance_moves: days,
      fact_customer_monthly_summary: ['2024-05-10'],
      fact_sales: [],
      fact_organization_daily_financials: [],
    };
    const modelState: Record<string, { definition: string; partitions: string[] }> = {};
    for (const model of models.filter((m) => m.materialized !== 'view')) {
      modelState[model.name] = {
        definition: definitionHash(model, models, definitionExtra(model)),
        partitions: partitions[model.name] ?? [],
      };
    }
    await writeState(lake, {
      version: 1,
      inputs: { transactions: await fingerprintDays(lake, 'transactions') },
      models: modelState,
    });
    for (const day of ['2024-05-08', '2024-05-09']) {
      martFile('fact_transactions', 'event_date', day);
      martFile('fact_account_daily_balance', 'balance_date', day);
    }
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The writer under test, on the recording engine and the temporary lake; rebuild ids are `r1`. */
  const athenaWriter = (engine: AthenaQueryEngine) =>
    new AthenaMartWriter({ engine, lake, database: DATABASE, lakeBucket: 'lake-bucket', newId: () => 'r1' });

  async function refreshAfterLateFile() {
    // A late file for 8 May and a new day, 11 May, as one ingest reports them.
    curated('transactions', '2024-05-08', 'late.parquet');
    curated('transactions', '2024-05-11');
    const { engine, statements } = recordingAthena();
    const writer = athenaWriter(engine);
    const result = await refreshMarts({
      engine,
      store: lake,
      writer,
      models,
      hints: { transactions: ['2024-05-08', '2024-05-11'] },
      definitionExtra,
    });
    return { statements, result };
  }

  it('sends, per model and batch, the partition drop, the INSERT INTO and the check of the days written', async () => {
    const { statements } = await refreshAfterLateFile();

    expect(statements.map(summary)).toEqual([
      'DROP fact_transactions 2024-05-08,2024-05-11',
      'INSERT fact_transactions 2024-05-08,2024-05-11',
      'PRESENT fact_transactions 2024-05-08,2024-05-11',
      'DROP fact_account_daily_balance 2024-05-08,2024-05-09,2024-05-10,2024-05-11',
      'INSERT fact_account_daily_balance 2024-05-08..2024-05-11 (4)',
      'PRESENT fact_account_daily_balance 2024-05-08..2024-05-11 (4)',
      // The monthly summary rebuilds May from its days so far: the row moves to the new latest day.
      `DROP fact_customer_monthly_summary ${daysBetween('2024-05-01', '2024-05-11').join(',')}`,
      'INSERT fact_customer_monthly_summary 2024-05-01..2024-05-11 (11)',
      'PRESENT fact_customer_monthly_summary 2024-05-01..2024-05-11 (11)',
      'DROP kpi_daily 2024-05-08,2024-05-09,2024-05-10,2024-05-11',
      'INSERT kpi_daily 2024-05-08..2024-05-11 (4)',
      'PRESENT kpi_daily 2024-05-08..2024-05-11 (4)',
      'DROP balance_moves 2024-05-08,2024-05-09,2024-05-10,2024-05-11',
      'INSERT balance_moves 2024-05-08..2024-05-11 (4)',
      'PRESENT balance_moves 2024-05-08..2024-05-11 (4)',
    ]);
  });

  it('sends SELECTs and INSERTs that parse as Trino, each naming at most 100 days', async () => {
    // A full rebuild of 150 days: the carried balance splits into batches of 100 and 50.
    for (const day of daysBetween('2024-05-11', '2024-09-27')) curated('transactions', day);
    const { engine, statements } = recordingAthena();

    await refreshMarts({
      engine,
      store: lake,
      writer: athenaWriter(engine),
      models,
      rebuild: true,
      definitionExtra,
    });

    const dml = statements.filter((sql) => !sql.startsWith('ALTER'));
    expect(dml.filter((sql) => sql.startsWith('INSERT')).length).toBeGreaterThanOrEqual(8);
    for (const sql of dml) expect(checkTrinoGrammar('statement', sql).map(formatGrammarError)).toEqual([]);
    const written = statements.map(writtenDays).filter((days) => days.length > 0);
    expect(Math.max(...written.map((days) => days.length))).toBe(100);
  });

  it('drops the partitions of a batch before inserting the same days', async () => {
    const { statements } = await refreshAfterLateFile();

    const summaries = statements.map(summary);
    for (const [index, line] of summaries.entries()) {
      if (!line.startsWith('INSERT')) continue;
      const [, model] = line.split(' ');
      expect(summaries[index - 1]).toMatch(new RegExp(`^DROP ${model} `));
    }
  });

  it('deletes the objects under the replaced partitions and leaves the other days', async () => {
    await refreshAfterLateFile();

    const left = [];
    for await (const object of lake.list('marts/fact_')) left.push(object.key);
    // 9 May was not a day of fact_transactions' batch; it was one of the balances'.
    expect(left).toEqual([
      'marts/fact_transactions/event_date=2024-05-09/20240511_000000_00001_abcde_1.parquet',
    ]);
  });

  it('rebuilds the customer dimension in a new folder and swaps it in, then re-keys the fact days after the snapshot', async () => {
    curated('customers', '2024-05-09');
    const { engine, statements } = recordingAthena();
    mkdirSync(join(dir, 'marts', 'dim_customer', 'r0'), { recursive: true });
    writeFileSync(join(dir, 'marts', 'dim_customer', 'r0', 'old.parquet'), 'old');

    const result = await refreshMarts({
      engine,
      store: lake,
      writer: athenaWriter(engine),
      models,
      hints: { customers: ['2024-05-09'] },
      definitionExtra,
    });

    const dimension = statements.filter((sql) => /dim_customer/.test(sql.split('\n')[0] ?? ''));
    expect(dimension.map((sql) => sql.split('\n')[0])).toEqual([
      `CREATE TABLE "${DATABASE}"."dim_customer__r1"`,
      "ALTER TABLE dim_customer SET LOCATION 's3://lake-bucket/marts/dim_customer/r1/'",
      'DROP TABLE IF EXISTS dim_customer__r1',
    ]);
    expect(dimension[0]).toContain("external_location = 's3://lake-bucket/marts/dim_customer/r1/'");
    expect(checkTrinoGrammar('ctas', dimension[0]!).map(formatGrammarError)).toEqual([]);
    expect(result.models.find((m) => m.model === 'dim_customer')?.mode).toBe('full');
    // The facts from the snapshot's day on are re-keyed, not rebuilt in full.
    expect(result.models.find((m) => m.model === 'fact_transactions')).toMatchObject({
      mode: 'incremental',
      days: ['2024-05-09', '2024-05-10'],
    });
    expect(result.models.find((m) => m.model === 'dim_date')?.mode).toBe('unchanged');
    const left = [];
    for await (const object of lake.list('marts/dim_customer/')) left.push(object.key);
    expect(left).toEqual([]);
  });

  it('refuses a batch of more than 100 days', async () => {
    const { engine, statements } = recordingAthena();
    const writer = athenaWriter(engine);
    const model = models.filter(isIncremental).find((m) => m.name === 'fact_transactions')!;

    const write = writer.replacePartitions(model, daysBetween('2024-01-01', '2024-04-10'), 'select 1');

    await expect(write).rejects.toThrow(TooManyPartitionsError);
    await expect(write).rejects.toThrow('cannot replace 101 partitions of fact_transactions');
    expect(statements).toEqual([]);
  });

  it('writes the partition drop in Hive DDL with one PARTITION clause per day', () => {
    expect(dropPartitionsStatement('kpi_daily', 'kpi_date', ['2024-05-01', '2024-05-02'])).toBe(
      "ALTER TABLE kpi_daily DROP IF EXISTS PARTITION (kpi_date = '2024-05-01'), PARTITION (kpi_date = '2024-05-02')",
    );
  });
});
