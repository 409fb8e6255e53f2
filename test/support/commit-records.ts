import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DuckDbEngine } from '../../src/engine/duckdb';
import type { CommitRecord } from '../../src/ingest/commit';
import { commitKey } from '../../src/ingest/lake-layout';

/**
 * For lakes written without ingest (benchmarks, fixtures that COPY Parquet straight into curated/):
 * the commit record of every source file found in `dataset`'s parts, one file per source key as
 * ingest writes them, so readers see the rows. Returns how many were written.
 */
export async function writeCommitRecords(
  engine: DuckDbEngine,
  lakeDir: string,
  dataset: string,
  /** Only the source files with rows on these days (`dt`, inclusive). @default every day */
  days?: { readonly from: string; readonly to: string },
): Promise<number> {
  const where = days ? `where dt between date '${days.from}' and date '${days.to}'` : '';
  const { rows } = await engine.query(
    `select source_key, strftime(min(cast(ingested_at as timestamp)), '%Y-%m-%dT%H:%M:%S.%gZ') as ingested_at
     from read_parquet('${join(lakeDir, 'curated', dataset, 'dt=*', '*.parquet')}', hive_partitioning = true)
     ${where}
     group by source_key`,
  );
  for (const row of rows) {
    const record: CommitRecord = {
      commit_version: 1,
      dataset,
      source_key: String(row.source_key),
      source_etag: 'fixture',
      attempt: 'fixture',
      ingested_at: String(row.ingested_at),
      status: 'ok',
    };
    const path = join(lakeDir, ...commitKey(dataset, record.source_key, record.attempt).split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(record)}\n`);
  }
  return rows.length;
}
