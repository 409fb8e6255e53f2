import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASETS } from '../../datasets/index';
import { COLUMN_TYPES, LINEAGE_COLUMNS } from '../../src/contract/types';
import { type DuckDbEngine, openDuckDb } from '../../src/engine/duckdb';
import { QUARANTINE_COLUMNS } from '../../src/ingest/manifest';

/** A value in a hand-made row; dates and timestamps as ISO text. */
export type FixtureValue = string | number | boolean | null;
export type FixtureRow = Readonly<Record<string, FixtureValue>>;

/**
 * A throwaway local lake for known-answer tests. Rows are written as Hive-partitioned Parquet with
 * DuckDB's `COPY ... PARTITION_BY (dt)`, laid out as ingest lays them out
 * (`curated/<dataset>/dt=YYYY-MM-DD/<stem>.parquet`, timestamps UTC-adjusted), so the catalog reads
 * them exactly as it reads real ingest output, with the commit records that make them visible.
 */
export class LakeFixture {
  private constructor(
    readonly dir: string,
    private readonly writer: DuckDbEngine,
  ) {}

  static async create(): Promise<LakeFixture> {
    const dir = mkdtempSync(join(tmpdir(), 'ledgerlake-sql-'));
    return new LakeFixture(dir, await openDuckDb());
  }

  /**
   * Writes one source file's valid rows. Lineage columns default to `landing/<dataset>/<stem>.csv`,
   * the row's position (1-based) and `ingestedAt`.
   */
  async writeCurated(
    dataset: string,
    stem: string,
    rows: readonly FixtureRow[],
    ingestedAt = '2024-01-01T00:00:00Z',
  ): Promise<void> {
    const contract = DATASETS.find((d) => d.name === dataset);
    if (!contract) throw new Error(`no contract named ${dataset}`);
    const columns = [
      ...contract.columns.map((c) => ({
        name: c.name,
        duckdb: duckdbWriteType(COLUMN_TYPES[c.type].duckdb),
      })),
      ...LINEAGE_COLUMNS.map((c) => ({ name: c.name, duckdb: duckdbWriteType(COLUMN_TYPES[c.type].duckdb) })),
    ];
    const withLineage = rows.map((row, index) => ({
      source_key: `landing/${dataset}/${stem}.csv`,
      source_line: index + 1,
      ingested_at: ingestedAt,
      ...row,
    }));
    await this.copy(
      `curated/${dataset}`,
      stem,
      columns,
      withLineage,
      `cast("${contract.eventTime}" as date)`,
    );
    this.commit(dataset, stem, withLineage);
  }

  /**
   * Writes the commit records that make the rows visible, as ingest's commit does: one per source key
   * and ingest time among `rows` (src/ingest/commit.ts).
   */
  private commit(dataset: string, stem: string, rows: readonly FixtureRow[]): void {
    const pairs = new Map<string, { source_key: FixtureValue; ingested_at: FixtureValue }>();
    for (const row of rows) {
      pairs.set(`${row.source_key}\u0000${row.ingested_at}`, {
        source_key: row.source_key ?? null,
        ingested_at: row.ingested_at ?? null,
      });
    }
    const folder = join(this.dir, 'commits', dataset);
    mkdirSync(folder, { recursive: true });
    const lines = [...pairs.values()].map((pair, index) =>
      JSON.stringify({
        commit_version: 1,
        dataset,
        ...pair,
        source_etag: 'fixture',
        attempt: `fixture${index}`,
        status: 'ok',
      }),
    );
    writeFileSync(join(folder, `${stem}.json`), `${lines.join('\n')}\n`);
  }

  /**
   * Removes what one source file wrote to curated/ (as ingest does when a corrected version of the
   * file replaces it).
   */
  removeCurated(dataset: string, stem: string): void {
    const root = join(this.dir, 'curated', dataset);
    if (!existsSync(root)) return;
    for (const day of readdirSync(root)) {
      for (const file of readdirSync(join(root, day))) {
        if (file.startsWith(`${stem}_`)) rmSync(join(root, day, file));
      }
    }
  }

