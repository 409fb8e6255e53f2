/**
 * What the keys of JSON records tell beyond their values: keys that no contract column takes (the
 * manifest's `ignored_columns`) and records where two keys give the same column (`amount` and
 * `transaction_amount`, or `amount` and `Amount`), which `JSON.parse` and a first-match lookup would
 * otherwise settle silently.
 */

/** Most ignored key names a manifest lists: a hostile file cannot grow it without bound. */
export const MAX_IGNORED_COLUMNS = 100;
/** Record shapes (key sets) remembered, so that files of uniform records analyse each shape once. */
const SHAPE_CACHE_LIMIT = 1024;

interface PathNode {
  readonly children: Map<string, PathNode>;
  /** Columns a candidate path of which ends here. */
  readonly columns: number[];
}

/** Tracks the keys of the JSON records of one file against the candidate paths of each column. */
export class JsonKeyTracker {
  private readonly root: PathNode = { children: new Map(), columns: [] };
  private readonly ignored = new Set<string>();
  private readonly shapes = new Map<string, string>();

  /**
   * @param candidatePaths per contract column, the paths (segments) it is read from, in order
   * @param columnNames per contract column, its name
   * @param looseKey the matching key of a name (case, spaces, `_`, `-` ignored)
   */
  constructor(
    candidatePaths: readonly (readonly (readonly string[])[])[],
    private readonly columnNames: readonly string[],
    private readonly looseKey: (name: string) => string,
  ) {
    candidatePaths.forEach((paths, column) => {
      for (const path of paths) {
        let node = this.root;
        for (const segment of path) {
          const key = looseKey(segment);
          let child = node.children.get(key);
          if (!child) {
            child = { children: new Map(), columns: [] };
            node.children.set(key, child);
          }
          node = child;
        }
        if (!node.columns.includes(column)) node.columns.push(column);
      }
    });
  }

  /** Keys no column takes, dotted for nested ones, in the order first seen. */
  get ignoredColumns(): string[] {
    return [...this.ignored];
  }

  /**
   * Notes the keys of one record. Returns the column and why when two of its keys give that column
   * (the record is then quarantined), else undefined.
   */
  observe(record: Record<string, unknown>): { column: string; message: string } | undefined {
    const shape = this.shapeOf(record, this.root);
    const known = this.shapes.get(shape);
    if (known !== undefined) return known === '' ? undefined : this.decode(known);
    const problem = this.analyse(record, this.root, '');
    if (this.shapes.size < SHAPE_CACHE_LIMIT) {
      this.shapes.set(shape, problem === undefined ? '' : JSON.stringify(problem));
    }
    return problem;
  }

  private decode(cached: string): { column: string; message: string } {
    return JSON.parse(cached) as { column: string; message: string };
  }

  /** The record's keys, and those of the nested objects a column path goes into. */
  private shapeOf(object: Record<string, unknown>, node: PathNode): string {
    let shape = '';
    for (const key in object) {
      shape += `${key}\u0000`;
      const child = node.children.get(this.looseKey(key));
      const value = object[key];
      if (child && child.children.size > 0 && isPlainObject(value)) {
        shape += `{${this.shapeOf(value, child)}}`;
      }
    }
    return shape;
  }

  private analyse(
    object: Record<string, unknown>,
    node: PathNode,
    prefix: string,
  ): { column: string; message: string } | undefined {
    let problem: { column: string; message: string } | undefined;
    const keysOfColumn = new Map<number, string[]>();
    for (const key in object) {
      const child = node.children.get(this.looseKey(key));
      if (!child) {
        if (this.ignored.size < MAX_IGNORED_COLUMNS) this.ignored.add(prefix + key);
        continue;
      }
      for (const column of child.columns) {
        const keys = keysOfColumn.get(column);
        if (keys) keys.push(prefix + key);
        else keysOfColumn.set(column, [prefix + key]);
      }
      const value = object[key];
      if (child.columns.length === 0 && child.children.size > 0 && isPlainObject(value)) {
        problem ??= this.analyse(value, child, `${prefix}${key}.`);
      }
    }
    for (const [column, keys] of keysOfColumn) {
      if (keys.length < 2 || problem) continue;
      const names = keys.map((k) => JSON.stringify(k)).join(' and ');
      problem = {
        column: this.columnNames[column]!,
        message: `keys ${names} both give column ${this.columnNames[column]}, so which value is meant is ambiguous; keep one of them`,
      };
    }
    return problem;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
