import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { landAndIngestDemo } from '../../src/cli/commands/demo';
import { DEMO_DEFAULTS } from '../../src/demo/generate';
import { buildCatalog } from '../../src/engine/catalog';
import { openDuckDb } from '../../src/engine/duckdb';
import { buildReport } from '../../src/report/build-report';
import { FsObjectStore } from '../../src/storage/fs-store';

/**
 * The report `ledgerlake demo` + `ledgerlake report` produce: the demo's sample data (default days
 * and seed) ingested into `lakeDir`, the catalog built, the page written to `outFile` with the
 * report's default range. Used by the browser test and by the README screenshot script.
 */
export async function writeDemoReport(lakeDir: string, outFile: string): Promise<string> {
  await landAndIngestDemo(new FsObjectStore(lakeDir), { days: DEMO_DEFAULTS.days, seed: DEMO_DEFAULTS.seed });
  const engine = await openDuckDb({ source: lakeDir });
  try {
    await buildCatalog(engine, { lakeDir });
    const html = await buildReport(engine);
    mkdirSync(join(outFile, '..'), { recursive: true });
    writeFileSync(outFile, html);
    return html;
  } finally {
    await engine.close();
  }
}
