import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CatalogError } from '../../engine/catalog';
import type { QueryEngine } from '../../engine/query-engine';
import {
  buildReport,
  type ReportOptions,
  ReportRangeError,
  reportQueryCount,
} from '../../report/build-report';
import { CUBE_QUERIES, type ReportSpan } from '../../report/cubes';
import { serveReport } from '../../report/serve';
import { referencedRelations } from '../../sql/models';
import { addEngineOptions, type EngineOptions, openAthena } from '../athena-options';
import { lakeOption, parseIsoDateOption, parsePositiveIntOption, UsageError } from '../program';
import { createProgress } from '../progress';
import { failCommand, openLocalCatalog } from './query';

/** Default output file, relative to the working directory. */
export const DEFAULT_REPORT_FILE = 'report.html';

interface ReportCommandOptions extends EngineOptions {
  readonly lake?: string;
  readonly out: string;
  readonly from?: string;
  readonly to?: string;
  readonly concurrency?: string;
  readonly serve?: boolean;
  readonly port?: string;
  readonly json?: boolean;
}

/** What `writeReport` wrote. */
export interface WrittenReport {
  /** Absolute path of the HTML file. */
  readonly path: string;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * `ledgerlake report [--out report.html] [--from D --to D] [--lake DIR]
 * [--engine duckdb|athena --workgroup W --database D]`: writes the report page, one self-contained
 * HTML file, from the local lake (DuckDB) or a deployment (Athena), and prints its path.
 */
export function registerReportCommand(program: Command): void {
  const command = program
    .command('report')
    .description('Write the report (KPIs, trends, channels, sales, balances, data quality) as one HTML file.')
    .addOption(lakeOption())
    .option('--out <file>', 'HTML file to write', DEFAULT_REPORT_FILE)
    .option('--from <YYYY-MM-DD>', 'first day of the range (default: 14 days up to --to)')
    .option('--to <YYYY-MM-DD>', 'last day of the range (default: the latest day with transactions)');
  addEngineOptions(command)
    .option('--concurrency <n>', 'queries in flight at once on Athena', '4')
    .option('--serve', 'then serve the file on http://127.0.0.1 until stopped (the file alone works too)')
    .option('--port <n>', 'port for --serve (default: a free one)')
    .option('--json', 'print what was written as JSON (with --serve, then the address)', false)
    .action(async (options: ReportCommandOptions, command: Command) => {
      const from = options.from === undefined ? undefined : parseIsoDateOption(options.from, '--from');
      const to = options.to === undefined ? undefined : parseIsoDateOption(options.to, '--to');
      if (from !== undefined && to !== undefined && from > to) {
        throw new UsageError(`--from ${from} is after --to ${to}; swap them`);
      }
      if (options.port !== undefined && !options.serve) throw new UsageError('--port goes with --serve');
      const port = options.port === undefined ? 0 : parsePositiveIntOption(options.port, '--port');
      if (port > 65_535) throw new UsageError(`--port must be at most 65535, got ${port}`);
      const engine =
        options.engine === 'athena' ? await openAthena(options) : await openReportCatalog(options, command);
      let written: WrittenReport;
      try {
        const concurrency = options.engine === 'athena' ? Number(options.concurrency ?? 4) || 1 : 1;
        written = await writeReport(engine, { out: options.out, from, to, concurrency });
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ ...written, engine: engine.name, source: engine.source }, null, 2)}\n`
            : `report written to ${written.path} (${Math.round(written.bytes / 1024)} KB, ${engine.name} · ${engine.source}, ${written.seconds.toFixed(1)} s)\n`,
        );
      } catch (error) {
        if (error instanceof ReportRangeError) throw new UsageError(error.message);
        throw error;
      } finally {
        await engine.close();
      }
      if (options.serve) {
        const served = await serveReport(written.path, port);
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ serving: served.url })}\n`
            : `serving ${served.url} (Ctrl-C to stop)\n`,
        );
        const stop = () => void served.close().then(() => process.exit(0));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      }
    });
}

/**
 * Builds the report through `engine` and writes it to `out` (folders created as needed), with a
 * progress bar on a terminal. The demo calls this after building its catalog.
 */
export async function writeReport(
  engine: QueryEngine,
  options: { readonly out: string } & Pick<ReportOptions, 'from' | 'to' | 'concurrency' | 'now'>,
): Promise<WrittenReport> {
  const started = performance.now();
  const progress = createProgress('building report', reportQueryCount(options));
  const html = await buildReport(engine, {
    ...options,
    onProgress: (done, _total, step) => progress.update(done, step),
  });
  progress.done();
  const path = resolve(options.out);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, html, 'utf8');
  return { path, bytes: Buffer.byteLength(html), seconds: (performance.now() - started) / 1000 };
}

/**
 * The models the report reads, among those in `sql/`: the catalog builds only these (and what they
 * read). Each report query is rendered for a sample range only to see which relations it names; a
 * name that is not a model (a base table) is built with the base tables anyway.
 */
export function reportModels(known: ReadonlySet<string>): string[] {
  const sampleSpan: ReportSpan = { from: '2024-01-15', to: '2024-01-28' };
  const names = new Set<string>(['kpi_daily']);
  for (const query of Object.values(CUBE_QUERIES)) {
    for (const name of referencedRelations(query.sql(sampleSpan))) names.add(name);
  }
  return [...names].filter((name) => known.has(name)).sort();
}

async function openReportCatalog(options: ReportCommandOptions, command: Command): Promise<QueryEngine> {
  try {
    return await openLocalCatalog(options, reportModels);
  } catch (error) {
    if (error instanceof CatalogError)
      failCommand(command, `cannot build the catalog: ${error.message}`, 'ledgerlake.report');
    throw error;
  }
}
