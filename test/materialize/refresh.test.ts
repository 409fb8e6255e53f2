import { afterEach, describe, expect, it } from 'vitest';
import { evaluateAlerts } from '../../src/alerts/evaluate';
import {
  buildCatalog,
  buildModels,
  type CatalogBuild,
  createBaseTables,
  DEFAULT_REFERENCE_DIR,
  installCompatMacros,
} from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { referenceDefinition } from '../../src/materialize/definition';
import { DuckDbMartWriter } from '../../src/materialize/duckdb-writer';
import { isIncremental } from '../../src/materialize/plan';
import { refreshMarts } from '../../src/materialize/refresh';
import { loadModels } from '../../src/sql/models';
import { FsObjectStore } from '../../src/storage/fs-store';
import { accountRule, RecordingPublisher, referenceDirWith } from '../alerts/support';
import {
  type FixtureRow,
  holdingsMovement,
  invoiceRow,
  LakeFixture,
  stockMovement,
  transaction,
} from '../sql/lake-fixture';

const INCREMENTAL = loadModels()
  .filter(isIncremental)
  .map((m) => m.name);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newLake(): Promise<LakeFixture> {
  const lake = await LakeFixture.create();
  cleanups.push(() => lake.close());
  return lake;
}

/** Builds (refreshes) the catalog on a new engine, as each CLI command does. */
async function build(
  lake: LakeFixture,
  options: { rebuild?: boolean; referenceDir?: string } = {},
): Promise<{ engine: DuckDbEngine; catalog: CatalogBuild }> {
  const engine = await openDuckDb({ source: lake.dir, threads: 1 });
  cleanups.push(() => engine.close());
  const catalog = await buildCatalog(engine, { lakeDir: lake.dir, ...options });
  return { engine, catalog };
}

function refreshOf(catalog: CatalogBuild, model: string) {
  const entry = catalog.refresh?.models.find((m) => m.model === model);
  if (!entry) throw new Error(`no refresh entry for ${model}`);
  return entry;
}

/** Every row of every incremental model, in a stable order, to compare two builds. */
async function snapshot(engine: DuckDbEngine): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const model of INCREMENTAL)
    result[model] = [...(await engine.query(`select * from ${model} order by all`)).rows];
  return result;
}

/** Transactions of one account on one day: a deposit of `amount` at noon. */
function deposit(id: string, day: string, amount: number, account = 'A1'): FixtureRow {
  return transaction({
    transaction_id: id,
    event_time: `${day}T12:00:00Z`,
    amount,
    account_id: account,
    customer_id: account.replace('A', 'C'),
  });
}

async function tenDays(lake: LakeFixture): Promise<void> {
  for (let d = 1; d <= 10; d++) {
    const day = `2024-03-${String(d).padStart(2, '0')}`;
    await lake.writeCurated('transactions', `day-${d}`, [
      deposit(`T${d}`, day, 10),
      deposit(`U${d}`, day, 5, 'A2'),
    ]);
  }
}

/** An invoice row of one snapshot delivery. */
function invoice(id: string, organization: string, day: string, amount: number, status = 'open'): FixtureRow {
  return invoiceRow({
    invoice_id: id,
    organization_id: organization,
    status,
    amount,
    snapshot_date: day,
    payment_amount: status === 'paid' ? amount : null,
  });
}

function organization(id: string, day: string, country: string): FixtureRow {
  return {
    organization_id: id,
    legal_entity_country_code: country,
    count_total_contracts_active: 1,
    first_payment_date: null,
    last_payment_date: null,
    snapshot_date: day,
  };
}

