import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { loadDataTests } from '../../src/quality/declarations';
import { runDataTests } from '../../src/quality/run';
import { loadModels } from '../../src/sql/models';
import { type FixtureRow, LakeFixture } from './lake-fixture';

const snapshot = (
  account_id: string,
  updated_at: string,
  changes: Partial<Record<string, string | number | null>> = {},
): FixtureRow => ({
  account_id,
  customer_id: 'C1',
  account_type: 'checking',
  status: 'open',
  currency: 'USD',
  credit_limit: null,
  overdraft_limit: null,
  opened_on: '2020-05-01',
  updated_at,
  ...changes,
});

describe('dim_account (SCD2)', () => {
  let lake: LakeFixture;
  let engine: DuckDbEngine;

  beforeAll(async () => {
    lake = await LakeFixture.create();
    await lake.writeCurated('accounts', 'first', [
      snapshot('A1', '2024-01-01T05:00:00Z'),
      snapshot('A2', '2024-01-01T05:00:01Z', { account_type: 'credit', credit_limit: 1000 }),
    ]);
    await lake.writeCurated('accounts', 'changes', [
      // Unchanged: a repeated snapshot starts no version.
      snapshot('A1', '2024-01-15T05:00:00Z'),
      snapshot('A1', '2024-02-01T05:00:00Z', { status: 'frozen' }),
      snapshot('A1', '2024-02-10T05:00:00Z', { overdraft_limit: 500 }), // reopened with an overdraft
      snapshot('A2', '2024-02-01T05:00:01Z', { account_type: 'credit', credit_limit: 2500 }),
    ]);
    engine = await openDuckDb({ source: lake.dir, threads: 1 });
    await buildCatalog(engine, { lakeDir: lake.dir });
  });

  afterAll(async () => {
    await engine?.close();
    await lake?.close();
  });

  it('keeps one version per change of status or limit, and none for a repeated snapshot', async () => {
    const result = await engine.query(
      `select account_key, account_id, status, is_open, credit_limit, overdraft_limit, valid_from, valid_to, version_number, is_current
       from dim_account where account_key <> -1 order by account_key`,
    );

    expect(result.rows).toEqual([
      {
        account_key: 1,
        account_id: 'A1',
        status: 'open',
        is_open: true,
        credit_limit: null,
        overdraft_limit: null,
        valid_from: '2024-01-01T05:00:00.000Z',
        valid_to: '2024-02-01T05:00:00.000Z',
        version_number: 1,
        is_current: false,
      },
      {
        account_key: 2,
        account_id: 'A1',
        status: 'frozen',
        is_open: false,
        credit_limit: null,
        overdraft_limit: null,
        valid_from: '2024-02-01T05:00:00.000Z',
        valid_to: '2024-02-10T05:00:00.000Z',
        version_number: 2,
        is_current: false,
      },
      {
        account_key: 3,
        account_id: 'A1',
        status: 'open',
        is_open: true,
        credit_limit: null,
        overdraft_limit: 500,
        valid_from: '2024-02-10T05:00:00.000Z',
        valid_to: '9999-12-31T00:00:00.000Z',
        version_number: 3,
        is_current: true,
      },
      {
        account_key: 4,
        account_id: 'A2',
        status: 'open',
        is_open: true,
        credit_limit: 1000,
        overdraft_limit: null,
        valid_from: '2024-01-01T05:00:01.000Z',
        valid_to: '2024-02-01T05:00:01.000Z',
        version_number: 1,
        is_current: false,
      },
      {
        account_key: 5,
        account_id: 'A2',
        status: 'open',
        is_open: true,
        credit_limit: 2500,
        overdraft_limit: null,
        valid_from: '2024-02-01T05:00:01.000Z',
        valid_to: '9999-12-31T00:00:00.000Z',
        version_number: 2,
        is_current: true,
      },
    ]);
  });

  it('answers "what was the account on a date" with exactly one version', async () => {
    const result = await engine.query(
      `select account_id, status from dim_account
       where account_id = 'A1' and timestamp '2024-02-05 12:00:00' >= valid_from and timestamp '2024-02-05 12:00:00' < valid_to`,
    );

    expect(result.rows).toEqual([{ account_id: 'A1', status: 'frozen' }]);
  });

  it('has an unknown member, and passes its data tests', async () => {
    const unknown = await engine.query(
      'select account_id, status, is_open from dim_account where account_key = -1',
    );
    expect(unknown.rows).toEqual([{ account_id: 'unknown', status: 'unknown', is_open: false }]);
    // The fixture writes no manifests, so the reconciliation is left to the planted-defects tests.
    const tests = loadDataTests(loadModels()).filter(
      (t) =>
        (t.model === 'dim_account' || t.model === 'stg_accounts') &&
        t.check.kind !== 'reconciles_with_manifests',
    );
    expect(tests.length).toBeGreaterThanOrEqual(7);
    const results = await runDataTests(engine, tests);
    expect(
      results.filter((r) => r.status !== 'pass').map((r) => `${r.name}: ${r.message ?? r.failingCount}`),
    ).toEqual([]);
  });
});
