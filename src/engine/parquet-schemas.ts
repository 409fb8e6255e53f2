import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { DuckDbEngine } from './duckdb';

/**
 * Whether every Parquet file of a Hive-partitioned folder (`<folder>/dt=*\/*.parquet`) has the same
 * columns, so DuckDB can bind a view over it from one file's footer instead of reading every file's
 * footer (`union_by_name`, about 1.7 KB a file, paid again by every command). Each day folder's
 * files are fingerprinted by name, size and time; only the footers of new or changed days are read,
 * and the answers are kept in `<lake>/marts/_schemas.json`.
 */
export class ParquetSchemaCache {
  private readonly file: string;
  private cache: Record<string, Record<string, { readonly fingerprint: string; readonly schema: string }>>;
  private dirty = false;

  constructor(private readonly lakeDir: string) {
    this.file = join(lakeDir, 'marts', '_schemas.json');
    try {
      this.cache = existsSync(this.file) ? JSON.parse(readFileSync(this.file, 'utf8')) : {};
    } catch {
      this.cache = {};
    }
  }

  /** True when all files under `folder` share one schema (also true for an empty folder). */
  async uniform(engine: DuckDbEngine, folder: string): Promise<boolean> {
    const name = relative(this.lakeDir, folder).split('\\').join('/');
    const before = this.cache[name] ?? {};
    const after: Record<string, { fingerprint: string; schema: string }> = {};
    for (const day of existsSync(folder) ? readdirSync(folder).sort() : []) {
      if (!day.startsWith('dt=')) continue;
      const files = readdirSync(join(folder, day))
        .filter((file) => file.endsWith('.parquet'))
        .sort();
      if (files.length === 0) continue;
      const fingerprint = createHash('sha256')
        .update(
          files
            .map((file) => {
              const stats = statSync(join(folder, day, file));
              return `${file}\u0000${stats.size}\u0000${stats.mtimeMs}`;
            })
            .join('\n'),
        )
        .digest('hex')
        .slice(0, 16);
      const known = before[day];
      after[day] =
        known?.fingerprint === fingerprint
          ? known
          : {
              fingerprint,
              schema: await daySchema(
                engine,
                files.map((file) => join(folder, day, file)),
              ),
            };
    }
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      this.cache[name] = after;
      this.dirty = true;
    }
    return (
      new Set(Object.values(after).map((entry) => entry.schema)).size <= 1 &&
      !Object.values(after).some((entry) => entry.schema === MIXED)
    );
  }

  /** Writes the answers back when they changed (a temp file renamed, so a reader sees old or new). */
  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(this.cache));
    renameSync(temp, this.file);
    this.dirty = false;
  }
}

const MIXED = 'mixed';

/** One signature for a day's files (their columns, in order, with physical and logical types), or `mixed`. */
async function daySchema(engine: DuckDbEngine, paths: readonly string[]): Promise<string> {
  const list = paths.map((path) => `'${path.replaceAll("'", "''")}'`).join(', ');
  const { rows } = await engine.query(
    `select file_name, list(name || ':' || coalesce(type, '') || ':' || coalesce(logical_type, '') order by rowid) as columns
     from (select row_number() over () as rowid, * from parquet_schema([${list}]))
     group by file_name`,
  );
  // The first element of each file is the schema's root (its name depends on the writer): skip it.
  const signatures = new Set(rows.map((row) => JSON.stringify((row.columns as string[]).slice(1))));
  return signatures.size === 1
    ? createHash('sha256')
        .update([...signatures][0]!)
        .digest('hex')
        .slice(0, 16)
    : MIXED;
}
