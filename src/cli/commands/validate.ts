import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DATASETS } from '../../../datasets';
import { loadContractFile } from '../../contract/contract-file';
import type { DatasetContract } from '../../contract/types';
import { openDuckDb } from '../../engine/duckdb';
import { ingestObject } from '../../ingest/ingest-object';
import type { Manifest } from '../../ingest/manifest';
import { FsObjectStore } from '../../storage/fs-store';
import { parsePositiveIntOption, UsageError } from '../program';
import { expandLocalFiles } from './ingest';

/** What a dry run found in one file. */
export interface ValidationReport {
  readonly file: string;
  readonly dataset: string;
  readonly status: Manifest['status'];
  readonly rejection_reason: string | null;
  readonly rows_read: number;
  readonly rows_valid: number;
  readonly rows_quarantined: number;
  readonly duplicates_dropped: number;
  readonly partitions: readonly string[];
  readonly ignored_columns: readonly string[];
  /** Quarantined rows per `field.rule`, most frequent first. */
  readonly top_reasons: readonly { readonly rule: string; readonly rows: number }[];
  /** The first quarantined rows, by line. */
  readonly samples: readonly { readonly line: number; readonly reasons: string; readonly record: string }[];
}

/**
 * Runs the ingest of one local file into a throw-away lake: the same reader, contract checks, dedupe
 * and partitioning as `ingest`, then reads the quarantine back for samples. The user's lake is not
 * touched; the temporary one is removed, whatever happens.
 */
export async function validateFile(
  path: string,
  dataset: string,
  samples: number,
  datasets: readonly DatasetContract[] = DATASETS,
): Promise<ValidationReport> {
  const scratch = await mkdtemp(join(tmpdir(), 'ledgerlake-validate-'));
  try {
    const absolute = resolve(path);
    const { manifest } = await ingestObject({
      landing: new FsObjectStore(dirname(absolute)),
      lake: new FsObjectStore(scratch),
      key: basename(absolute),
      dataset,
      datasets,
      force: true,
      tmpDir: scratch,
    });
    const rows =
      manifest.rows_quarantined === 0 ? [] : await quarantineSamples(join(scratch, 'quarantine'), samples);
    return {
      file: path,
      dataset,
      status: manifest.status,
      rejection_reason: manifest.rejection_reason,
      rows_read: manifest.rows_read,
      rows_valid: manifest.rows_valid,
      rows_quarantined: manifest.rows_quarantined,
      duplicates_dropped: manifest.duplicates_dropped,
      partitions: manifest.partitions,
      ignored_columns: manifest.ignored_columns,
      top_reasons: Object.entries(manifest.violations_by_rule)
        .map(([rule, count]) => ({ rule, rows: count }))
        .sort((a, b) => b.rows - a.rows || a.rule.localeCompare(b.rule)),
      samples: rows,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function quarantineSamples(folder: string, limit: number): Promise<ValidationReport['samples']> {
  const db = await openDuckDb();
  try {
    const glob = join(folder, '**', '*.parquet').replaceAll("'", "''");
    const result = await db.query(
      `SELECT source_line, reasons, record FROM read_parquet('${glob}') ORDER BY source_line LIMIT ${limit}`,
    );
    return result.rows.map((row) => ({
      line: Number(row.source_line),
      reasons: String(row.reasons),
      record: String(row.record),
    }));
  } finally {
    await db.close();
  }
}

export function describeValidation(report: ValidationReport): string {
  const verdict =
    report.status === 'rejected'
      ? `REJECTED   ${report.file}  ${report.rejection_reason}`
      : `${report.rows_quarantined > 0 ? 'INVALID   ' : 'valid     '} ${report.file}  (${report.dataset}) ` +
        `${report.rows_valid} valid, ${report.rows_quarantined} quarantined, ${report.duplicates_dropped} duplicates` +
        ` of ${report.rows_read} rows`;
  const lines = [verdict];
  if (report.ignored_columns.length > 0)
    lines.push(`  ignored columns (no contract column takes them): ${report.ignored_columns.join(', ')}`);
  if (report.top_reasons.length > 0) {
    lines.push('  top reasons:');
    for (const { rule, rows } of report.top_reasons.slice(0, 10))
      lines.push(`    ${String(rows).padStart(8)}  ${rule}`);
  }
  if (report.samples.length > 0) {
    lines.push('  sample quarantined rows:');
    for (const sample of report.samples)
      lines.push(`    line ${sample.line}: ${sample.reasons}`, `      ${sample.record}`);
  }
  return lines.join('\n');
}

/**
 * `ledgerlake validate FILE... [--dataset NAME] [--json]`: a dry run of `ingest`. Exit code 0 when
 * every row of every file is valid, 1 when a file would be rejected or rows quarantined.
 */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'Dry run of ingest: check files against their contract and report valid and quarantined rows, ' +
        'top reasons and sample rows. Nothing is written to the lake.',
    )
    .argument('<paths...>', 'files or folders to check (CSV, JSON, NDJSON, optionally .gz)')
    .option('--dataset <name>', 'dataset of every file (default: guessed from folders and file names)')
    .option(
      '--contract <file>',
      'check against this contract file (YAML or JSON) instead of a declared dataset',
    )
    .option('--samples <n>', 'quarantined rows to show per file', '5')
    .option('--json', 'print one JSON report per file (a JSON array)', false)
    .action(
      async (
        paths: string[],
        options: { dataset?: string; contract?: string; samples: string; json: boolean },
      ) => {
        if (options.contract && options.dataset)
          throw new UsageError('--contract names the dataset itself; give --contract or --dataset, not both');
        const given = options.contract ? loadContractFile(resolve(options.contract)) : undefined;
        const datasets = given ? [given] : DATASETS;
        if (options.dataset && !DATASETS.some((d) => d.name === options.dataset))
          throw new UsageError(
            `unknown dataset '${options.dataset}' (known: ${DATASETS.map((d) => d.name).join(', ')})`,
          );
        const samples = parsePositiveIntOption(options.samples, '--samples');
        const files = await expandLocalFiles(paths, given?.name ?? options.dataset);
        const reports: ValidationReport[] = [];
        for (const file of files) {
          const report = await validateFile(file.path, file.dataset, samples, datasets);
          reports.push(report);
          if (!options.json) console.log(describeValidation(report));
        }
        if (options.json) console.log(JSON.stringify(reports, null, 2));
        if (reports.some((r) => r.status === 'rejected' || r.rows_quarantined > 0)) process.exitCode = 1;
      },
    );
}
