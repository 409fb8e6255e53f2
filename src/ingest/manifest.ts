/**
 * The manifest: what happened to one source file. Written as single-line JSON to
 * `manifests/<dataset>/<source id>.json` (one object per line is what Athena's JSON SerDe reads).
 * Invariant, checked before a manifest is written: rows_read = rows_valid + rows_quarantined + duplicates_dropped.
 */
/**
 * How the manifest's times are written (`Date#toISOString`), as a Java pattern: the manifests table on
 * Athena declares it so the Hive JSON SerDe reads them as timestamps (lib/constructs/dataset-tables.ts).
 */
export const MANIFEST_TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'";

export interface Manifest {
  readonly manifest_version: 1;
  readonly dataset: string;
  readonly source_key: string;
  /** Content fingerprint (S3 ETag or local MD5) of the version that was ingested. */
  readonly source_etag: string;
  /**
   * The attempt that wrote the outputs (src/ingest/commit.ts); part of their names. Absent in manifests
   * written before attempts existed.
   */
  readonly attempt?: string;
  /** `ok`: rows were routed; `rejected`: the file could not be read at all (see rejection_reason). */
  readonly status: 'ok' | 'rejected';
  readonly rejection_reason: string | null;
  readonly format: 'csv' | 'json' | 'ndjson' | 'parquet' | null;
  readonly compression: 'gzip' | 'none';
  readonly delimiter: string | null;
  /** UTC, in `MANIFEST_TIMESTAMP_FORMAT`, like `started_at` and `finished_at`. */
  readonly ingested_at: string;
  readonly started_at: string;
  readonly finished_at: string;
  readonly duration_ms: number;
  readonly rows_read: number;
  readonly rows_valid: number;
  readonly rows_quarantined: number;
  readonly duplicates_dropped: number;
  /** Days (`YYYY-MM-DD`) that received valid rows. */
  readonly partitions: readonly string[];
  readonly files_written: readonly ManifestFile[];
  readonly bytes_in: number;
  readonly bytes_out: number;
  /** Source columns that match no contract column (kept out of the lake, listed here). */
  readonly ignored_columns: readonly string[];
  /** Quarantined rows per `field.rule`, e.g. `{ "amount.range": 3 }`. A row can count under several. */
  readonly violations_by_rule: Readonly<Record<string, number>>;
}

export interface ManifestFile {
  readonly key: string;
  readonly kind: 'curated' | 'quarantine' | 'rejected_file' | 'rejection_report';
  readonly partition: string | null;
  readonly rows: number;
  readonly bytes: number;
}

/** Raised when a manifest's counts do not add up: a bug in the pipeline, never a data problem. */
export class ManifestInvariantError extends Error {
  constructor(
    manifest: Pick<
      Manifest,
      'source_key' | 'rows_read' | 'rows_valid' | 'rows_quarantined' | 'duplicates_dropped'
    >,
  ) {
    super(
      `manifest for ${manifest.source_key} does not add up: read ${manifest.rows_read} != valid ${manifest.rows_valid}` +
        ` + quarantined ${manifest.rows_quarantined} + duplicates ${manifest.duplicates_dropped}`,
    );
    this.name = 'ManifestInvariantError';
  }
}

/** Throws `ManifestInvariantError` unless read = valid + quarantined + duplicates. */
export function assertManifestAddsUp(manifest: Manifest): void {
  if (manifest.rows_read !== manifest.rows_valid + manifest.rows_quarantined + manifest.duplicates_dropped) {
    throw new ManifestInvariantError(manifest);
  }
}

/**
 * Columns of every quarantine Parquet file (`quarantine/<dataset>/dt=.../*.parquet`): the original
 * values as JSON, the reasons as readable text and as `field.rule` ids for grouping.
 */
export const QUARANTINE_COLUMNS = [
  { name: 'source_key', type: 'string', description: 'Landing key of the file the row came from.' },
  { name: 'source_line', type: 'integer', description: 'Line or record number in the source file, 1-based.' },
  { name: 'ingested_at', type: 'timestamp', description: 'When the pipeline ingested the file (UTC).' },
  { name: 'record', type: 'string', description: 'The original values as JSON, keyed by the source names.' },
  { name: 'rules', type: 'string', description: 'Broken rules as `field.rule` ids joined by `|`, sorted.' },
  { name: 'reasons', type: 'string', description: 'Readable reasons joined by `; `.' },
  { name: 'violation_count', type: 'integer', description: 'Number of rules the row broke.' },
] as const;
