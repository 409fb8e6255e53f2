/**
 * Dataset contracts as files: a YAML or JSON document, checked against the published JSON Schema
 * (`schema/dataset-contract.schema.json`), compiled into a `DatasetContract`. Every error names the file
 * and the place in it (`contracts/wires.yaml: columns[3].type: must be one of string, integer, ...`).
 *
 * Reference tables a column looks codes up in (`lookup.file`, relative to the contract file) are read
 * here, so the contract that comes out is self-contained: the Lambda gets it with its entries.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import type * as AjvModule from 'ajv';
import type { Ajv, ErrorObject } from 'ajv';
import type * as YamlModule from 'yaml';
import { compileContract } from './compile';
import { packageRoot } from './package-root';
import type { ColumnSpec, DatasetContract, DatasetFeed, SnapshotDateSource, ValueLookup } from './types';

/**
 * ajv and yaml load on first use: only a project's own contract files need them, and loading them costs
 * every command about 0.1 s of its start (measured: `ledgerlake --help` 0.30 -> 0.20 s).
 */
const load = createRequire(import.meta.url);
const ajv = (): typeof AjvModule => load('ajv') as typeof AjvModule;
export const yaml = (): typeof YamlModule => load('yaml') as typeof YamlModule;

/** The published JSON Schema of a contract file. */
export const CONTRACT_SCHEMA_FILE = join(
  packageRoot(import.meta.url, 2),
  'schema',
  'dataset-contract.schema.json',
);

/** File name endings read as contracts. */
const CONTRACT_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/** A contract file that cannot be used; the message starts with the file and the place in it. */
export class ContractFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
    this.name = 'ContractFileError';
  }
}

/** The contract document as the schema describes it (before compilation). */
interface ColumnDocument extends Omit<ColumnSpec, 'pattern' | 'lookup'> {
  readonly pattern?: { readonly regex: string; readonly flags?: string; readonly description: string };
  readonly lookup?: { readonly file: string; readonly key: string; readonly value: string };
}

interface ContractDocument {
  readonly name: string;
  readonly description: string;
  readonly primaryKey: readonly string[];
  readonly eventTime: string;
  readonly snapshotDate?: { readonly fromFileName?: string; readonly fromLandingTime?: boolean };
  readonly feeds?: DatasetFeed;
  readonly columns: readonly ColumnDocument[];
}

let validateDocument: ReturnType<Ajv['compile']> | undefined;

/** The schema validator, compiled once per process. */
function schemaValidator(): ReturnType<Ajv['compile']> {
  if (!validateDocument) {
    const schema = JSON.parse(readFileSync(CONTRACT_SCHEMA_FILE, 'utf8')) as object;
    validateDocument = new (ajv().Ajv)({ allErrors: true, strict: true, allowUnionTypes: true }).compile(
      schema,
    );
  }
  return validateDocument;
}

/** `/columns/3/type` -> `columns[3].type`. */
function placeOf(instancePath: string): string {
  const place = instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  return place === '' ? '(top level)' : place;
}

/** One sentence for a schema error, with the fix where the schema knows it. */
function explain(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'additionalProperties':
      return `has an unknown field '${String(params.additionalProperty)}'`;
    case 'required':
      return `misses the required field '${String(params.missingProperty)}'`;
    case 'type':
      return `must be ${params.type === 'array' ? 'a list' : `of type ${String(params.type)}`}`;
    case 'pattern':
      return `must match ${String(params.pattern)} (snake_case names)`;
    default:
      return error.message ?? error.keyword;
  }
}

/**
 * The error a person should read first: the deepest one, and of the alternatives of a `oneOf` the
 * summary rather than one branch's complaint.
 */
