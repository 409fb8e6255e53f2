import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { buildCatalog, CatalogError } from '../../engine/catalog';
import { type DuckDbEngine, openDuckDb } from '../../engine/duckdb';
import { QueryError, type QueryResult, type SqlValue } from '../../engine/query-engine';
import { loadModels, referencedRelations } from '../../sql/models';
import { addEngineOptions, assertLocalEngine, type EngineOptions, openAthena } from '../athena-options';
import { lakeDir, lakeOption, parsePositiveIntOption, UsageError } from '../program';
import { escapeControl } from '../terminal';

/**
 * `ledgerlake query "<sql>" [--lake DIR] [--format table|json|csv] [--limit N]`: runs any SQL (Athena
 * dialect) on the local catalog. JSON and CSV stream the rows as DuckDB produces them (any size, bounded
 * memory); the aligned table, which needs every width first, holds the rows it prints. Only the models
 * the query reads are built.
 */
export function registerQueryCommand(program: Command): void {
  const command = program
    .command('query')
    .description(
      'Run SQL on the local lake (tables, star schema and analytics views), or on a deployment with ' +
        '--engine athena, and print the rows.',
    )
    .argument('<sql>', 'the SQL statement, in Athena (Trino) dialect')
    .addOption(lakeOption());
  addEngineOptions(command)
    .addOption(
      new Option(
        '--format <format>',
        'table, json (an array; decimals as exact strings) or csv (a header row, RFC 4180 quoting)',
      )
        .choices(['table', 'json', 'csv'])
        .default('table'),
    )
    .option('--json', 'same as --format json')
    .option('--limit <n>', 'print at most N rows', (value) => parsePositiveIntOption(value, '--limit'))
    .action(async (sql: string, options: QueryOptions, command: Command) => {
      const fail = (error: unknown): never => {
        if (error instanceof QueryError || error instanceof CatalogError) {
          failCommand(command, `query failed: ${error.message}`, 'ledgerlake.query');
        }
        throw error;
      };
      const format = options.json ? 'json' : (options.format ?? 'table');
      const engine = await (options.engine === 'athena'
        ? openAthena(options)
        : openLocalCatalog(options, (known) => referencedRelations(sql).filter((name) => known.has(name)))
      ).catch(fail);
      try {
        // JSON and CSV keep decimals (and integers beyond 2^53) exact, as their text.
        const { columns, chunks } = await engine.stream(sql, { exactNumbers: format !== 'table' });
        const rows = limited(chunks, options.limit);
        if (format === 'table') {
          const all: Record<string, SqlValue>[] = [];
          for await (const chunk of rows) all.push(...chunk);
          await write(formatTable({ columns, rows: all }));
        } else if (format === 'json') {
          await writeJson(rows);
        } else {
          await writeCsv(
            columns.map((c) => c.name),
            rows,
          );
        }
      } catch (error) {
        fail(error);
      } finally {
        await engine.close();
      }
    });
}

/**
 * The local lake's catalog with only the models `pick` chooses (from the known ones) built, for a
 * command that runs its SQL on DuckDB (`query`, `report`). The engine is closed if the build fails.
 */
export async function openLocalCatalog(
  options: EngineOptions & { readonly lake?: string },
  pick: (known: ReadonlySet<string>) => string[],
): Promise<DuckDbEngine> {
  assertLocalEngine(options);
  const dir = existingLake(options);
  const engine = await openDuckDb({ source: dir });
  try {
    await buildCatalog(engine, { lakeDir: dir, models: pick(new Set(loadModels().map((m) => m.name))) });
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}

interface QueryOptions extends EngineOptions {
  readonly lake?: string;
  readonly format?: 'table' | 'json' | 'csv';
  readonly json?: boolean;
  readonly limit?: number;
}

/** The chunks, cut after `limit` rows (all of them without one). */
async function* limited(
  chunks: AsyncIterable<Record<string, SqlValue>[]>,
  limit: number | undefined,
): AsyncIterable<Record<string, SqlValue>[]> {
  let left = limit ?? Number.POSITIVE_INFINITY;
  if (left <= 0) return;
  for await (const chunk of chunks) {
    const kept = chunk.length > left ? chunk.slice(0, left) : chunk;
    left -= kept.length;
    yield kept;
    // Stop before asking for the next chunk: on Athena that is another page request.
    if (left <= 0) return;
  }
}

/** Writes to stdout, waiting when the pipe is full, so a slow reader never makes output pile up here. */
async function write(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/** A JSON array, written row by row, the same text as `JSON.stringify(rows, null, 2)`. */
async function writeJson(rows: AsyncIterable<Record<string, SqlValue>[]>): Promise<void> {
  let first = true;
  for await (const chunk of rows) {
    let text = '';
    for (const row of chunk) {
      text += `${first ? '[\n' : ',\n'}  ${JSON.stringify(row, null, 2).replaceAll('\n', '\n  ')}`;
      first = false;
    }
    if (text) await write(text);
  }
  await write(first ? '[]\n' : '\n]\n');
}

/**
 * CSV with a header row, LF line ends: fields quoted (RFC 4180) when they hold a comma, quote or line
 * break; null is empty.
 */
async function writeCsv(
  names: readonly string[],
  rows: AsyncIterable<Record<string, SqlValue>[]>,
): Promise<void> {
  await write(`${names.map(csvField).join(',')}\n`);
  for await (const chunk of rows) {
    let text = '';
    for (const row of chunk) {
      text += `${names.map((name) => csvField(csvText(row[name] ?? null))).join(',')}\n`;
    }
    await write(text);
  }
}

function csvText(value: SqlValue): string {
  if (value === null) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The lake folder of a command, which must exist (an empty lake folder is fine). */
export function existingLake(options: { lake?: string }): string {
  const dir = lakeDir(options);
  if (!existsSync(dir)) {
    throw new UsageError(
      `lake folder ${dir} does not exist: run 'ledgerlake demo' or 'ledgerlake ingest' first, or pass --lake DIR`,
    );
  }
  return dir;
}

/**
 * Ends a command on a data problem (not a usage mistake): one line on stderr, exit code 1, and no
 * "add --help" hint, which would point the user at the wrong fix.
 */
export function failCommand(command: Command, message: string, code: string): never {
  command.showHelpAfterError(false);
  command.error(`ledgerlake: ${message}`, { exitCode: 1, code });
}

/** Rows as an aligned text table: numbers right-aligned, a `(n rows)` footer. */
export function formatTable(result: QueryResult): string {
  const names = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) => names.map((name) => escapeControl(formatCell(row[name] ?? null))));
  const numeric = names.map((name) => result.rows.some((r) => typeof r[name] === 'number'));
  const titles = names.map(escapeControl);
  // A loop, not Math.max(...cells): spreading 150,000 rows overflows the call stack.
  const widths = titles.map((name) => name.length);
  for (const row of cells) {
    for (let i = 0; i < row.length; i++) widths[i] = Math.max(widths[i]!, row[i]!.length);
  }
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => (numeric[i] ? value.padStart(widths[i]!) : value.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rows = result.rows.length === 1 ? '1 row' : `${result.rows.length} rows`;
  return (
    [
      line(names.map(escapeControl)),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...cells.map(line),
      `(${rows})`,
    ].join('\n') + '\n'
  );
}

function formatCell(value: SqlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
