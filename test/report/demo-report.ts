import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { landAndIngestDemo } from '../../src/cli/commands/demo';
import { DEMO_DEFAULTS } from '../../src/demo/generate';
import { buildCatalog } from '../../src/engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { buildReport } from '../../src/report/build-report';
import { FsObjectStore } from '../../src/storage/fs-store';

/**
 * The demo's sample data (default days and seed) ingested into `lakeDir` and the catalog built on
 * DuckDB: the lake `ledgerlake demo` makes. The caller closes the engine.
 */
export async function openDemoLake(lakeDir: string): Promise<DuckDbEngine> {
  await landAndIngestDemo(new FsObjectStore(lakeDir), { days: DEMO_DEFAULTS.days, seed: DEMO_DEFAULTS.seed });
  const engine = await openDuckDb({ source: lakeDir });
  try {
    await buildCatalog(engine, { lakeDir });
    return engine;
  } catch (error) {
    await engine.close();
    throw error;
  }
}

/** Writes the report of `engine`'s lake to `outFile` with the report's default span. */
export async function writeReportFile(engine: DuckDbEngine, outFile: string): Promise<string> {
  const html = await buildReport(engine);
  mkdirSync(join(outFile, '..'), { recursive: true });
  writeFileSync(outFile, html);
  return html;
}

/**
 * The report `ledgerlake demo` + `ledgerlake report` produce, written to `outFile`. Used by the
 * README screenshot script.
 */
export async function writeDemoReport(lakeDir: string, outFile: string): Promise<string> {
  const engine = await openDemoLake(lakeDir);
  try {
    return await writeReportFile(engine, outFile);
  } finally {
    await engine.close();
  }
}
