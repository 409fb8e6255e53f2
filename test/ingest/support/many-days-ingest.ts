/**
 * Child process of test/ingest/many-days.test.ts, run under `ulimit -n`: ingests a file that spans
 * thousands of days and prints one line of JSON with what happened.
 *
 *   node --import tsx many-days-ingest.ts ingest <lake folder> <key> <row group size>
 *     ingestObject with FsObjectStore, as the Lambda does; prints the manifest's counts.
 *   node --import tsx many-days-ingest.ts unbounded <staging folder> <days> <row group size>
 *     the same rows per day through a PartitionedWriter that keeps every day's file open (the writer
 *     before issue 13); prints the error it fails with.
 */
import { ingestObject } from '../../../src/ingest/ingest-object';
import { PartitionedWriter } from '../../../src/ingest/partitioned-writer';
import { FsObjectStore } from '../../../src/storage/fs-store';

const [mode, folder, arg, rowGroupSizeText] = process.argv.slice(2);
const rowGroupSize = Number(rowGroupSizeText);
const startedAt = performance.now();

function report(outcome: Record<string, unknown>): void {
  const { maxRSS } = process.resourceUsage();
  const figures = { seconds: (performance.now() - startedAt) / 1000, maxRssMiB: maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify({ ...outcome, ...figures })}\n`);
}

try {
  if (mode === 'ingest') {
    const lake = new FsObjectStore(folder!);
    const { manifest } = await ingestObject({ landing: lake, lake, key: arg!, rowGroupSize });
    report({
      ok: true,
      rowsRead: manifest.rows_read,
      rowsValid: manifest.rows_valid,
      rowsQuarantined: manifest.rows_quarantined,
      duplicates: manifest.duplicates_dropped,
      partitions: manifest.partitions.length,
      files: manifest.files_written.length,
    });
  } else if (mode === 'unbounded') {
    const columns = [{ name: 'id', type: 'string' as const, required: true }];
    const writer = new PartitionedWriter(columns, {}, folder!, 'part', {
      rowGroupSize,
      maxOpenParts: Number.POSITIVE_INFINITY,
    });
    const days = Number(arg);
    for (let d = 0; d < days; d++) {
      for (let r = 0; r < 4; r++) await writer.add(18_262 + d, [`T${d}-${r}`]);
    }
    const parts = await writer.finish();
    report({ ok: true, files: parts.length });
  } else {
    throw new Error(`unknown mode ${mode}: use ingest or unbounded`);
  }
} catch (error) {
  report({ ok: false, error: (error as Error)?.message ?? String(error) });
  process.exitCode = 1;
}
