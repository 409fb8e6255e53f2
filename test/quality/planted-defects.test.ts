import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { landAndIngestDemo } from '../../src/cli/commands/demo';
import { DEMO_DEFAULTS } from '../../src/demo/generate';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { loadDataTests } from '../../src/quality/declarations';
import { type DataTestResult, runDataTests, runFailed } from '../../src/quality/run';
import { loadModels } from '../../src/sql/models';
import { FsObjectStore } from '../../src/storage/fs-store';
import { LakeFixture, transaction } from '../sql/lake-fixture';

const tests = loadDataTests(loadModels());
let lakeDir: string;
let ingestedAt: Date;

/** A catalog on the demo lake, built again for each test so a planted defect stays in its test. */
async function demoCatalog(): Promise<DuckDbEngine> {
  const engine = await openDuckDb({ source: lakeDir });
  await buildCatalog(engine, { lakeDir });
  return engine;
}

/** Replaces a relation of the catalog by a table copy of it, then changes that copy. */
async function plant(engine: DuckDbEngine, relation: string, statements: readonly string[]): Promise<void> {
  const kind = await engine.query(
    `select table_type from information_schema.tables where table_name = '${relation}'`,
  );
  await engine.execute(`create table planted_copy as select * from ${relation}`);
  await engine.execute(`drop ${kind.rows[0]?.table_type === 'VIEW' ? 'view' : 'table'} ${relation}`);
  await engine.execute(`alter table planted_copy rename to ${relation}`);
  for (const statement of statements) await engine.execute(statement);
}

const notPassing = (results: readonly DataTestResult[]) =>
  results.filter((r) => r.status !== 'pass').map((r) => `${r.status} ${r.name} (${r.failingCount})`);

beforeAll(async () => {
  lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-quality-'));
  await landAndIngestDemo(new FsObjectStore(lakeDir), { days: DEMO_DEFAULTS.days, seed: DEMO_DEFAULTS.seed });
  const engine = await demoCatalog();
  const latest = await engine.query('select max(ingested_at) as latest from transactions');
  ingestedAt = new Date(String(latest.rows[0]!.latest));
  await engine.close();
}, 120_000);

afterAll(() => rmSync(lakeDir, { recursive: true, force: true }));

