import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GENERATED_MODELS_FILE } from '../../src/sql/generated-models';
import { loadModels, ModelError } from '../../src/sql/models';

let dirs: string[] = [];

/** A throwaway `sql/` folder holding the given files (`layer/name.sql` -> text). */
function sqlFolder(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ledgerlake-models-'));
  dirs.push(root);
  const sqlDir = join(root, 'sql');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(sqlDir, path, '..'), { recursive: true });
    writeFileSync(join(sqlDir, path), text);
  }
  return sqlDir;
}

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

describe('loadModels', () => {
  it('orders models after the models they read, worked out from the SQL', () => {
    const sqlDir = sqlFolder({
      'analytics/report.sql': 'with facts as (select * from fact_a) select * from facts',
      'marts/fact_a.sql': 'select s.* from stg_a as s left join dim_b on s.id = dim_b.id',
      'marts/dim_b.sql': 'select * from stg_a',
      'staging/stg_a.sql': 'select * from transactions',
    });

    const models = loadModels(sqlDir).filter((m) => m.file !== GENERATED_MODELS_FILE);

    expect(models.map((m) => [m.name, m.dependsOn])).toEqual([
      ['stg_a', []],
      ['dim_b', ['stg_a']],
      ['fact_a', ['dim_b', 'stg_a']],
      ['report', ['fact_a']],
    ]);
  });

  it('keeps only the SELECT: no header comment, no trailing semicolon, and reads the materialisation hint', () => {
    const sqlDir = sqlFolder({
      'marts/dim_x.sql': '-- dim_x: a test\n-- grain: one row\n-- materialized: table\nselect 1 as x;\n',
    });

    const [model] = loadModels(sqlDir).filter((m) => m.file !== GENERATED_MODELS_FILE);

    expect(model).toEqual({
      name: 'dim_x',
      file: 'sql/marts/dim_x.sql',
      layer: 'marts',
      sql: 'select 1 as x',
      dependsOn: [],
      materialized: 'table',
    });
  });

  it.each([
    ['extract(... from ...)', 'select extract(year from event_time) as y from transactions'],
    ['is distinct from', 'select * from transactions where city is distinct from currency'],
    [
      'cross join unnest',
      "select r.rule_id from quarantine cross join unnest(split(rules, '|')) as r (rule_id)",
    ],
    ['a CTE named like nothing else', 'with renamed as (select * from customers) select * from renamed'],
    ['a comment and a string', "-- from nowhere\nselect 'from somewhere' as s from sales"],
  ])('does not mistake %s for a relation', (_label, sql) => {
    const sqlDir = sqlFolder({ 'staging/stg_x.sql': sql });

    expect(loadModels(sqlDir)[0]?.dependsOn).toEqual([]);
  });

  it('reads comma-separated relations after FROM', () => {
    const sqlDir = sqlFolder({
      'staging/stg_a.sql': 'select * from transactions',
      'staging/stg_b.sql': 'select * from customers',
      'marts/both.sql': 'select * from stg_a a, stg_b as b where a.customer_id = b.customer_id',
    });

    expect(loadModels(sqlDir).find((m) => m.name === 'both')?.dependsOn).toEqual(['stg_a', 'stg_b']);
  });

  it('names the file and line of a reference to an unknown relation', () => {
    const sqlDir = sqlFolder({ 'marts/fact_x.sql': 'select *\nfrom stg_missing' });

    expect(() => loadModels(sqlDir)).toThrow(/^sql\/marts\/fact_x\.sql:2: 'stg_missing' is neither a model/);
  });

  it('names the models of a cycle', () => {
    const sqlDir = sqlFolder({
      'marts/a.sql': 'select * from b',
      'marts/b.sql': 'select * from a',
    });

    expect(() => loadModels(sqlDir)).toThrow(ModelError);
    expect(() => loadModels(sqlDir)).toThrow(
      'sql/marts/a.sql: models depend on each other in a cycle: a -> b -> a',
    );
  });

  it('rejects two models with the same name in different layers', () => {
    const sqlDir = sqlFolder({
      'staging/dup.sql': 'select * from sales',
      'marts/dup.sql': 'select * from sales',
    });

    expect(() => loadModels(sqlDir)).toThrow(/a model named 'dup' already exists/);
  });

  it('loads the repo models with each one after everything it reads', () => {
    const models = loadModels();
    const position = new Map(models.map((m, index) => [m.name, index]));

    const misplaced = models.flatMap((m) =>
      m.dependsOn
        .filter((dep) => (position.get(dep) ?? Infinity) > position.get(m.name)!)
        .map((dep) => `${m.name} <- ${dep}`),
    );
    expect(misplaced).toEqual([]);
    expect(models.find((m) => m.name === 'fact_account_daily_balance')?.dependsOn).toEqual([
      'dim_date',
      'fact_transactions',
    ]);
  });
});