describe('incremental refresh of the organization snapshots', () => {
  it('carries organizations across sparse snapshot dates and matches a full build', async () => {
    const lake = await newLake();
    await lake.writeCurated('organizations', 'orgs-1', [organization('org-1', '2024-06-01', 'DE')]);
    await lake.writeCurated('invoices', 'inv-01', [
      invoice('i1', 'org-1', '2024-06-01', 600),
      invoice('i9', 'org-2', '2024-06-01', 50),
    ]);
    await lake.writeCurated('invoices', 'inv-04', [invoice('i1', 'org-1', '2024-06-04', 600, 'paid')]);
    await build(lake);

    // A later snapshot (org-2 absent: its balance falls to 0), a new organization, a new attribute.
    await lake.writeCurated('invoices', 'inv-09', [invoice('i5', 'org-3', '2024-06-09', 70)]);
    await lake.writeCurated('organizations', 'orgs-9', [organization('org-1', '2024-06-09', 'FR')]);
    const incremental = await build(lake);
    const rows = await incremental.engine.query(
      "select organization_id, legal_entity_country_code as country, balance from fact_organization_daily_financials where snapshot_date = date '2024-06-09' order by organization_id",
    );
    const afterIncremental = await snapshot(incremental.engine);
    const full = await build(lake, { rebuild: true });

    expect(refreshOf(incremental.catalog, 'fact_organization_daily_financials')).toMatchObject({
      mode: 'incremental',
      days: ['2024-06-05', '2024-06-06', '2024-06-07', '2024-06-08', '2024-06-09'],
    });
    expect(rows.rows).toEqual([
      { organization_id: 'org-1', country: 'FR', balance: 0 },
      { organization_id: 'org-2', country: null, balance: 0 },
      { organization_id: 'org-3', country: null, balance: 70 },
    ]);
    expect(afterIncremental).toEqual(await snapshot(full.engine));
  });
});

describe('incremental refresh of the portfolio and inventory snapshots', () => {
  it('carries units and liens into a later window and matches a full build', async () => {
    const lake = await newLake();
    await lake.writeCurated('holdings_movements', 'book-1', [
      holdingsMovement({
        movement_id: 'H1',
        event_time: '2024-05-01T09:00:00Z',
        movement_type: 'buy',
        units: 50,
        price: 4,
      }),
      holdingsMovement({
        movement_id: 'H2',
        event_time: '2024-05-02T09:00:00Z',
        movement_type: 'lien',
        units: 20,
      }),
    ]);
    await lake.writeCurated('stock_movements', 'stock-1', [
      stockMovement({
        movement_id: 'S1',
        event_time: '2024-05-01T08:00:00Z',
        movement_type: 'receipt',
        units: 40,
      }),
      stockMovement({
        movement_id: 'S2',
        event_time: '2024-05-02T08:00:00Z',
        movement_type: 'transfer',
        to_location_id: 'WH-B',
        units: 15,
      }),
    ]);
    await build(lake);

    // Two quiet days, then: half the lien released and 10 sold; a count at WH-B and a receipt at WH-A.
    await lake.writeCurated('holdings_movements', 'book-5', [
      holdingsMovement({
        movement_id: 'H3',
        event_time: '2024-05-05T09:00:00Z',
        movement_type: 'lien_release',
        units: 10,
      }),
      holdingsMovement({
        movement_id: 'H4',
        event_time: '2024-05-05T10:00:00Z',
        movement_type: 'sell',
        units: 10,
      }),
    ]);
    await lake.writeCurated('stock_movements', 'stock-5', [
      stockMovement({
        movement_id: 'S3',
        event_time: '2024-05-05T08:00:00Z',
        location_id: 'WH-B',
        movement_type: 'count',
        units: 12,
      }),
      stockMovement({
        movement_id: 'S4',
        event_time: '2024-05-05T09:00:00Z',
        movement_type: 'receipt',
        units: 5,
      }),
    ]);
    const incremental = await build(lake);
    const afterIncremental = await snapshot(incremental.engine);
    const portfolio = await incremental.engine.query(
      "select balance_date, held_units, lien_units, available_units, market_value from fact_portfolio_daily_balance where balance_date >= date '2024-05-04' order by balance_date",
    );
    const inventory = await incremental.engine.query(
      "select location_id, opening_units, count_variance, units_on_hand from fact_inventory_daily_position where position_date = date '2024-05-05' order by location_id",
    );
    const full = await build(lake, { rebuild: true });

    for (const model of ['fact_portfolio_daily_balance', 'fact_inventory_daily_position']) {
      expect(refreshOf(incremental.catalog, model), model).toMatchObject({
        mode: 'incremental',
        days: ['2024-05-03', '2024-05-04', '2024-05-05'],
      });
    }
    // 50 held, 20 pledged from 05-02; on 05-05 10 released and 10 sold: 40 held, 10 pledged, 30 free.
    expect(portfolio.rows).toEqual([
      { balance_date: '2024-05-04', held_units: 50, lien_units: 20, available_units: 30, market_value: 200 },
      { balance_date: '2024-05-05', held_units: 40, lien_units: 10, available_units: 30, market_value: 160 },
    ]);
    // WH-A 25 carried + 5; WH-B carried 15, counted 12 (-3).
    expect(inventory.rows).toEqual([
      { location_id: 'WH-A', opening_units: 25, count_variance: 0, units_on_hand: 30 },
      { location_id: 'WH-B', opening_units: 15, count_variance: -3, units_on_hand: 12 },
    ]);
    expect(afterIncremental).toEqual(await snapshot(full.engine));
    expect(afterIncremental.fact_portfolio_daily_balance).toHaveLength(5);
  });
});

