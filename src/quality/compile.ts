import type { DataTest } from './declarations';

/** What a compiled test depends on besides its declaration. */
export interface CompileOptions {
  /** "Now" for recency tests. @default the current time */
  readonly now?: Date;
}

/**
 * The SQL of a test: a SELECT, in Athena (Trino) dialect that DuckDB runs too, returning the failing
 * rows (none when the test passes). Relations are unqualified: the catalog's locally, the Glue
 * database's on Athena.
 */
export function compileDataTest(test: DataTest, options: CompileOptions = {}): string {
  const check = test.check;
  const model = test.target;
  switch (check.kind) {
    case 'unique': {
      const columns = check.columns.join(', ');
      return [
        `select ${columns}, count(*) as row_count`,
        `from ${model}`,
        `group by ${columns}`,
        'having count(*) > 1',
      ].join('\n');
    }
    case 'not_null':
      return `select *\nfrom ${model}\nwhere ${check.column} is null`;
    case 'relationships': {
      const conditions = [
        `child.${check.column} is not null`,
        `parent.${check.parentColumn} is null`,
        ...(check.unknown === undefined ? [] : [`child.${check.column} <> ${check.unknown}`]),
      ];
      return [
        `select child.${check.column}`,
        `from ${model} as child`,
        `left join ${check.parent} as parent`,
        `    on child.${check.column} = parent.${check.parentColumn}`,
        `where ${conditions.join('\n    and ')}`,
      ].join('\n');
    }
    case 'accepted_values':
      return [
        `select ${check.column}, count(*) as row_count`,
        `from ${model}`,
        `where ${check.column} not in (${check.values.join(', ')})`,
        `group by ${check.column}`,
      ].join('\n');
    case 'expression_is_true':
      return `select *\nfrom ${model}\nwhere not (${check.expression})`;
    case 'recency': {
      // The cutoff is a literal, so the same text runs on both engines and a test can pin "now".
      const now = options.now ?? new Date();
      const cutoff = new Date(now.getTime() - check.hours * 3_600_000);
      return [
        'with',
        '',
        'latest as (',
        `    select max(${check.column}) as latest, count(*) as row_count`,
        `    from ${model}`,
        ')',
        '',
        `select latest, row_count, ${timestampLiteral(cutoff)} as cutoff`,
        'from latest',
        `where latest is null or latest < ${timestampLiteral(cutoff)}`,
      ].join('\n');
    }
    case 'reconciles_with_manifests':
      return reconciliationSql(check.dataset);
  }
}

/** `timestamp '2024-06-30 12:00:00.000'` (UTC), valid on Trino and DuckDB. */
function timestampLiteral(at: Date): string {
  return `timestamp '${at.toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/**
 * Manifests against the curated rows of one dataset. Per source file, the manifest's valid rows equal
 * the curated rows from that file; per day, the days the manifest lists are the days holding them.
 * A failing row names the file, the day (null for a file-wide count) and both sides.
 */
function reconciliationSql(dataset: string): string {
  const name = `'${dataset}'`;
  return `with

manifest_files as (
    select source_key, rows_valid, partitions
    from manifests
    where dataset = ${name}
),

manifest_days as (
    select manifest_files.source_key, cast(listed.day as date) as dt
    from manifest_files
    cross join unnest(manifest_files.partitions) as listed (day)
),

curated_days as (
    select source_key, dt, count(*) as curated_rows
    from ${dataset}
    group by source_key, dt
),

curated_files as (
    select source_key, sum(curated_rows) as curated_rows
    from curated_days
    group by source_key
),

file_mismatches as (
    select
        coalesce(manifest_files.source_key, curated_files.source_key) as source_key,
        cast(null as date) as dt,
        manifest_files.rows_valid as manifest_rows,
        coalesce(curated_files.curated_rows, 0) as curated_rows,
        case
            when manifest_files.source_key is null then 'curated rows without a manifest'
            else 'valid rows differ from curated rows'
        end as problem
    from manifest_files
    full outer join curated_files
        on manifest_files.source_key = curated_files.source_key
    where coalesce(manifest_files.rows_valid, -1) <> coalesce(curated_files.curated_rows, 0)
),

day_mismatches as (
    select
        coalesce(manifest_days.source_key, curated_days.source_key) as source_key,
        coalesce(manifest_days.dt, curated_days.dt) as dt,
        cast(null as bigint) as manifest_rows,
        coalesce(curated_days.curated_rows, 0) as curated_rows,
        case
            when manifest_days.dt is null then 'a day the manifest does not list'
            else 'a day the manifest lists holds no curated rows'
        end as problem
    from manifest_days
    full outer join curated_days
        on
            manifest_days.source_key = curated_days.source_key
            and manifest_days.dt = curated_days.dt
    where manifest_days.dt is null or curated_days.dt is null
),

final as (
    select ${name} as dataset, source_key, dt, manifest_rows, curated_rows, problem from file_mismatches
    union all
    select ${name} as dataset, source_key, dt, manifest_rows, curated_rows, problem from day_mismatches
)

select * from final`;
}
