import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEMO_DEFAULTS, type DemoFile, generateDemo } from '../../demo/generate';
import type { QueryResult } from '../../engine/query-engine';
import { type IngestResult, ingestObject } from '../../ingest/ingest-object';
import { LAKE_PREFIXES } from '../../ingest/lake-layout';
import type { Manifest } from '../../ingest/manifest';
import { FsObjectStore } from '../../storage/fs-store';
import { lakeDir, lakeOption, parsePositiveIntOption } from '../program';
import { createProgress } from '../progress';
import { formatTable } from './query';

export interface DemoIngest {
  readonly files: readonly DemoFile[];
  readonly results: readonly IngestResult[];
  readonly seconds: number;
}

/** Generates the sample files, lands them in the lake and ingests each one. */
export async function landAndIngestDemo(
  lake: FsObjectStore,
  options: { days: number; seed: number },
): Promise<DemoIngest> {
  const started = performance.now();
  const files = generateDemo({ days: options.days, seed: options.seed });
  const progress = createProgress('ingesting', files.length);
  const results: IngestResult[] = [];
  for (const [i, file] of files.entries()) {
    await lake.put(file.key, file.body);
    results.push(await ingestObject({ landing: lake, lake, key: file.key }));
    progress.update(i + 1, file.key);
  }
  progress.done();
  return { files, results, seconds: (performance.now() - started) / 1000 };
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

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Generate deterministic sample data, land it in a local lake and ingest it.')
    .addOption(lakeOption())
    .option('--days <n>', 'days of sample transactions', String(DEMO_DEFAULTS.days))
    .option('--seed <n>', 'seed of the sample data generator', String(DEMO_DEFAULTS.seed))
    .option('--fresh', 'empty the lake first (landing, curated, quarantine, manifests, alerts)', false)
    .action(async (options: { lake: string; days: string; seed: string; fresh: boolean }) => {
      const days = parsePositiveIntOption(options.days, '--days');
      const seed = parsePositiveIntOption(options.seed, '--seed');
      const root = lakeDir(options);
      if (options.fresh) {
        for (const prefix of [...Object.values(LAKE_PREFIXES), 'alerts/']) {
          await rm(join(root, prefix), { recursive: true, force: true });
        }
      }
      const lake = new FsObjectStore(root);
      console.log(`ledgerlake demo: ${days} days of sample data (seed ${seed}) into ${root}`);
      const demo = await landAndIngestDemo(lake, { days, seed });
      const manifests = demo.results.map((r) => r.manifest);
      const unchanged = demo.results.filter((r) => r.skipped).length;
      console.log(
        `\ningested ${demo.files.length} files in ${demo.seconds.toFixed(1)} s` +
          (unchanged > 0 ? ` (${unchanged} unchanged since the last run: nothing rewritten)` : ''),
      );
      console.log(formatTable(datasetSummary(manifests)));
      const rejected = manifests.filter((m) => m.status === 'rejected');
      if (rejected.length > 0) {
        console.log('\nrejected whole (copied to quarantine/<dataset>/_files/ with a report):');
        for (const m of rejected) console.log(`  ${m.source_key}: ${m.rejection_reason}`);
      }
      const top = topViolations(manifests);
      if (top.length > 0) {
        console.log('\nmost frequent quarantine reasons (field.rule):');
        for (const [rule, n] of top) console.log(`  ${String(n).padStart(5)}  ${rule}`);
      }
    });
}
