import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { buildCatalog, CatalogError } from '../../engine/catalog';
import { openDuckDb } from '../../engine/duckdb';
import { QueryError, type QueryResult, type SqlValue } from '../../engine/query-engine';
import { loadModels, referencedRelations } from '../../sql/models';
import { lakeDir, lakeOption, UsageError } from '../program';
import { escapeControl } from '../terminal';

/**
 * `ledgerlake query "<sql>" [--lake DIR] [--json]`: runs any SQL (Athena dialect) on the local catalog
 * and prints an aligned table, or the rows as JSON. Only the models the query reads are built.
 */
export function registerQueryCommand(program: Command): void {
  program
    .command('query')
    .description('Run SQL on the local lake (tables, star schema and analytics views) and print the rows.')
    .argument('<sql>', 'the SQL statement, in Athena (Trino) dialect')
    .addOption(lakeOption())
    .option('--json', 'print the rows as a JSON array instead of a table (decimals as exact strings)')
    .action(async (sql: string, options: { lake?: string; json?: boolean }, command: Command) => {
      const dir = existingLake(options);
      const engine = await openDuckDb({ source: dir });
      try {
        const known = new Set(loadModels().map((m) => m.name));
        const models = referencedRelations(sql).filter((name) => known.has(name));
        await buildCatalog(engine, { lakeDir: dir, models });
        // JSON keeps decimals (and integers beyond 2^53) exact, as strings; the table prints their text anyway.
        const result = await engine.query(sql, { exactNumbers: options.json === true });
        process.stdout.write(
          options.json ? `${JSON.stringify(result.rows, null, 2)}\n` : formatTable(result),
        );
      } catch (error) {
        if (error instanceof QueryError || error instanceof CatalogError) {
          failCommand(command, `query failed: ${error.message}`, 'ledgerlake.query');
        }
        throw error;
      } finally {
        await engine.close();
      }
    });
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
