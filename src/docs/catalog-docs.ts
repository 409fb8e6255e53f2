import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DATASETS } from '../../datasets/index';
import { buildCatalog } from '../engine/catalog';
import { openDuckDb } from '../engine/duckdb';
import { type DataTest, loadDataTests } from '../quality/declarations';
import { BASE_TABLES, type BaseTable, baseColumnType } from '../sql/base-tables';
import { GENERATED_MODELS_FILE, generatedModelTexts } from '../sql/generated-models';
import { DEFAULT_SQL_DIR, loadModels, referencedRelations, type SqlModel } from '../sql/models';

/** A header that documents what the model does not have. */
export class DocsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocsError';
  }
}

/** One column as the docs show it. */
export interface DocColumn {
  readonly name: string;
  readonly type: string;
  /** Empty when neither the header nor an upstream relation describes it. */
  readonly description: string;
}

/** A base relation (dataset, reference table, quarantine, manifests) or a model, as documented. */
export interface DocNode {
  readonly name: string;
  /** `dataset`, `reference`, `pipeline` (quarantine, manifests) or the model's layer folder. */
  readonly layer: string;
  readonly kind: 'base' | 'model';
  readonly description: string;
  readonly grain: string;
  readonly columns: readonly DocColumn[];
  /** Tests that read it: declared on it, or (datasets) reconciling it. */
  readonly tests: readonly DataTest[];
  /** Relations it reads (models and base tables), sorted; empty for base relations. */
  readonly reads: readonly string[];
  /** Path relative to the repo root (models only). */
  readonly file?: string;
  /** The model file as written, header included (models only). */
  readonly sql?: string;
  readonly materialized?: string;
}