describe('data tests on the demo lake', () => {
  it('all pass on the clean lake, and every relation they read holds rows', async () => {
    const engine = await demoCatalog();
    try {
      const results = await runDataTests(engine, tests);
      expect(notPassing(results)).toEqual([]);
      // Negative control against vacuous passes: no test reads an empty relation.
      for (const target of new Set(tests.map((t) => t.target))) {
        const count = await engine.query(`select count(*) as n from ${target}`);
        expect(Number(count.rows[0]!.n), target).toBeGreaterThan(0);
      }
    } finally {
      await engine.close();
    }
  });

  it('catch a duplicate key in fact_transactions', async () => {
    const engine = await demoCatalog();
    try {
      const picked = await engine.query(
        'select source_dataset, transaction_id, event_date from fact_transactions order by transaction_id limit 1',
      );
      const { source_dataset: source, transaction_id: id, event_date: day } = picked.rows[0]!;
      await plant(engine, 'fact_transactions', [
        `insert into fact_transactions select * from fact_transactions where transaction_id = '${id}'`,
      ]);
      const results = await runDataTests(engine, tests);
      expect(notPassing(results)).toEqual([
        'fail fact_transactions: unique(source_dataset, transaction_id, event_date) (1)',
        'warn fact_transactions: unique(transaction_id) (1)',
      ]);
      const unique = results.find(
        (r) => r.name === 'fact_transactions: unique(source_dataset, transaction_id, event_date)',
      )!;
      expect(unique.failingRows).toEqual([
        { source_dataset: source, transaction_id: id, event_date: day, row_count: 2 },
      ]);
      expect(runFailed(results)).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('catch fact rows pointing at a missing customer version, the unknown member aside', async () => {
    const engine = await demoCatalog();
    try {
      const unknownRows = await engine.query(
        'select count(*) as n from fact_transactions where customer_key = -1',
      );
      expect(Number(unknownRows.rows[0]!.n)).toBeGreaterThan(0); // the unknown member is in use
      const picked = await engine.query(
        'select customer_key, count(*) as n from fact_transactions where customer_key <> -1 group by customer_key order by customer_key limit 1',
      );
      const key = Number(picked.rows[0]!.customer_key);
      const rows = Number(picked.rows[0]!.n);
      // The version goes, and so does the unknown member: rows keyed -1 are not reported.
      await plant(engine, 'dim_customer', [`delete from dim_customer where customer_key in (${key}, -1)`]);
      const results = await runDataTests(engine, tests);
      const relationship = results.find(
        (r) => r.name === 'fact_transactions: relationships(customer_key -> dim_customer.customer_key)',
      )!;
      expect(relationship.status).toBe('fail');
      expect(relationship.failingCount).toBe(rows);
      expect(new Set(relationship.failingRows.map((row) => row.customer_key))).toEqual(new Set([key]));
      expect(notPassing(results).filter((line) => !line.includes('relationships(customer_key'))).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('catch a broken balance identity (closing = opening + net change)', async () => {
    const engine = await demoCatalog();
    try {
      const picked = await engine.query(
        'select account_id, balance_date from fact_account_daily_balance order by account_id, balance_date limit 1',
      );
      const { account_id: account, balance_date: day } = picked.rows[0]!;
      await plant(engine, 'fact_account_daily_balance', [
        `update fact_account_daily_balance set closing_balance = closing_balance + 0.01 where account_id = '${account}' and balance_date = date '${day}'`,
      ]);
      const results = await runDataTests(engine, tests);
      expect(notPassing(results)).toEqual([
        'fail fact_account_daily_balance: expression_is_true(closing_balance = opening_balance + net_change) (1)',
      ]);
      const identity = results.find((r) => r.status === 'fail')!;
      expect(identity.failingRows[0]).toMatchObject({ account_id: account, balance_date: day });
    } finally {
      await engine.close();
    }
  });

  it('warn on stale data: no transactions ingested in the last 36 hours', async () => {
    const engine = await demoCatalog();
    try {
      const recency = tests.filter((t) => t.check.kind === 'recency');
      const at = (hours: number) => new Date(ingestedAt.getTime() + hours * 3_600_000);
      const fresh = await runDataTests(engine, recency, { now: at(35) });
      const stale = await runDataTests(engine, recency, { now: at(37) });
      expect(fresh.map((r) => r.status)).toEqual(['pass']);
      expect(stale.map((r) => r.status)).toEqual(['warn']);
      expect(stale[0]!.failingRows[0]!.latest).toBe(ingestedAt.toISOString());
      expect(runFailed(stale)).toBe(false); // a warning does not fail the run
    } finally {
      await engine.close();
    }
  });
});

describe('reconciliation of the manifests with the curated rows', () => {
  const reconcile = tests.filter(
    (t) => t.name === 'stg_transactions: reconciles_with_manifests(transactions)',
  );
  const manifest = (rowsValid: number, partitions: string[]) => ({
    manifest_version: 1,
    dataset: 'transactions',
    source_key: 'landing/transactions/ledger.csv',
    status: 'ok',
    rows_read: rowsValid,
    rows_valid: rowsValid,
    rows_quarantined: 0,
    duplicates_dropped: 0,
    partitions,
    ingested_at: '2024-01-01T00:00:00.000Z',
  });
  const run = async (fixture: LakeFixture, sampleSize?: number) => {
    const engine = await openDuckDb({ source: fixture.dir });
    try {
      await buildCatalog(engine, { lakeDir: fixture.dir, models: [] });
      return (await runDataTests(engine, reconcile, { sampleSize }))[0]!;
    } finally {
      await engine.close();
    }
  };
  const ledger = [
    transaction({ transaction_id: 'T1', event_time: '2024-03-01T10:00:00Z' }),
    transaction({ transaction_id: 'T2', event_time: '2024-03-01T11:00:00Z' }),
    transaction({ transaction_id: 'T3', event_time: '2024-03-02T10:00:00Z' }),
  ];

  it.each([
    ['matches', 3, ['2024-03-01', '2024-03-02'], []],
    [
      'says more rows than curated holds',
      4,
      ['2024-03-01', '2024-03-02'],
      [{ dt: null, manifest_rows: 4, curated_rows: 3, problem: 'valid rows differ from curated rows' }],
    ],
    [
      'lists a day that holds no rows of the file',
      3,
      ['2024-03-01', '2024-03-02', '2024-03-03'],
      [{ dt: '2024-03-03', curated_rows: 0, problem: 'a day the manifest lists holds no curated rows' }],
    ],
    [
      'misses a day that holds rows of the file',
      3,
      ['2024-03-01'],
      [{ dt: '2024-03-02', curated_rows: 1, problem: 'a day the manifest does not list' }],
    ],
  ])('a manifest that %s', async (_what, rowsValid, partitions, expected) => {
    const fixture = await LakeFixture.create();
    try {
      await fixture.writeCurated('transactions', 'ledger', ledger);
      fixture.writeManifest('transactions', 'ledger', manifest(rowsValid, partitions));
      const result = await run(fixture);
      expect(result.message).toBeUndefined();
      expect(result.status).toBe(expected.length === 0 ? 'pass' : 'fail');
      expect(result.failingCount).toBe(expected.length);
      expect(result.failingRows).toEqual(expected.map((row) => expect.objectContaining(row)));
    } finally {
      await fixture.close();
    }
  });

  it('counts every failing row while it keeps only the sample', async () => {
    const fixture = await LakeFixture.create();
    try {
      await fixture.writeCurated('transactions', 'ledger', ledger);
      // Three defects at once: the count, a day listed but empty, a day holding rows but not listed.
      fixture.writeManifest('transactions', 'ledger', manifest(4, ['2024-03-01', '2024-03-03']));
      const sampled = await run(fixture, 1); // more failing rows than the sample: a second query counts them
      expect(sampled.failingCount).toBe(3);
      expect(sampled.failingRows).toHaveLength(1);
      const whole = await run(fixture, 3); // the sample holds them all
      expect(whole.failingCount).toBe(3);
      expect(whole.failingRows.map((row) => row.problem).sort()).toEqual([
        'a day the manifest does not list',
        'a day the manifest lists holds no curated rows',
        'valid rows differ from curated rows',
      ]);
    } finally {
      await fixture.close();
    }
  });

  it('curated rows no manifest accounts for', async () => {
    const fixture = await LakeFixture.create();
    try {
      await fixture.writeCurated('transactions', 'ledger', ledger);
      fixture.writeManifest('transactions', 'ledger', manifest(3, ['2024-03-01', '2024-03-02']));
      await fixture.writeCurated('transactions', 'stray', [
        transaction({ transaction_id: 'T9', event_time: '2024-03-02T12:00:00Z' }),
      ]);
      const result = await run(fixture);
      expect(result.status).toBe('fail');
      expect(result.failingRows).toContainEqual(
        expect.objectContaining({
          source_key: 'landing/transactions/stray.csv',
          manifest_rows: null,
          curated_rows: 1,
          problem: 'curated rows without a manifest',
        }),
      );
    } finally {
      await fixture.close();
    }
  });
});
