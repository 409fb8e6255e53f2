/**
 * Benchmark: how big the report page gets. Builds a synthetic lake of 30 and 365 days (every city of
 * reference/cities.csv, the 4 payment channels, 3 customer segments, 8 product categories), builds
 * the catalog on DuckDB, writes the report over the whole lake, and prints the page size with what
 * each embedded cube weighs. Prints figures; not a test. Run: `npm run bench:report-size`.
 *
 * Options (env): BENCH_DAYS_LIST (default `30,365`), BENCH_TX_PER_DAY (10000), BENCH_ACCOUNTS
 * (5000), BENCH_ORDERS_PER_DAY (2000). The cubes grow with days x the combinations that occur
 * (at most 4 channels x 28 cities x 4 segments a day), not with the number of transactions.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildCatalog } from '../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../src/engine/duckdb';
import { buildReport } from '../src/report/build-report';
import { readPayload } from '../src/report/dashboard';
import { addDays } from '../src/report/format';
import { REPO_ROOT } from '../src/sql/models';
import { writeCommitRecords } from '../test/support/commit-records';

const daysList = (process.env.BENCH_DAYS_LIST ?? '30,365')
  .split(',')
  .map((d) => Number(d.trim()))
  .filter((d) => d > 0);
const txPerDay = Number(process.env.BENCH_TX_PER_DAY ?? 10_000);
const accounts = Number(process.env.BENCH_ACCOUNTS ?? 5_000);
const ordersPerDay = Number(process.env.BENCH_ORDERS_PER_DAY ?? 2_000);
const FIRST_DAY = '2024-01-01';

/** The city names of reference/cities.csv, as a SQL list literal. */
function referenceCities(): string {
  const lines = readFileSync(join(REPO_ROOT, 'reference', 'cities.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
  const names = lines.map((line) =>
    line.startsWith('"') ? line.slice(1, line.indexOf('"', 1)) : line.split(',')[0]!,
  );
  return `[${names.map((n) => `'${n.replace(/'/g, "''")}'`).join(', ')}]`;
}

