import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoIngest, landAndIngestDemo } from '../../src/cli/commands/demo';
import { FsObjectStore } from '../../src/storage/fs-store';

const run = promisify(execFile);
const CLI = resolve('bin/ledgerlake.mjs');

describe('demo end to end', () => {
  let dir: string;
  let demo: DemoIngest;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'demo-test-'));
    demo = await landAndIngestDemo(new FsObjectStore(dir), { days: 4, seed: 7 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports in every manifest exactly the rows the generator planted', () => {
    const reported = demo.results.map(({ manifest: m }) => ({
      key: m.source_key,
      rows: m.rows_read,
      valid: m.rows_valid,
      quarantined: m.rows_quarantined,
      duplicates: m.duplicates_dropped,
      rejected: m.status === 'rejected',
    }));
    const planted = demo.files.map((f) => ({
      key: f.key,
      rows: f.expected.rejected ? 0 : f.expected.rows,
      valid: f.expected.valid,
      quarantined: f.expected.quarantined,
      duplicates: f.expected.duplicates,
      rejected: f.expected.rejected ?? false,
    }));
    expect(reported).toEqual(planted);
    expect(planted.filter((p) => p.rejected)).toHaveLength(2);
    expect(planted.reduce((s, p) => s + p.quarantined, 0)).toBeGreaterThan(0);
    expect(planted.reduce((s, p) => s + p.duplicates, 0)).toBeGreaterThan(0);
  });

  it('lands every valid row in the lake once: curated Parquet row counts equal the manifests', async () => {
    const lake = new FsObjectStore(dir);
    const curatedRows = demo.results
      .flatMap((r) => r.manifest.files_written)
      .filter((f) => f.kind === 'curated')
      .reduce((s, f) => s + f.rows, 0);
    expect(curatedRows).toBe(demo.results.reduce((s, r) => s + r.manifest.rows_valid, 0));
    let parquetFiles = 0;
    for await (const info of lake.list('curated/')) if (info.key.endsWith('.parquet')) parquetFiles++;
    expect(parquetFiles).toBe(
      demo.results.flatMap((r) => r.manifest.files_written).filter((f) => f.kind === 'curated').length,
    );
  });

  it('runs from the command line: ingest, catalog, KPIs, alerts once, report; a second run changes nothing', async () => {
    const lake = join(dir, 'cli-lake');
    const first = await run(process.execPath, [CLI, 'demo', '--days', '4', '--lake', lake]);
    expect(first.stdout).toMatch(/ingested \d+ files in/);
    const transactionFiles = demo.files.filter((f) => f.key.startsWith('landing/transactions/')).length;
    expect(first.stdout).toMatch(new RegExp(`transactions\\s+${transactionFiles}\\s+\\d+`));
    expect(first.stdout).toContain("landing/wire_transfers/x.csv: unknown dataset 'wire_transfers'");
    expect(first.stdout).toMatch(/latest daily KPIs \(kpi_daily\):\n.*revenue_7d_avg/);
    for (const alert of demo.plantedAlerts) expect(first.stdout).toContain(alert.entityId);
    expect(first.stdout).toContain('sign flip: positive to negative');
    const sent = Number(/(\d+) digest\(s\) sent\n/.exec(first.stdout)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(2);
    const reportPath = /report: (\S+report\.html)/.exec(first.stdout)?.[1];
    expect((await stat(reportPath!)).size).toBeGreaterThan(10_000);

    // The planted holding and stock position, looked up with the shipped binary.
    const portfolio = await run(process.execPath, [
      CLI,
      'balance',
      'ALERT-CLIENT',
      '--model',
      'portfolio',
      '--product',
      'FUND-ALERT',
      '--date',
      '2024-06-30',
      '--lake',
      lake,
    ]);
    expect(portfolio.stdout.split('\n')[0]).toBe(
      'client ALERT-CLIENT, product FUND-ALERT on 2024-06-30: available 200.00 units (held 1000.00, under lien 800.00)',
    );
    const inventory = await run(process.execPath, [
      CLI,
      'balance',
      'SKU-ALERT',
      '--model',
      'inventory',
      '--date',
      '2024-06-29',
      '--lake',
      lake,
    ]);
    expect(inventory.stdout).toContain('product SKU-ALERT at BR-ALERT on 2024-06-29: 100.00 units on hand');
    expect(inventory.stdout).toContain(
      'product SKU-ALERT company-wide on 2024-06-29: 100.00 units on hand at 1 location(s)',
    );

    const second = await run(process.execPath, [CLI, 'demo', '--days', '4', '--lake', lake]);
    expect(second.stdout).toMatch(/\((\d+) unchanged since the last run: nothing rewritten\)/);
    expect(second.stdout).toMatch(/\n0 digest\(s\) sent, \d+ already sent by an earlier run/);
  });

  it('exits with a one-line reason on a usage error', async () => {
    const failure = await run(process.execPath, [CLI, 'demo', '--days', 'many', '--lake', dir]).catch(
      (e) => e,
    );
    expect(failure.code).toBe(2);
    expect(failure.stderr.trim()).toBe("ledgerlake: --days must be a positive whole number, got 'many'");
  });
});
