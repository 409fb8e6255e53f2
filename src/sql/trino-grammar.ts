import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
// The Trino module alone: the package index loads every dialect (3x slower to import).
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino';
import { DEFAULT_SQL_DIR, REPO_ROOT } from './models';

/**
 * Proof that the SQL in `sql/` is Athena engine v3 (Trino) SQL: every file is parsed with a real
 * Trino grammar (dt-sql-parser). Grammar only: unknown function names pass, DuckDB-only syntax
 * (`::`, QUALIFY, EXCLUDE, CREATE MACRO) fails. dt-sql-parser is a dev dependency: this module is for
 * tests and checks, never imported by the runtime.
 */

/** One grammar error, located in its file. */
export interface TrinoGrammarError {
  /** Path relative to the repo root. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Folders under `sql/` that are not Trino: the DuckDB macro pack. */
export const NON_TRINO_FOLDERS: readonly string[] = ['compat'];

/** Every `.sql` file under `sqlDir` that must be Trino SQL, relative to the repo root, sorted. */
export function trinoSqlFiles(sqlDir: string = DEFAULT_SQL_DIR): string[] {
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory())
        return folder === sqlDir && NON_TRINO_FOLDERS.includes(entry.name) ? [] : walk(path);
      return entry.name.endsWith('.sql') ? [path] : [];
    });
  return walk(sqlDir)
    .map((path) => relative(REPO_ROOT, path))
    .sort();
}

let parser: TrinoSQL | undefined;

/** Grammar errors of one SQL text (empty when it is valid Trino). `file` only labels the errors. */
export function checkTrinoGrammar(file: string, sql: string): TrinoGrammarError[] {
  parser ??= new TrinoSQL();
  return parser.validate(sql).map((error) => ({
    file,
    line: error.startLine,
    column: error.startColumn,
    message: error.message,
  }));
}

/** Grammar errors of a file under the repo root. */
export function checkTrinoFile(file: string): TrinoGrammarError[] {
  return checkTrinoGrammar(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
}

/** `file:line:column message`, the form editors and CI logs link to. */
export function formatGrammarError(error: TrinoGrammarError): string {
  return `${error.file}:${error.line}:${error.column} ${error.message}`;
}