describe('incremental refresh of the local marts', () => {
  it('builds every incremental model in full on a new lake, then rebuilds nothing when nothing changed', async () => {
    const lake = await newLake();
    await tenDays(lake);

    const first = await build(lake);
    const afterFirst = await snapshot(first.engine);
    const again = await build(lake);

    expect(refreshOf(first.catalog, 'fact_account_daily_balance')).toMatchObject({ mode: 'full' });
    expect(refreshOf(first.catalog, 'fact_account_daily_balance').days).toHaveLength(10);
    for (const model of INCREMENTAL) {
      expect(refreshOf(again.catalog, model), model).toMatchObject({
        mode: 'unchanged',
        days: [],
        statements: 0,
      });
    }
    expect(afterFirst.fact_transactions).toHaveLength(20);
    expect(await snapshot(again.engine)).toEqual(afterFirst);
  });

  it('rebuilds only the days a new file touched, and the days after them that carry its balances', async () => {
    const lake = await newLake();
    await tenDays(lake);
    await build(lake);

    // A late file for day 7 (a new account), and day 11.
    await lake.writeCurated('transactions', 'late-7', [deposit('N7', '2024-03-07', 40, 'A3')]);
    await lake.writeCurated('transactions', 'day-11', [deposit('T11', '2024-03-11', 10)]);
    const { catalog } = await build(lake);

    expect(catalog.refresh?.changedInputs).toEqual({ transactions: ['2024-03-07', '2024-03-11'] });
    expect(refreshOf(catalog, 'fact_transactions')).toMatchObject({
      mode: 'incremental',
      days: ['2024-03-07', '2024-03-11'],
      statements: 1,
    });
    const through = ['2024-03-07', '2024-03-08', '2024-03-09', '2024-03-10', '2024-03-11'];
    expect(refreshOf(catalog, 'fact_account_daily_balance')).toMatchObject({
      mode: 'incremental',
      days: through,
    });
    expect(refreshOf(catalog, 'balance_moves')).toMatchObject({ mode: 'incremental', days: through });
    // kpi_daily: each changed day and the 6 after it, up to the latest day.
    expect(refreshOf(catalog, 'kpi_daily')).toMatchObject({ mode: 'incremental', days: through });
    // No invoices arrived: the organization snapshot has nothing to do.
    expect(refreshOf(catalog, 'fact_organization_daily_financials')).toMatchObject({ mode: 'unchanged' });
  });

  it('gives exactly what a full build gives after late files, corrections, re-drops and a new account', async () => {
    const lake = await newLake();
    await tenDays(lake);
    await build(lake);

    // A correction of day 4 replaces its file; day 6 gets a second file; a new account on day 9;
    // a failed transaction (moves no balance) on day 12 after two quiet days.
    lake.removeCurated('transactions', 'day-4');
    await lake.writeCurated(
      'transactions',
      'day-4-corrected',
      [deposit('T4', '2024-03-04', 400)],
      '2024-03-05T00:00:00Z',
    );
    await lake.writeCurated('transactions', 'day-6-extra', [deposit('X6', '2024-03-06', 7, 'A2')]);
    await build(lake);
    await lake.writeCurated('transactions', 'new-account', [deposit('N9', '2024-03-09', 60, 'A9')]);
    await lake.writeCurated('transactions', 'day-12', [
      transaction({ transaction_id: 'F12', event_time: '2024-03-12T08:00:00Z', status: 'failed', amount: 3 }),
    ]);
    const incremental = await build(lake);
    const afterIncremental = await snapshot(incremental.engine);

    const full = await build(lake, { rebuild: true });

    expect(refreshOf(full.catalog, 'fact_account_daily_balance').mode).toBe('full');
    expect(afterIncremental).toEqual(await snapshot(full.engine));
    // The known answer: A1 holds 10 a day for days 1-10 with day 4 at 400, nothing on 11, a failed one on 12.
    const a1 = await incremental.engine.query(
      "select balance_date, closing_balance from fact_account_daily_balance where account_id = 'A1' and balance_date in (date '2024-03-03', date '2024-03-04', date '2024-03-12') order by balance_date",
    );
    expect(a1.rows).toEqual([
      { balance_date: '2024-03-03', closing_balance: 30 },
      { balance_date: '2024-03-04', closing_balance: 430 },
      { balance_date: '2024-03-12', closing_balance: 490 },
    ]);
    const a9 = await incremental.engine.query(
      "select min(balance_date) as first_day, count(*) as days from fact_account_daily_balance where account_id = 'A9'",
    );
    expect(a9.rows).toEqual([{ first_day: '2024-03-09', days: 4 }]);
  });

  it.each([1, 2, 3])(
    'matches a full build whatever order the files arrive in (seed %i)',
    async (seed) => {
      const lake = await newLake();
      // Twelve files over 9 days: two accounts, late files, a replaced file, a failed transaction.
      const files: { stem: string; rows: FixtureRow[]; replaces?: string }[] = [];
      for (let d = 1; d <= 9; d++) {
        const day = `2024-04-0${d}`;
        files.push({ stem: `f${d}`, rows: [deposit(`T${d}`, day, d * 10), deposit(`U${d}`, day, 3, 'A2')] });
      }
      files.push({ stem: 'extra-3', rows: [deposit('E3', '2024-04-03', 500, 'A3')] });
      files.push({ stem: 'f5-corrected', rows: [deposit('T5', '2024-04-05', 5)], replaces: 'f5' });
      files.push({
        stem: 'failed-8',
        rows: [transaction({ transaction_id: 'F8', event_time: '2024-04-08T01:00:00Z', status: 'failed' })],
      });
      let state = seed;
      const random = () => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return state / 2 ** 31;
      };
      const ordered = files
        .map((file) => ({ file, key: random() }))
        .sort((a, b) => a.key - b.key)
        .map((o) => o.file);
      // A corrected file arrives after the file it replaces.
      const corrected = ordered.findIndex((f) => f.replaces);
      const original = ordered.findIndex((f) => f.stem === ordered[corrected]?.replaces);
      if (corrected < original) ordered.push(...ordered.splice(corrected, 1));

      // The first build sees the first file only, so every later file is refreshed incrementally.
      const refreshes: string[] = [];
      for (const [index, file] of ordered.entries()) {
        if (file.replaces) lake.removeCurated('transactions', file.replaces);
        const at = `2024-05-01T00:00:${String(index).padStart(2, '0')}Z`;
        await lake.writeCurated('transactions', file.stem, file.rows, at);
        if (index % 3 === 0) {
          const { catalog } = await build(lake);
          refreshes.push(refreshOf(catalog, 'fact_account_daily_balance').mode);
        }
      }
      const incremental = await build(lake);
      // Read before the full build: both engines read the same marts folder.
      const afterIncremental = await snapshot(incremental.engine);
      const full = await build(lake, { rebuild: true });

      expect(refreshes).toEqual(['full', 'incremental', 'incremental', 'incremental']);
      expect(afterIncremental.fact_account_daily_balance).not.toEqual([]);
      expect(afterIncremental).toEqual(await snapshot(full.engine));
    },
    30_000,
  );

  it('lists only the hinted days once the state knows a dataset, and catches up the rest without hints', async () => {
    const lake = await newLake();
    await tenDays(lake);
    const hinted = async (hints?: Record<string, string[]>) => {
      const engine = await openDuckDb({ source: lake.dir, threads: 1 });
      cleanups.push(() => engine.close());
      await installCompatMacros(engine);
      await createBaseTables(engine, { lakeDir: lake.dir });
      return (await buildModels(engine, { lakeDir: lake.dir, ...(hints ? { hints } : {}) })).refresh!;
    };

    // No state yet: a hint for day 10 still builds every day.
    const first = await hinted({ transactions: ['2024-03-10'] });
    await lake.writeCurated('transactions', 'late-2', [deposit('L2', '2024-03-02', 1)]);
    await lake.writeCurated('transactions', 'day-11', [deposit('T11', '2024-03-11', 1)]);
    const narrow = await hinted({ transactions: ['2024-03-11'] });
    const catchUp = await hinted();

    expect(first.partitions.fact_transactions).toHaveLength(10);
    expect(narrow.changedInputs).toEqual({ transactions: ['2024-03-11'] });
    expect(catchUp.changedInputs).toEqual({ transactions: ['2024-03-02'] });
    expect(catchUp.models.find((m) => m.model === 'fact_transactions')?.days).toEqual(['2024-03-02']);
  });

  it('finishes a rebuild that was stopped part-way on the next run, even one that asks for nothing', async () => {
    const lake = await newLake();
    await tenDays(lake);
    await build(lake);
    // A rebuild whose statement for kpi_daily fails (as a run stopped at its deadline would).
    const engine = await openDuckDb({ source: lake.dir, threads: 1 });
    cleanups.push(() => engine.close());
    await installCompatMacros(engine);
    await createBaseTables(engine, { lakeDir: lake.dir });
    await buildModels(engine, { lakeDir: lake.dir });
    const writer = new DuckDbMartWriter(engine, lake.dir);
    const failing = {
      names: writer.names,
      prepare: writer.prepare.bind(writer),
      replacePartitions: async (
        model: Parameters<typeof writer.replacePartitions>[0],
        days: readonly string[],
        sql: string,
      ) => {
        if (model.name === 'kpi_daily') throw new Error('stopped at the deadline');
        await writer.replacePartitions(model, days, sql);
      },
    };
    const models = loadModels();
    const stopped = await refreshMarts({
      engine,
      store: new FsObjectStore(lake.dir),
      writer: failing,
      models,
      rebuild: true,
      definitionExtra: (model) => referenceDefinition(model, models, DEFAULT_REFERENCE_DIR),
    }).catch((error: Error) => error);

    const next = await build(lake);

    expect(stopped).toBeInstanceOf(Error);
    expect(refreshOf(next.catalog, 'fact_transactions').mode).toBe('unchanged');
    expect(refreshOf(next.catalog, 'kpi_daily').mode).toBe('full');
    expect(refreshOf(next.catalog, 'balance_moves').mode).toBe('full');
  });

  it('refreshes a day once when two files of one batch touch it', async () => {
    const lake = await newLake();
    await tenDays(lake);
    await build(lake);

    await lake.writeCurated('transactions', 'batch-a', [deposit('BA', '2024-03-10', 1)]);
    await lake.writeCurated('transactions', 'batch-b', [deposit('BB', '2024-03-10', 2)]);
    const { catalog, engine } = await build(lake);

    expect(refreshOf(catalog, 'fact_transactions')).toMatchObject({ days: ['2024-03-10'], statements: 1 });
    expect(refreshOf(catalog, 'fact_account_daily_balance')).toMatchObject({
      days: ['2024-03-10'],
      statements: 1,
    });
    const rows = await engine.query(
      "select count(*) as n from fact_transactions where event_date = date '2024-03-10'",
    );
    expect(rows.rows).toEqual([{ n: 4 }]);
  });

  it('empties a day whose only file was withdrawn', async () => {
    const lake = await newLake();
    await tenDays(lake);
    await build(lake);

    lake.removeCurated('transactions', 'day-5');
    const { catalog, engine } = await build(lake);

    expect(refreshOf(catalog, 'fact_transactions').days).toEqual(['2024-03-05']);
    expect(catalog.refresh?.partitions.fact_transactions).not.toContain('2024-03-05');
    const rows = await engine.query(
      "select count(*) as n from fact_transactions where event_date = date '2024-03-05'",
    );
    expect(rows.rows).toEqual([{ n: 0 }]);
  });

  it('rebuilds a model in full when a reference file it reads changes', async () => {
    const lake = await newLake();
    await tenDays(lake);
    const referenceDir = referenceDirWith([accountRule()]);
    await build(lake, { referenceDir });

    const changed = referenceDirWith([accountRule({ threshold_rate: 0.9 })]);
    const { catalog } = await build(lake, { referenceDir: changed });

    expect(refreshOf(catalog, 'balance_moves').mode).toBe('full');
    expect(refreshOf(catalog, 'fact_transactions').mode).toBe('unchanged');
  });

  it('alerts once, as a revision, when a correction three days back moves a balance again', async () => {
    const lake = await newLake();
    const referenceDir = referenceDirWith([accountRule()]);
    await tenDays(lake);
    // Day 11: A1 jumps from 100 to 1100 (a breach).
    await lake.writeCurated('transactions', 'day-11', [deposit('J11', '2024-03-11', 1000)]);
    for (let d = 12; d <= 14; d++) {
      await lake.writeCurated('transactions', `day-${d}`, [deposit(`T${d}`, `2024-03-${d}`, 1)]);
    }
    const store = new FsObjectStore(lake.dir);
    const publisher = new RecordingPublisher();
    const first = await build(lake, { referenceDir });
    await evaluateAlerts({ engine: first.engine, store, publisher, dates: ['2024-03-11'] });
    expect(publisher.published.map((p) => p.digest.entries.map((e) => [e.entityId, e.revision]))).toEqual([
      [['A1', false]],
    ]);

    // Three days back from the latest (day 14): the jump on day 11 was 2000, not 1000.
    lake.removeCurated('transactions', 'day-11');
    await lake.writeCurated('transactions', 'day-11-corrected', [deposit('J11', '2024-03-11', 2000)]);
    const second = await build(lake, { referenceDir });
    const days = refreshOf(second.catalog, 'balance_moves').days;
    expect(days).toEqual(['2024-03-11', '2024-03-12', '2024-03-13', '2024-03-14']);
    const closing = await second.engine.query(
      "select closing_balance from fact_account_daily_balance where account_id = 'A1' and balance_date = date '2024-03-14'",
    );
    expect(closing.rows).toEqual([{ closing_balance: 2103 }]);
    const run = await evaluateAlerts({ engine: second.engine, store, publisher, dates: days });
    const rerun = await evaluateAlerts({ engine: second.engine, store, publisher, dates: days });

    expect(
      run.delivered.map((d) => [d.digest.day, d.digest.entries.map((e) => [e.entityId, e.revision])]),
    ).toEqual([['2024-03-11', [['A1', true]]]]);
    expect(rerun.delivered).toEqual([]);
  });
});
