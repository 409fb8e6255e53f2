import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DATASETS } from '../../datasets/index';
import { GENERATED_MODELS_FILE } from '../sql/generated-models';
import { DEFAULT_SQL_DIR, type SqlModel } from '../sql/models';

/**
 * Data tests, declared in the header comment of the model they test, one `-- test:` line each:
 *
 * ```sql
 * -- test: unique(transaction_id, event_date)
 * -- test: not_null(transaction_id, account_id)
 * -- test: relationships(customer_key, dim_customer.customer_key) unknown=-1
 * -- test: accepted_values(status, 'success', 'failed', 'pending')
 * -- test: expression_is_true(closing_balance = opening_balance + net_change)
 * -- test: recency(ingested_at, 36 hours) severity=warn
 * -- test: reconciles_with_manifests(transactions)
 * ```
 *
 * The header already holds the model's grain and how it materializes, so what a model promises sits
 * in the one file that makes the promise. Tests of a dataset (recency, reconciliation with the
 * manifests) are declared on the staging model that reads it (or the first model that does).
 */

export type DataTestKind =
  | 'unique'
  | 'not_null'
  | 'relationships'
  | 'accepted_values'
  | 'expression_is_true'
  | 'recency'
  | 'reconciles_with_manifests';

export const DATA_TEST_KINDS: readonly DataTestKind[] = [
  'unique',
  'not_null',
  'relationships',
  'accepted_values',
  'expression_is_true',
  'recency',
  'reconciles_with_manifests',
];

/** `error` fails the run (exit 1, an operations message); `warn` is reported and fails nothing. */
export type DataTestSeverity = 'error' | 'warn';

/** What a test checks, by kind. */
export type DataTestCheck =
  | { readonly kind: 'unique'; readonly columns: readonly string[] }
  | { readonly kind: 'not_null'; readonly column: string }
  | {
      readonly kind: 'relationships';
      readonly column: string;
      readonly parent: string;
      readonly parentColumn: string;
      /** SQL literal of the unknown member's key (`-1`, `'unknown'`), not checked. */
      readonly unknown?: string;
    }
  | { readonly kind: 'accepted_values'; readonly column: string; readonly values: readonly string[] }
  | { readonly kind: 'expression_is_true'; readonly expression: string }
  | { readonly kind: 'recency'; readonly column: string; readonly hours: number }
  | { readonly kind: 'reconciles_with_manifests'; readonly dataset: string };

/** One declared data test. */
export interface DataTest {
  /** Unique among all tests, e.g. `fact_transactions: unique(transaction_id, event_date)`. */
  readonly name: string;
  /** The model whose header declares it. */
  readonly model: string;
  /** The relation it reads: the model, or the dataset for `reconciles_with_manifests`. */
  readonly target: string;
  readonly severity: DataTestSeverity;
  readonly check: DataTestCheck;
  /** The declaration as written after `test:`. */
  readonly declaration: string;
  /** Where it is declared, e.g. `sql/marts/fact_transactions.sql:9`. */
  readonly location: string;
}

