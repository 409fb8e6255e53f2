import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATASETS } from '../../datasets/index';
import { REFERENCE_TABLES } from '../../datasets/reference';
import { buildCatalog, buildModels, CatalogError, installCompatMacros } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { BASE_TABLES, baseColumnType } from '../../src/sql/base-tables';
import { DEFAULT_SQL_DIR, loadModels } from '../../src/sql/models';
import { LakeFixture, transaction } from '../sql/lake-fixture';

const cleanups: (() => Promise<void> | void)[] = [];

async function engineFor(source: string): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source });
  cleanups.push(() => engine.close());
  return engine;
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('buildCatalog', () => {
  it('builds every model on an empty lake, with empty tables typed as declared', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-empty-'));
    cleanups.push(() => rmSync(lakeDir, { recursive: true, force: true }));
    const engine = await engineFor(lakeDir);

    const build = await buildCatalog(engine, { lakeDir });

    expect(build.models.map((m) => m.name)).toEqual(loadModels().map((m) => m.name));
    for (const table of BASE_TABLES) {
      const described = await engine.query(`describe "${table.name}"`);
      expect(described.rows.map((r) => [r.column_name, r.column_type])).toEqual(
        table.columns.map((c) => [c.name, baseColumnType(c.type).duckdb]),
      );
    }
    for (const model of build.models) {
      const result = await engine.query(`select count(*) as n from "${model.name}"`);
      expect([model.name, result.rows[0]?.n]).toEqual([
        model.name,
        model.name === 'dim_date' ? 4018 : expect.any(Number),
      ]);
    }
  });

  it('generates one curated table per contract: contract columns, lineage, then dt', () => {
    const names = BASE_TABLES.map((t) => t.name);

    expect(names).toEqual([
      ...DATASETS.map((d) => d.name),
      'quarantine',
      'manifests',
      'commits',
      ...REFERENCE_TABLES.map((t) => t.name),
    ]);
    expect(BASE_TABLES[0]?.columns.map((c) => c.name).slice(-4)).toEqual([
      'source_key',
      'source_line',
      'ingested_at',
      'dt',
    ]);
  });

  it('rebuilds from the lake on the same engine and picks up new files', async () => {
    const lake = await LakeFixture.create();
    cleanups.push(() => lake.close());
    const engine = await engineFor(lake.dir);
    await lake.writeCurated('transactions', 'first', [
      transaction({ transaction_id: 'T1', event_time: '2024-03-01T10:00:00Z' }),
    ]);
    await buildCatalog(engine, { lakeDir: lake.dir });

    await lake.writeCurated('transactions', 'second', [
      transaction({ transaction_id: 'T2', event_time: '2024-03-02T10:00:00Z' }),
    ]);
    await buildCatalog(engine, { lakeDir: lake.dir });

    const result = await engine.query('select count(*) as n from fact_transactions');
    expect(result.rows).toEqual([{ n: 2 }]);
  });

  it('binds a dataset from one footer while its files share a schema, and reads every footer once they differ', async () => {
    const lake = await LakeFixture.create();
    cleanups.push(() => lake.close());
    await lake.writeCurated('transactions', 'first', [
      transaction({ transaction_id: 'T1', event_time: '2024-03-01T10:00:00Z' }),
    ]);
    const viewSql = async (engine: DuckDbEngine) =>
      String(
        (await engine.query("select sql from duckdb_views() where view_name = 'transactions_parts'")).rows[0]
          ?.sql,
      );
    const uniform = await engineFor(lake.dir);
    await buildCatalog(uniform, { lakeDir: lake.dir });

    // A file written before the contract had processing_time_s (an older ingest): fewer columns.
    const older = join(lake.dir, 'curated', 'transactions', 'dt=2024-02-28');
    mkdirSync(older, { recursive: true });
    await uniform.execute(
      `copy (select 'T0' as transaction_id, timestamptz '2024-02-28 09:00:00+00' as event_time, 'C1' as customer_id,
        'A1' as account_id, 'upi' as channel, 'Boston' as city, 'deposit' as type, cast(5 as decimal(18,2)) as amount,
        'USD' as currency, 'success' as status, 'landing/transactions/old.csv' as source_key, 1 as source_line,
        timestamptz '2024-02-28 10:00:00+00' as ingested_at) to '${join(older, 'old.parquet')}' (format parquet)`,
    );
    // ...and committed, as that ingest did.
    writeFileSync(
      join(lake.dir, 'commits', 'transactions', 'old.json'),
      `${JSON.stringify({ commit_version: 1, dataset: 'transactions', source_key: 'landing/transactions/old.csv', source_etag: 'e', attempt: 'a', ingested_at: '2024-02-28T10:00:00.000Z', status: 'ok' })}\n`,
    );
    const mixed = await engineFor(lake.dir);
    await buildCatalog(mixed, { lakeDir: lake.dir });
    const rows = await mixed.query(
      'select transaction_id, processing_time_s from transactions order by transaction_id',
    );

    expect(await viewSql(uniform)).not.toContain('union_by_name');
    expect(await viewSql(mixed)).toContain('union_by_name');
    expect(rows.rows).toEqual([
      { transaction_id: 'T0', processing_time_s: null },
      { transaction_id: 'T1', processing_time_s: 0.5 },
    ]);
  });

  it('builds only the requested models and what they read', async () => {
    const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-empty-'));
    cleanups.push(() => rmSync(lakeDir, { recursive: true, force: true }));
    const engine = await engineFor(lakeDir);

    const build = await buildCatalog(engine, { lakeDir, models: ['fact_account_daily_balance'] });

    expect(build.models.map((m) => m.name).sort()).toEqual(
      [
        'dim_channel',
        'dim_city',
        'dim_customer',
        'dim_date',
        'fact_account_daily_balance',
        'fact_transactions',
        'int_transactions_unioned',
        'stg_customers',
        'stg_transactions',
      ].sort(),
    );
  });
});