function firstError(errors: readonly ErrorObject[]): ErrorObject {
  const oneOf = errors.find((e) => e.keyword === 'oneOf');
  if (oneOf) return oneOf;
  return [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
}

function oneOfMessage(error: ErrorObject): string {
  if (error.instancePath.endsWith('/default'))
    return 'must be a string, a number or { fromColumn: <column> }';
  return 'must be a column name or { value: <constant> }';
}

/** Reads the text of a YAML or JSON contract into a plain value; syntax errors name line and column. */
function parseText(text: string, file: string): unknown {
  if (file.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ContractFileError(file, `is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const document = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const [problem] = document.errors;
  if (problem) {
    const [line, column] = [problem.linePos?.[0].line, problem.linePos?.[0].col];
    throw new ContractFileError(
      file,
      `${line !== undefined ? `line ${line}, column ${column}: ` : ''}is not valid YAML: ${problem.message.split('\n')[0]}`,
    );
  }
  return document.toJS();
}

/** Reads a small CSV with a header line into rows of text (RFC 4180 quoting). */
export function readCsvTable(text: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  const [header = [], ...rows] = records;
  return { header: header.map((name) => name.trim()), rows };
}

/** The entries of a `lookup`: reads the reference CSV and checks its columns and codes. */
function readLookup(
  lookup: NonNullable<ColumnDocument['lookup']>,
  file: string,
  place: string,
  baseDir: string,
): ValueLookup {
  const path = resolve(baseDir, lookup.file);
  const source = relative(process.cwd(), path) || lookup.file;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ContractFileError(file, `${place}.file: cannot read ${lookup.file} (${path})`, {
      cause: error,
    });
  }
  const { header, rows } = readCsvTable(text);
  const keyAt = header.indexOf(lookup.key);
  const valueAt = header.indexOf(lookup.value);
  for (const [name, at] of [
    [lookup.key, keyAt],
    [lookup.value, valueAt],
  ] as const) {
    if (at < 0)
      throw new ContractFileError(
        file,
        `${place}: ${lookup.file} has no column '${name}' (its header is ${header.join(', ')})`,
      );
  }
  const entries: Record<string, string> = {};
  rows.forEach((row, index) => {
    const code = (row[keyAt] ?? '').trim();
    if (code === '') return;
    if (Object.hasOwn(entries, code))
      throw new ContractFileError(
        file,
        `${place}: ${lookup.file} line ${index + 2} repeats the code '${code}'; each code needs one row`,
      );
    entries[code] = (row[valueAt] ?? '').trim();
  });
  return { source, key: lookup.key, value: lookup.value, entries };
}

function toPattern(
  pattern: NonNullable<ColumnDocument['pattern']>,
  file: string,
  place: string,
): ColumnSpec['pattern'] {
  try {
    return { regex: new RegExp(pattern.regex, pattern.flags), description: pattern.description };
  } catch (error) {
    throw new ContractFileError(file, `${place}.regex: ${(error as Error).message}`, { cause: error });
  }
}

/** The column as `ColumnSpec`: the document's fields in the type's order, regex and lookups resolved. */
function toColumn(column: ColumnDocument, index: number, file: string, baseDir: string): ColumnSpec {
  const place = `columns[${index}]`;
  const { pattern, lookup, ...rest } = column;
  return {
    ...rest,
    ...(pattern ? { pattern: toPattern(pattern, file, `${place}.pattern`) } : {}),
    ...(lookup ? { lookup: readLookup(lookup, file, `${place}.lookup`, baseDir) } : {}),
  };
}

function toSnapshotDate(
  source: NonNullable<ContractDocument['snapshotDate']>,
  file: string,
): SnapshotDateSource {
  const { fromFileName, ...rest } = source;
  if (fromFileName === undefined) return rest;
  try {
    return { fromFileName: new RegExp(fromFileName), ...rest };
  } catch (error) {
    throw new ContractFileError(file, `snapshotDate.fromFileName: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Checks what the schema cannot: names that must be unique or must name a column. */
function checkReferences(document: ContractDocument, file: string): void {
  const seen = new Map<string, number>();
  document.columns.forEach((column, index) => {
    const earlier = seen.get(column.name);
    if (earlier !== undefined)
      throw new ContractFileError(
        file,
        `columns[${index}].name: '${column.name}' is already the name of columns[${earlier}]`,
      );
    seen.set(column.name, index);
  });
  const known = (name: string) => seen.has(name);
  if (!known(document.eventTime))
    throw new ContractFileError(file, `eventTime: '${document.eventTime}' is not one of the columns`);
  document.primaryKey.forEach((name, index) => {
    if (!known(name))
      throw new ContractFileError(file, `primaryKey[${index}]: '${name}' is not one of the columns`);
  });
  document.columns.forEach((column, index) => {
    const from = typeof column.default === 'object' ? column.default.fromColumn : undefined;
    if (from !== undefined && !known(from))
      throw new ContractFileError(
        file,
        `columns[${index}].default.fromColumn: '${from}' is not one of the columns`,
      );
  });
  for (const [target, source] of Object.entries(document.feeds?.columns ?? {})) {
    if (typeof source === 'string' && !known(source))
      throw new ContractFileError(file, `feeds.columns.${target}: '${source}' is not one of the columns`);
  }
}

/**
 * Parses, checks and compiles the text of one contract file.
 *
 * @param file the name used in messages (and to tell JSON from YAML)
 * @param baseDir folder `lookup.file` paths are relative to. @default the folder of `file`
 * @throws ContractFileError naming the file and the place in it
 */
export function parseContract(
  text: string,
  file: string,
  baseDir: string = dirname(resolve(file)),
): DatasetContract {
  const value = parseText(text, file);
  const validate = schemaValidator();
  if (!validate(value)) {
    const error = firstError(validate.errors ?? []);
    const message = error.keyword === 'oneOf' ? oneOfMessage(error) : explain(error);
    throw new ContractFileError(file, `${placeOf(error.instancePath)}: ${message}`);
  }
  const document = value as ContractDocument;
  checkReferences(document, file);
  const contract: DatasetContract = {
    name: document.name,
    description: document.description,
    primaryKey: document.primaryKey,
    eventTime: document.eventTime,
    ...(document.snapshotDate ? { snapshotDate: toSnapshotDate(document.snapshotDate, file) } : {}),
    ...(document.feeds ? { feeds: document.feeds } : {}),
    columns: document.columns.map((column, index) => toColumn(column, index, file, baseDir)),
  };
  try {
    compileContract(contract);
  } catch (error) {
    throw new ContractFileError(file, (error as Error).message.replace(/^dataset contract '[^']*': /, ''), {
      cause: error,
    });
  }
  return contract;
}

/** Reads one contract file (`.yaml`, `.yml` or `.json`). Messages name it relative to the working folder. */
export function loadContractFile(path: string): DatasetContract {
  const file = relative(process.cwd(), path) || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ContractFileError(file, `cannot read the contract file: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseContract(text, file, dirname(resolve(path)));
}

/** The contract files directly inside `dir`, sorted by name (sub-folders such as `schema/` are not read). */
export function contractFilesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && CONTRACT_EXTENSIONS.some((ext) => entry.name.endsWith(ext)))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/**
 * Every contract of a folder, sorted by file name. Two files declaring the same dataset are an error,
 * and so is a dataset `declared` already names (dataset -> the file that declares it).
 * @throws ContractFileError for the first file that cannot be used
 */
export function loadContractFolder(
  dir: string,
  declared: ReadonlyMap<string, string> = new Map(),
): DatasetContract[] {
  if (!existsSync(dir)) throw new ContractFileError(dir, 'no such contracts folder');
  const contracts: DatasetContract[] = [];
  const files = new Map<string, string>(declared);
  for (const path of contractFilesIn(dir)) {
    const contract = loadContractFile(path);
    const earlier = files.get(contract.name);
    const file = relative(process.cwd(), path) || path;
    if (earlier)
      throw new ContractFileError(file, `name: dataset '${contract.name}' is already declared in ${earlier}`);
    files.set(contract.name, file);
    contracts.push(contract);
  }
  return contracts;
}