async function writeLake(generator: DuckDbEngine, lakeDir: string, days: number): Promise<void> {
  const cities = referenceCities();
  const curated = (dataset: string) => {
    const folder = join(lakeDir, 'curated', dataset);
    mkdirSync(folder, { recursive: true });
    return folder;
  };
  await generator.execute(`
    copy (
      select
        'T' || lpad(cast(i as varchar), 10, '0') as transaction_id,
        cast(timestamp '${FIRST_DAY} 00:00:00' + to_days(cast(i // ${txPerDay} as integer))
          + to_seconds(cast((i * 104729) % 86400 as bigint)) as timestamptz) as event_time,
        'C' || cast((i * 7919) % ${accounts} as varchar) as customer_id,
        'A' || cast((i * 7919) % ${accounts} as varchar) as account_id,
        (['credit_card', 'debit_card', 'upi', 'net_banking'])[1 + i % 4] as channel,
        ${cities}[1 + (i // 7) % len(${cities})] as city,
        (['deposit', 'deposit', 'withdrawal', 'payment', 'refund', 'fee'])[1 + (i // 3) % 6] as type,
        cast(1 + (i * 31) % 200000 / 100.0 as decimal(18, 2)) as amount,
        'USD' as currency,
        case when i % 10 = 0 then 'failed' when i % 50 = 1 then 'pending' else 'success' end as status,
        ((i * 13) % 5000) / 1000.0 as processing_time_s,
        'landing/transactions/bench-' || cast(i // ${txPerDay} as varchar) || '.csv' as source_key,
        cast(i % ${txPerDay} + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' + to_days(cast(i // ${txPerDay} + 1 as integer)) as timestamptz) as ingested_at,
        cast(date '${FIRST_DAY}' + cast(i // ${txPerDay} as integer) as date) as dt
      from range(0, ${days * txPerDay}) as r (i)
    ) to '${curated('transactions')}' (format parquet, partition_by (dt), compression snappy,
      filename_pattern 'bench-{uuid}')`);
  await generator.execute(`
    copy (
      select
        'C' || cast(c as varchar) as customer_id,
        'Customer ' || cast(c as varchar) as name,
        'c' || cast(c as varchar) || '@example.com' as email,
        (['retail', 'premium', 'business'])[1 + c % 3] as segment,
        ${cities}[1 + (c // 3) % len(${cities})] as city,
        cast(timestamp '${FIRST_DAY} 00:00:00' as timestamptz) as updated_at,
        'landing/customers/bench.csv' as source_key,
        cast(c + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' as timestamptz) as ingested_at,
        date '${FIRST_DAY}' as dt
      from range(${accounts}) as a (c)
    ) to '${curated('customers')}' (format parquet, partition_by (dt), compression snappy, filename_pattern 'bench-{uuid}')`);
  await generator.execute(`
    copy (
      select
        'S' || lpad(cast(i as varchar), 10, '0') as transaction_id,
        'C' || cast((i * 104729) % ${accounts} as varchar) as customer_id,
        'P' || lpad(cast(i % 40 as varchar), 3, '0') as product_id,
        'Product ' || cast(i % 40 as varchar) as product_name,
        (['electronics', 'home', 'books', 'toys', 'garden', 'sports', 'beauty', 'grocery'])[1 + i % 8] as category,
        (['Electronics', 'Home', 'Books', 'Toys', 'Garden', 'Sports', 'Beauty', 'Grocery'])[1 + i % 8] as category_display,
        cast(5 + (i * 17) % 20000 / 100.0 as decimal(18, 2)) as price,
        cast(1 + i % 4 as integer) as quantity,
        cast((i % 5) * 0.05 as double) as discount,
        (['east', 'west', 'north', 'south'])[1 + i % 4] as region,
        (['East', 'West', 'North', 'South'])[1 + i % 4] as region_display,
        cast(date '${FIRST_DAY}' + cast(i // ${ordersPerDay} as integer) as date) as order_date,
        cast(timestamp '${FIRST_DAY} 09:00:00' + to_days(cast(i // ${ordersPerDay} as integer)) as timestamptz) as order_time,
        cast(i % 100 as integer) as loyalty_points,
        'landing/sales/bench-' || cast(i // ${ordersPerDay} as varchar) || '.csv' as source_key,
        cast(i % ${ordersPerDay} + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' + to_days(cast(i // ${ordersPerDay} + 1 as integer)) as timestamptz) as ingested_at,
        cast(date '${FIRST_DAY}' + cast(i // ${ordersPerDay} as integer) as date) as dt
      from range(0, ${days * ordersPerDay}) as r (i)
    ) to '${curated('sales')}' (format parquet, partition_by (dt), compression snappy, filename_pattern 'bench-{uuid}')`);
  // Portfolios: 1,000 clients x 30 products, 200 movements a day (buys, sells, liens, releases).
  await generator.execute(`
    copy (
      select
        'H' || lpad(cast(i as varchar), 10, '0') as movement_id,
        cast(timestamp '${FIRST_DAY} 00:00:00' + to_days(cast(i // 200 as integer))
          + to_seconds(cast((i * 104729) % 86400 as bigint)) as timestamptz) as event_time,
        'K' || cast((i * 7919) % 1000 as varchar) as client_id,
        'ISIN' || lpad(cast(i % 30 as varchar), 8, '0') as product_id,
        (['security', 'fund', 'commodity'])[1 + i % 3] as product_type,
        case when i < 6000 then 'buy' else (['buy', 'buy', 'sell', 'lien', 'lien_release'])[1 + (i // 7) % 5] end as movement_type,
        cast(case when i < 6000 then 500 else 1 + (i * 31) % 50 end as decimal(18, 2)) as units,
        cast(10 + (i * 17) % 9000 / 100.0 as decimal(18, 2)) as price,
        'USD' as currency,
        'landing/holdings_movements/bench-' || cast(i // 200 as varchar) || '.csv' as source_key,
        cast(i % 200 + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' + to_days(cast(i // 200 + 1 as integer)) as timestamptz) as ingested_at,
        cast(date '${FIRST_DAY}' + cast(i // 200 as integer) as date) as dt
      from range(0, ${days * 200}) as r (i)
    ) to '${curated('holdings_movements')}' (format parquet, partition_by (dt), compression snappy, filename_pattern 'bench-{uuid}')`);
  // Inventory: 20 stock items at 6 locations, 300 movements a day.
  await generator.execute(`
    copy (
      select
        'M' || lpad(cast(i as varchar), 10, '0') as movement_id,
        cast(timestamp '${FIRST_DAY} 00:00:00' + to_days(cast(i // 300 as integer))
          + to_seconds(cast((i * 104729) % 86400 as bigint)) as timestamptz) as event_time,
        'SKU-' || cast(1000 + i % 20 as varchar) as product_id,
        (['WH-EAST', 'WH-WEST', 'BR-1', 'BR-2', 'BR-3', 'BR-4'])[1 + (i // 20) % 6] as location_id,
        case when (i // 120) % 4 = 2 then 'BR-1' end as to_location_id,
        (['receipt', 'issue', 'transfer', 'issue'])[1 + (i // 120) % 4] as movement_type,
        cast(1 + (i * 31) % 40 as decimal(18, 2)) as units,
        cast(null as varchar) as reason,
        'landing/stock_movements/bench-' || cast(i // 300 as varchar) || '.csv' as source_key,
        cast(i % 300 + 1 as integer) as source_line,
        cast(timestamp '${FIRST_DAY} 06:00:00' + to_days(cast(i // 300 + 1 as integer)) as timestamptz) as ingested_at,
        cast(date '${FIRST_DAY}' + cast(i // 300 as integer) as date) as dt
      from range(0, ${days * 300}) as r (i)
    ) to '${curated('stock_movements')}' (format parquet, partition_by (dt), compression snappy, filename_pattern 'bench-{uuid}')`);
}

