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
): Promise<number> {
  const { rows } = await engine.query(
    `select source_key, strftime(min(cast(ingested_at as timestamp)), '%Y-%m-%dT%H:%M:%S.%gZ') as ingested_at
     from read_parquet('${join(lakeDir, 'curated', dataset, 'dt=*', '*.parquet')}')
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
    const path = join(lakeDir, ...commitKey(dataset, record.source_key).split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${JSON.stringify(record)}\n`);
  }
  return rows.length;
}