describe('buildModels', () => {
  it('builds the models on base tables a test created by hand', async () => {
    const engine = await engineFor('hand-made');
    await installCompatMacros(engine);
    await engine.execute(`
      create table ref_channels as select 'upi' as channel, 'UPI' as display_name, cast(0.30 as decimal(18, 2)) as fee_percent;
      create table ref_cities as select 'Boston' as city, 'MA' as state, 'northeast' as region;
      create table customers (customer_id varchar, name varchar, email varchar, segment varchar, city varchar,
        updated_at timestamp, source_key varchar, source_line integer, ingested_at timestamp, dt date);
      create table transactions as select
        'T1' as transaction_id, timestamp '2024-03-01 10:00:00' as event_time, 'C1' as customer_id, 'A1' as account_id,
        'upi' as channel, 'Boston' as city, 'deposit' as type, cast(1000 as decimal(18, 2)) as amount, 'USD' as currency,
        'success' as status, 0.2 as processing_time_s, 'landing/transactions/x.csv' as source_key, 1 as source_line,
        timestamp '2024-03-01 11:00:00' as ingested_at, date '2024-03-01' as dt`);

    await buildModels(engine, { models: ['fact_transactions'] });

    // 1000.00 x 0.30 / 100 = 3.
    const result = await engine.query('select revenue, customer_key from fact_transactions');
    expect(result.rows).toEqual([{ revenue: 3, customer_key: -1 }]);
  });

  it('names the model file when a model cannot be created', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ledgerlake-badsql-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const sqlDir = join(root, 'sql');
    cpSync(DEFAULT_SQL_DIR, sqlDir, { recursive: true });
    writeFileSync(join(sqlDir, 'analytics', 'broken.sql'), 'select no_such_column from fact_transactions');
    const lakeDir = join(root, 'lake');
    const engine = await engineFor(lakeDir);

    const error = await buildCatalog(engine, { lakeDir, sqlDir }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).message).toMatch(
      /^sql\/analytics\/broken\.sql: cannot create view 'broken': Binder Error: .*no_such_column/,
    );
  });
});