  /**
   * Writes quarantined rows of one source file (`rules` as `field.rule` ids joined by `|`). One ingest
   * stamps its curated and quarantined rows alike: give both the same `ingestedAt`, or readers (which
   * see a file's newest ingest only) see one of them.
   */
  async writeQuarantine(
    dataset: string,
    stem: string,
    rows: readonly (FixtureRow & { dt: string })[],
    ingestedAt = '2024-01-01T00:00:00Z',
  ): Promise<void> {
    const columns = [
      ...QUARANTINE_COLUMNS.map((c) => ({
        name: c.name,
        duckdb: duckdbWriteType(COLUMN_TYPES[c.type].duckdb),
      })),
      { name: 'dt', duckdb: 'DATE' },
    ];
    const filled = rows.map((row, index) => ({
      source_key: `landing/${dataset}/${stem}.csv`,
      source_line: index + 1,
      ingested_at: ingestedAt,
      record: '{}',
      reasons: 'see rules',
      violation_count: String(row.rules ?? '').split('|').length,
      ...row,
    }));
    await this.copy(`quarantine/${dataset}`, stem, columns, filled, 'dt');
    this.commit(dataset, `${stem}.quarantine`, filled);
  }

  /** Writes a manifest as one line of JSON, as ingest does. */
  writeManifest(dataset: string, name: string, manifest: Readonly<Record<string, unknown>>): void {
    const folder = join(this.dir, 'manifests', dataset);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(manifest)}\n`);
  }

  async close(): Promise<void> {
    await this.writer.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async copy(
    folder: string,
    stem: string,
    columns: readonly { name: string; duckdb: string }[],
    rows: readonly FixtureRow[],
    dtExpression: string,
  ): Promise<void> {
    if (rows.length === 0) return;
    const values = rows
      .map(
        (row) => `(${columns.map((c) => `cast(${literal(row[c.name] ?? null)} as ${c.duckdb})`).join(', ')})`,
      )
      .join(',\n');
    const names = columns.map((c) => `"${c.name}"`).join(', ');
    mkdirSync(join(this.dir, folder), { recursive: true });
    const select = columns.filter((c) => c.name !== 'dt').map((c) => `"${c.name}"`);
    await this.writer.execute(
      `copy (select ${select.join(', ')}, ${dtExpression} as dt from (values ${values}) as t (${names}))
       to '${join(this.dir, folder)}' (format parquet, partition_by (dt), filename_pattern '${stem}_{i}', overwrite_or_ignore true)`,
    );
  }
}

/** Timestamps are written UTC-adjusted, like the ingest writer does. */
function duckdbWriteType(type: string): string {
  return type === 'TIMESTAMP' ? 'TIMESTAMPTZ' : type;
}

function literal(value: FixtureValue): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}

/** A transaction row with every required field filled; override what the test is about. */
export function transaction(
  overrides: FixtureRow & { transaction_id: string; event_time: string },
): FixtureRow {
  return {
    customer_id: 'C1',
    account_id: 'A1',
    channel: 'upi',
    city: 'Boston',
    type: 'deposit',
    amount: 100,
    currency: 'USD',
    status: 'success',
    processing_time_s: 0.5,
    ...overrides,
  };
}

/** An invoice row (one line of an invoicing-system snapshot) in EUR at rate 1; override what the test is about. */
export function invoiceRow(overrides: Readonly<Record<string, FixtureValue>>): FixtureRow {
  return {
    parent_invoice_id: null,
    transaction_id: null,
    type: 'invoice',
    currency: 'EUR',
    payment_currency: 'EUR',
    payment_method: 'sepa',
    payment_amount: null,
    fx_rate: 1,
    fx_rate_payment: 1,
    ...overrides,
  };
}

/** A holdings movement (units of a product for a client) with every required field filled. */
export function holdingsMovement(
  overrides: FixtureRow & { movement_id: string; event_time: string; movement_type: string; units: number },
): FixtureRow {
  return {
    client_id: 'C1',
    product_id: 'FUND-A',
    product_type: 'fund',
    price: null,
    currency: 'USD',
    ...overrides,
  };
}

/** A stock movement (units of a product at a location) with every required field filled. */
export function stockMovement(
  overrides: FixtureRow & { movement_id: string; event_time: string; movement_type: string; units: number },
): FixtureRow {
  return {
    product_id: 'SKU-1',
    location_id: 'WH-A',
    to_location_id: null,
    reason: null,
    ...overrides,
  };
}
