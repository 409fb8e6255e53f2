import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type PlantedAlert, plantBalanceMoves } from '../../alerts/demo-moves';
import { alertDatesAfterRefresh, evaluateAlerts } from '../../alerts/evaluate';
import { CollectingPublisher, ConsolePublisher } from '../../alerts/publishers';
import { DEMO_DEFAULTS, type DemoFile, generateDemo } from '../../demo/generate';
import { STOCK_PRODUCTS } from '../../demo/stock';
import { buildCatalog } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import type { QueryResult } from '../../engine/query-engine';
import { type IngestResult, ingestObject } from '../../ingest/ingest-object';
import { LAKE_PREFIXES } from '../../ingest/lake-layout';
import type { Manifest } from '../../ingest/manifest';
import { MARTS_PREFIX } from '../../materialize/state';
import { FsObjectStore } from '../../storage/fs-store';
import { DEFAULT_LAKE_DIR, lakeDir, lakeOption, parsePositiveIntOption } from '../program';
import { createProgress } from '../progress';
import { formatTable } from './query';
import { writeReport } from './report';

/** A landed demo file and what a correct pipeline must report for it. */
export type LandedDemoFile = Pick<DemoFile, 'key' | 'body' | 'expected'>;

export interface DemoIngest {
  readonly files: readonly LandedDemoFile[];
  readonly results: readonly IngestResult[];
  readonly seconds: number;
  /** Alerts the planted balance moves must raise on the last day (empty when the demo is too short). */
  readonly plantedAlerts: readonly PlantedAlert[];
}

/** Days the demo needs for the planted balance moves (a baseline two days before the last day). */
const MIN_DAYS_FOR_ALERTS = 4;

/**
 * Generates the sample files (plus a few sharp balance moves on the last day, so the alerts have
 * something to say), lands them in the lake and ingests each one.
 */
export async function landAndIngestDemo(
  lake: FsObjectStore,
  options: { days: number; seed: number },
): Promise<DemoIngest> {
  const started = performance.now();
  const moves =
    options.days >= MIN_DAYS_FOR_ALERTS
      ? plantBalanceMoves(DEMO_DEFAULTS.endDate)
      : { files: [], alerts: [] };
  const files: LandedDemoFile[] = [
    ...generateDemo({ days: options.days, seed: options.seed }),
    ...moves.files.map((f) => ({
      key: f.key,
      body: f.body,
      expected: { rows: f.rows, valid: f.rows, quarantined: 0, duplicates: 0, rejected: false },
    })),
  ];
  const progress = createProgress('ingesting', files.length);
  const results: IngestResult[] = [];
  for (const [i, file] of files.entries()) {
    await lake.put(file.key, file.body);
    results.push(await ingestObject({ landing: lake, lake, key: file.key }));
    progress.update(i + 1, file.key);
  }
  progress.done();
  return { files, results, seconds: (performance.now() - started) / 1000, plantedAlerts: moves.alerts };
}

/** What the demo found in the lake once ingested (the `--json` output's second half). */
interface LakeSummary {
  readonly catalog: { readonly tables: number; readonly models: number; readonly seconds: number };
  readonly kpis: QueryResult['rows'];
  readonly alerts: {
    readonly dates: readonly string[];
    readonly breaches: number;
    readonly already_sent: number;
    readonly digests: readonly Record<string, unknown>[];
  };
  readonly report: { readonly path: string; readonly bytes: number };
}

/**
 * What the lake says once ingested: builds the DuckDB catalog, reads the last KPI days, evaluates the
 * balance alerts (each sent once: a second demo run says they were already sent) and writes the report.
 * Prints as it goes, unless `quiet` (`--json`).
 */
async function showLake(root: string, lake: FsObjectStore, quiet: boolean): Promise<LakeSummary> {
  const say = (text: string) => {
    if (!quiet) console.log(text);
  };
  const engine = await openDuckDb({ source: root });
  try {
    const started = performance.now();
    const catalog = await buildCatalog(engine, { lakeDir: root });
    const seconds = (performance.now() - started) / 1000;
    say(
      `\ncatalog: ${catalog.baseTables.length} tables and ${catalog.models.length} models (star schema, analytics, alerts) ` +
        `built on DuckDB in ${seconds.toFixed(1)} s`,
    );
    const kpis = await engine.query(
      `select kpi_date as day, round(revenue, 2) as revenue, round(revenue_7d_avg, 2) as revenue_7d_avg, transaction_count as transactions,
              round(100 * failure_rate, 1) as failure_pct, round(avg_processing_time_s, 2) as avg_processing_s
       from kpi_daily order by kpi_date desc limit 3`,
    );
    say('\nlatest daily KPIs (kpi_daily):');
    say(formatTable(kpis));

    say('balance alerts (a move of 50% or more, sent once):');
    const collector = new CollectingPublisher();
    const alerts = await evaluateAlerts({
      engine,
      store: lake,
      publisher: quiet ? collector : new ConsolePublisher(),
      ...alertDatesAfterRefresh(catalog.refresh),
    });
    const sentEarlier =
      alerts.alreadySent > 0 ? `, ${alerts.alreadySent} already sent by an earlier run` : '';
    say(`${alerts.delivered.length} digest(s) sent${sentEarlier}`);

    const report = await writeReport(engine, { out: join(root, 'report.html') });
    say(`\nreport: ${report.path} (${(report.bytes / 1024).toFixed(0)} KB, open it in a browser)`);
    return {
      catalog: { tables: catalog.baseTables.length, models: catalog.models.length, seconds },
      kpis: kpis.rows,
      alerts: {
        dates: alerts.dates,
        breaches: alerts.breaches,
        already_sent: alerts.alreadySent,
        digests: collector.sent,
      },
      report: { path: report.path, bytes: report.bytes },
    };
  } finally {
    await engine.close();
  }
}