const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KB`;

async function run(days: number): Promise<string> {
  const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-report-size-'));
  try {
    const started = performance.now();
    const generator = await openDuckDb();
    await writeLake(generator, lakeDir, days);
    // Readers see a source file's rows once it is committed, as ingest does (src/ingest/commit.ts).
    for (const dataset of ['transactions', 'customers', 'sales', 'holdings_movements', 'stock_movements']) {
      await writeCommitRecords(generator, lakeDir, dataset);
    }
    await generator.close();
    const engine = await openDuckDb({ source: lakeDir });
    try {
      await buildCatalog(engine, { lakeDir });
      const built = performance.now();
      const html = await buildReport(engine, { from: FIRST_DAY, to: addDays(FIRST_DAY, days - 1) });
      const seconds = (performance.now() - built) / 1000;
      const payload = readPayload(html) as unknown as Record<string, unknown>;
      const block = Buffer.byteLength(/id="report-data"[^>]*>([^<]*)</.exec(html)![1]!);
      const parts = Object.entries(payload)
        .map(([name, value]) => [name, Buffer.byteLength(JSON.stringify(value))] as const)
        .sort((a, b) => b[1] - a[1])
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(', ');
      const rows = (cube: string) => (payload[cube] as { d: unknown[] }).d.length.toLocaleString('en-US');
      const page = Buffer.byteLength(html);
      console.log(
        `${days} days (${(days * txPerDay).toLocaleString('en-US')} transactions, ${(days * ordersPerDay).toLocaleString('en-US')} order lines, ${accounts.toLocaleString('en-US')} accounts; lake and catalog in ${((built - started) / 1000).toFixed(0)} s):`,
      );
      console.log(
        `  page ${kb(page)} (${(page / 1024 / 1024).toFixed(2)} MB), built in ${seconds.toFixed(1)} s`,
      );
      console.log(
        `  cube rows: transactions ${rows('tx')}, sales ${rows('sales')}, balances ${rows('balances')}, portfolio ${rows('portfolio')}, inventory ${rows('inventory')}`,
      );
      console.log(`  data block ${kb(block)} (gzip + base64); its JSON by part: ${parts}`);
      return `| ${days} days | ${kb(page)} | ${(page / 1024 / 1024).toFixed(2)} MB |`;
    } finally {
      await engine.close();
    }
  } finally {
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

const lines: string[] = [];
for (const days of daysList) lines.push(await run(days));
console.log('\n| lake | page | |\n|---|---|---|');
for (const line of lines) console.log(line);