/** A `-- test:` line that cannot be read; names the file and line. */
export class DataTestDeclarationError extends Error {
  constructor(
    message: string,
    readonly location: string,
  ) {
    super(`${location}: ${message}`);
    this.name = 'DataTestDeclarationError';
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Every test declared in the headers of `models` (as `loadModels(sqlDir)` returned them), in model
 * order, then declaration order.
 *
 * @throws DataTestDeclarationError on an unknown kind, a malformed argument, or a parent or dataset
 *   that does not exist
 */
export function loadDataTests(models: readonly SqlModel[], sqlDir: string = DEFAULT_SQL_DIR): DataTest[] {
  const repoRoot = dirname(resolve(sqlDir));
  // Models generated from the contracts have no file of their own, and no test lines.
  const tests = models
    .filter((model) => model.file !== GENERATED_MODELS_FILE)
    .flatMap((model) => parseTestLines(model, readFileSync(join(repoRoot, model.file), 'utf8'), models));
  const seen = new Map<string, string>();
  for (const test of tests) {
    const previous = seen.get(test.name);
    if (previous !== undefined)
      throw new DataTestDeclarationError(`the same test is declared at ${previous}`, test.location);
    seen.set(test.name, test.location);
  }
  return tests;
}

/** The tests of one model file's text (exported for tests of the syntax). */
export function parseTestLines(model: SqlModel, text: string, models: readonly SqlModel[]): DataTest[] {
  const header = /^(?:\s*--[^\n]*\n)*/.exec(text)?.[0] ?? '';
  const tests: DataTest[] = [];
  header.split('\n').forEach((line, index) => {
    const match = /^\s*--\s*test:\s*(.*)$/.exec(line);
    if (!match) return;
    const location = `${model.file}:${index + 1}`;
    tests.push(...parseDeclaration(match[1]!.trim(), model, location, models));
  });
  return tests;
}

function parseDeclaration(
  declaration: string,
  model: SqlModel,
  location: string,
  models: readonly SqlModel[],
): DataTest[] {
  const fail = (message: string): never => {
    throw new DataTestDeclarationError(`${message} (in '${declaration}')`, location);
  };
  const head = /^([a-z_]+)\s*\(/.exec(declaration) ?? fail('a test is written <kind>(<arguments>)');
  const kind = head[1] as DataTestKind;
  if (!DATA_TEST_KINDS.includes(kind)) fail(`unknown test '${kind}'; known: ${DATA_TEST_KINDS.join(', ')}`);
  const close = closingParenthesis(declaration, head[0].length - 1) ?? fail('unbalanced parentheses');
  const args = splitArguments(declaration.slice(head[0].length, close));
  const options = parseOptions(declaration.slice(close + 1).trim(), fail);
  const severity = (options.severity ?? 'error') as DataTestSeverity;
  if (severity !== 'error' && severity !== 'warn') fail(`severity must be error or warn, got '${severity}'`);
  const column = (value: string | undefined, what: string): string =>
    value !== undefined && IDENTIFIER.test(value)
      ? value
      : fail(`${what} must be a column name, got '${value}'`);
  const make = (check: DataTestCheck, label: string, target = model.name): DataTest => ({
    name: `${model.name}: ${kind}(${label})`,
    model: model.name,
    target,
    severity,
    check,
    declaration,
    location,
  });
  const allowed = (names: readonly string[]) => {
    for (const key of Object.keys(options))
      if (!names.includes(key))
        fail(`unknown option '${key}'; this test takes ${names.join(', ') || 'none'}`);
  };

  switch (kind) {
    case 'unique': {
      allowed(['severity']);
      if (args.length === 0) fail('unique needs one or more columns');
      const columns = args.map((arg) => column(arg, 'a unique column'));
      return [make({ kind, columns }, columns.join(', '))];
    }
    case 'not_null': {
      allowed(['severity']);
      if (args.length === 0) fail('not_null needs one or more columns');
      // One test per column: a failure names the column that is null.
      return args.map((arg) => {
        const name = column(arg, 'a not_null column');
        return make({ kind, column: name }, name);
      });
    }
    case 'relationships': {
      allowed(['severity', 'unknown']);
      if (args.length !== 2) fail('relationships takes (column, parent_model.column)');
      const child = column(args[0], 'the key column');
      const parent =
        /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)$/.exec(args[1]!) ??
        fail(`the parent must be <model>.<column>, got '${args[1]}'`);
      if (!models.some((m) => m.name === parent[1]))
        fail(`'${parent[1]}' is not a model in sql/; the parent of a relationship must be one`);
      const unknown = options.unknown;
      if (unknown !== undefined && !/^(?:-?\d+|'[^']*')$/.test(unknown))
        fail(`unknown must be a number or a quoted string, got '${unknown}'`);
      return [
        make(
          {
            kind,
            column: child,
            parent: parent[1]!,
            parentColumn: parent[2]!,
            ...(unknown === undefined ? {} : { unknown }),
          },
          `${child} -> ${parent[1]}.${parent[2]}`,
        ),
      ];
    }
    case 'accepted_values': {
      allowed(['severity']);
      const [first, ...values] = args;
      const name = column(first, 'the column');
      if (values.length === 0) fail('accepted_values takes (column, value, ...)');
      const literals = values.map((value) =>
        /^'(?:[^']|'')*'$/.test(value) ? value : fail(`values are quoted strings, got ${value}`),
      );
      return [make({ kind, column: name, values: literals }, `${name}: ${literals.join(', ')}`)];
    }
    case 'expression_is_true': {
      allowed(['severity']);
      const expression = declaration.slice(head[0].length, close).trim();
      if (expression.length === 0) fail('expression_is_true needs an expression');
      if (/;|--|\/\*/.test(expression)) fail('the expression may not hold ; or comments');
      return [make({ kind, expression }, expression)];
    }
    case 'recency': {
      allowed(['severity']);
      if (args.length !== 2) fail('recency takes (column, <N> hours)');
      const name = column(args[0], 'the time column');
      const age =
        /^(\d+)\s*(hours?|h|days?|d)$/.exec(args[1]!) ??
        fail(`the age must be like '36 hours', got '${args[1]}'`);
      const hours = Number(age[1]) * (age[2]!.startsWith('d') ? 24 : 1);
      if (hours <= 0) fail('the age must be positive');
      return [make({ kind, column: name, hours }, `${name}, ${hours} hours`)];
    }
    case 'reconciles_with_manifests': {
      allowed(['severity']);
      const dataset = args[0] ?? fail('reconciles_with_manifests takes (dataset)');
      if (args.length !== 1 || !DATASETS.some((d) => d.name === dataset))
        fail(`'${dataset}' is not a dataset; known: ${DATASETS.map((d) => d.name).join(', ')}`);
      return [make({ kind, dataset }, dataset, dataset)];
    }
  }
  return fail(`unknown test '${kind}'`);
}

/** Index of the parenthesis closing the one at `open`, skipping quoted strings. */
function closingParenthesis(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      i++;
      while (i < text.length && !(text[i] === "'" && text[i + 1] !== "'")) i += text[i] === "'" ? 2 : 1;
    } else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
  }
  return undefined;
}

/** Splits `a, 'b, c', f(x, y)` at top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      current += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim().length > 0) parts.push(current.trim());
  return parts;
}

/** `severity=warn unknown=-1` -> `{ severity: 'warn', unknown: '-1' }`. */
function parseOptions(text: string, fail: (message: string) => never): Record<string, string> {
  const options: Record<string, string> = {};
  for (const part of text.match(/[a-z_]+=(?:'(?:[^']|'')*'|\S+)|\S+/g) ?? []) {
    const match = /^([a-z_]+)=(.+)$/.exec(part) ?? fail(`options are written name=value, got '${part}'`);
    options[match[1]!] = match[2]!;
  }
  return options;
}