/** Everything the docs page shows. */
export interface CatalogDocs {
  /** Base relations first (datasets, reference, pipeline), then models in dependency order. */
  readonly nodes: readonly DocNode[];
  /** `from -> to`: `to` reads `from`. Exactly what the catalog builds from. */
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

/**
 * The relations a model reads, as the catalog resolves them: the models it depends on (`dependsOn`,
 * which orders the build) and the base tables its SQL names.
 */
export function modelInputs(model: SqlModel, baseNames: ReadonlySet<string>): string[] {
  const bases = referencedRelations(model.sql).filter((name) => baseNames.has(name));
  return [...new Set([...model.dependsOn, ...bases])].sort();
}

/**
 * Collects the docs: every base relation with its declared columns, every model of `sqlDir` with its
 * header (description, grain, `-- column: name: text` lines) and the column types DuckDB gives its
 * output (the catalog built on an empty lake, so no data is needed), and the tests.
 */
export async function collectCatalogDocs(sqlDir: string = DEFAULT_SQL_DIR): Promise<CatalogDocs> {
  const models = loadModels(sqlDir);
  const tests = loadDataTests(models, sqlDir);
  const types = await modelColumnTypes(sqlDir);
  const repoRoot = dirname(resolve(sqlDir));
  const baseNames = new Set(BASE_TABLES.map((t) => t.name));

  const nodes = new Map<string, DocNode>();
  for (const table of BASE_TABLES) nodes.set(table.name, baseNode(table, tests));
  const generated = new Map(generatedModelTexts(DATASETS).map((g) => [g.name, g.text]));
  for (const model of models) {
    // Generated models (from the contracts) have no file of their own: their text is generated too.
    const text =
      model.file === GENERATED_MODELS_FILE
        ? (generated.get(model.name) ?? model.sql)
        : readFileSync(join(repoRoot, model.file), 'utf8');
    const header = parseDocHeader(text, model.name);
    const reads = modelInputs(model, baseNames);
    const output = types.get(model.name) ?? [];
    const stray = [...header.columns.keys()].filter((name) => !output.some((c) => c.name === name));
    if (stray.length > 0) {
      throw new DocsError(
        `${model.file}: '-- column:' describes ${stray.join(', ')}, which the model does not output; fix or remove the line`,
      );
    }
    const columns = output.map((column) => ({
      ...column,
      description: header.columns.get(column.name) ?? upstreamDescription(column.name, reads, nodes),
    }));
    nodes.set(model.name, {
      name: model.name,
      layer: model.layer,
      kind: 'model',
      description: header.description,
      grain: header.grain,
      columns,
      tests: tests.filter((t) => t.model === model.name),
      reads,
      file: model.file,
      sql: text,
      materialized: model.materialized ?? 'view',
    });
  }
  const edges = [...nodes.values()].flatMap((node) => node.reads.map((from) => ({ from, to: node.name })));
  return { nodes: [...nodes.values()], edges };
}

function baseNode(table: BaseTable, tests: readonly DataTest[]): DocNode {
  const contract = DATASETS.find((d) => d.name === table.name);
  const layer =
    table.source.kind === 'curated'
      ? 'dataset'
      : table.source.kind === 'reference'
        ? 'reference'
        : 'pipeline';
  const grain = contract
    ? `one row per ${contract.primaryKey.join(', ')} per source file; partitioned by dt, the UTC day of ${contract.eventTime}`
    : table.source.kind === 'reference'
      ? 'one row per line of the CSV'
      : table.source.kind === 'manifests'
        ? 'one row per ingested source file'
        : 'one row per quarantined row, partitioned by dataset and dt';
  return {
    name: table.name,
    layer,
    kind: 'base',
    description: table.description,
    grain,
    columns: table.columns.map((c) => ({
      name: c.name,
      type: baseColumnType(c.type).trino,
      description: c.description,
    })),
    tests: tests.filter((t) => t.target === table.name),
    reads: [],
  };
}

/** The description of a same-named column of the first relation read that describes it. */
function upstreamDescription(
  column: string,
  reads: readonly string[],
  nodes: ReadonlyMap<string, DocNode>,
): string {
  for (const name of reads) {
    const found = nodes.get(name)?.columns.find((c) => c.name === column && c.description !== '');
    if (found) return found.description;
  }
  return '';
}

/** What a model header says: the text after `-- <name>:`, the `grain:` sentence, `column:` lines. */
export function parseDocHeader(
  text: string,
  name: string,
): { description: string; grain: string; columns: Map<string, string> } {
  const header = /^(?:\s*--[^\n]*\n)*/.exec(text)?.[0] ?? '';
  const lines = header.split('\n').map((line) => line.replace(/^\s*--\s?/, '').trim());
  /** A sentence starting on line `start` after `prefix`, continued until a line ends with a full stop. */
  const sentence = (start: number, prefix: string): string => {
    const parts = [lines[start]!.slice(prefix.length).trim()];
    for (let i = start + 1; i < lines.length && !/[.:]$/.test(parts.at(-1) ?? '.'); i++) {
      if (lines[i] === '' || /^[a-z_]+:/.test(lines[i]!)) break;
      parts.push(lines[i]!);
    }
    return parts.join(' ');
  };
  const first = lines.findIndex((line) => line.startsWith(`${name}:`));
  const grainAt = lines.findIndex((line) => line.startsWith('grain:'));
  const columns = new Map<string, string>();
  for (const line of lines) {
    const match = /^column:\s*([a-z_][a-z0-9_]*)\s*:\s*(.+)$/.exec(line);
    if (match) columns.set(match[1]!, match[2]!);
  }
  return {
    description: first >= 0 ? sentence(first, `${name}:`) : '',
    grain: grainAt >= 0 ? sentence(grainAt, 'grain:') : '',
    columns,
  };
}

/** Output columns of every model, as DuckDB types them, from a catalog built on an empty lake. */
async function modelColumnTypes(sqlDir: string): Promise<Map<string, DocColumn[]>> {
  const lakeDir = mkdtempSync(join(tmpdir(), 'ledgerlake-docs-'));
  const engine = await openDuckDb({ source: lakeDir });
  try {
    await buildCatalog(engine, { lakeDir, sqlDir });
    const result = await engine.query(
      'select table_name, column_name, data_type from information_schema.columns order by table_name, ordinal_position',
    );
    const types = new Map<string, DocColumn[]>();
    for (const row of result.rows) {
      const table = String(row.table_name);
      const list = types.get(table) ?? [];
      list.push({
        name: String(row.column_name),
        type: String(row.data_type).toLowerCase(),
        description: '',
      });
      types.set(table, list);
    }
    return types;
  } finally {
    await engine.close();
    rmSync(lakeDir, { recursive: true, force: true });
  }
}