/** Per-dataset totals of the manifests, as table rows. */
export function datasetSummary(manifests: readonly Manifest[]): QueryResult {
  const byDataset = new Map<string, Manifest[]>();
  for (const m of manifests) byDataset.set(m.dataset, [...(byDataset.get(m.dataset) ?? []), m]);
  const rows = [...byDataset].map(([dataset, list]) => ({
    dataset,
    files: list.length,
    'rows read': list.reduce((s, m) => s + m.rows_read, 0),
    valid: list.reduce((s, m) => s + m.rows_valid, 0),
    quarantined: list.reduce((s, m) => s + m.rows_quarantined, 0),
    duplicates: list.reduce((s, m) => s + m.duplicates_dropped, 0),
    'rejected files': list.filter((m) => m.status === 'rejected').length,
  }));
  return { columns: Object.keys(rows[0] ?? {}).map((name) => ({ name, type: '' })), rows };
}

/** The most frequent quarantine reasons over all manifests, as `field.rule` counts. */
export function topViolations(manifests: readonly Manifest[], limit = 6): [string, number][] {
  const counts = new Map<string, number>();
  for (const m of manifests) {
    for (const [rule, n] of Object.entries(m.violations_by_rule))
      counts.set(rule, (counts.get(rule) ?? 0) + n);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit);
}

/** ` --lake DIR` when the demo used a lake other than the default, for the printed commands. */
function lakeHint(lake: string): string {
  return lake === DEFAULT_LAKE_DIR ? '' : ` --lake ${lake}`;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Generate deterministic sample data and run the whole pipeline locally: ingest, catalog, KPIs, alerts, report.',
    )
    .addOption(lakeOption())
    .option('--days <n>', 'days of sample transactions', String(DEMO_DEFAULTS.days))
    .option('--seed <n>', 'seed of the sample data generator', String(DEMO_DEFAULTS.seed))
    .option('--fresh', 'empty the lake first (landing, curated, quarantine, manifests, marts, alerts)', false)
    .option('--json', 'print the run as JSON: files, datasets, KPIs, the alerts sent and the report', false)
    .action(async (options: { lake: string; days: string; seed: string; fresh: boolean; json: boolean }) => {
      const days = parsePositiveIntOption(options.days, '--days');
      const seed = parsePositiveIntOption(options.seed, '--seed');
      const root = lakeDir(options);
      if (options.fresh) {
        for (const prefix of [...Object.values(LAKE_PREFIXES), MARTS_PREFIX, 'alerts/']) {
          await rm(join(root, prefix), { recursive: true, force: true });
        }
      }
      const lake = new FsObjectStore(root);
      const say = (text: string) => {
        if (!options.json) console.log(text);
      };
      say(`ledgerlake demo: ${days} days of sample data (seed ${seed}) into ${root}`);
      const demo = await landAndIngestDemo(lake, { days, seed });
      const manifests = demo.results.map((r) => r.manifest);
      const unchanged = demo.results.filter((r) => r.skipped).length;
      say(
        `\ningested ${demo.files.length} files in ${demo.seconds.toFixed(1)} s` +
          (unchanged > 0 ? ` (${unchanged} unchanged since the last run: nothing rewritten)` : ''),
      );
      const summary = datasetSummary(manifests);
      say(formatTable(summary));
      const rejected = manifests.filter((m) => m.status === 'rejected');
      if (rejected.length > 0) {
        say('\nrejected whole (copied to quarantine/<dataset>/_files/ with a report):');
        for (const m of rejected) say(`  ${m.source_key}: ${m.rejection_reason}`);
      }
      const top = topViolations(manifests);
      if (top.length > 0) {
        say('\nmost frequent quarantine reasons (field.rule):');
        for (const [rule, n] of top) say(`  ${String(n).padStart(5)}  ${rule}`);
      }
      const shown = await showLake(root, lake, options.json);
      if (options.json) {
        const run = {
          lake: root,
          days,
          seed,
          files: demo.files.length,
          unchanged,
          seconds: demo.seconds,
          datasets: summary.rows,
          rejected: rejected.map((m) => ({ source_key: m.source_key, reason: m.rejection_reason })),
          top_violations: Object.fromEntries(top),
          ...shown,
        };
        process.stdout.write(
          `${JSON.stringify(run, (_key, value) => (typeof value === 'bigint' ? String(value) : value), 2)}\n`,
        );
        return;
      }
      console.log('\nnext:');
      console.log(`  npx ledgerlake query "select * from channel_performance"${lakeHint(options.lake)}`);
      console.log(`  npx ledgerlake balance C0042 --date ${DEMO_DEFAULTS.endDate}${lakeHint(options.lake)}`);
      console.log(
        `  npx ledgerlake balance ALERT-CLIENT --model portfolio --date ${DEMO_DEFAULTS.endDate}${lakeHint(options.lake)}`,
      );
      console.log(
        `  npx ledgerlake balance ${STOCK_PRODUCTS[0]} --model inventory --date ${DEMO_DEFAULTS.endDate}${lakeHint(options.lake)}`,
      );
    });
}
