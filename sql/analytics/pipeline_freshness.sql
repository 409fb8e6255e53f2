-- pipeline_freshness: when each dataset was last ingested, how many files and rows went through,
-- and the latest day that holds curated rows.
-- grain: one row per dataset that has at least one manifest.
-- Every dataset is counted: int_curated_rows_per_day is generated from the dataset contracts.
with

manifest_rows as (
    select * from manifests
),

curated_per_day as (
    select * from int_curated_rows_per_day
),

per_dataset as (
    select
        dataset,
        count(*) as files_ingested,
        count_if(status = 'rejected') as files_rejected,
        max(ingested_at) as last_ingested_at,
        sum(rows_read) as rows_read,
        sum(rows_valid) as rows_valid,
        sum(rows_quarantined) as rows_quarantined,
        sum(duplicates_dropped) as duplicates_dropped
    from manifest_rows
    group by dataset
),

curated as (
    select
        dataset,
        max(dt) as latest_partition,
        cast(sum(curated_rows) as bigint) as curated_rows
    from curated_per_day
    group by dataset
),

final as (
    select
        per_dataset.dataset,
        per_dataset.last_ingested_at,
        per_dataset.files_ingested,
        per_dataset.files_rejected,
        per_dataset.rows_read,
        per_dataset.rows_valid,
        per_dataset.rows_quarantined,
        per_dataset.duplicates_dropped,
        curated.latest_partition,
        coalesce(curated.curated_rows, 0) as curated_rows
    from per_dataset
    left join curated
        on per_dataset.dataset = curated.dataset
)

select * from final
