-- data_quality_daily: valid and quarantined rows per dataset and day, and the share rejected
-- (quarantined / (valid + quarantined)). Valid rows are counted as ingested, before staging dedupe.
-- grain: one row per dataset and partition day (dt) that received valid or quarantined rows.
-- Every dataset is counted: int_curated_rows_per_day is generated from the dataset contracts.
with

curated as (
    select * from int_curated_rows_per_day
),

quarantined as (
    select * from quarantine
),

valid_per_day as (
    select
        dataset,
        dt,
        curated_rows as valid_rows
    from curated
),

quarantined_per_day as (
    select
        dataset,
        dt,
        count(*) as quarantined_rows
    from quarantined
    group by dataset, dt
),

final as (
    select
        coalesce(valid_per_day.dataset, quarantined_per_day.dataset) as dataset,
        coalesce(valid_per_day.dt, quarantined_per_day.dt) as dt,
        coalesce(valid_per_day.valid_rows, 0) as valid_rows,
        coalesce(quarantined_per_day.quarantined_rows, 0) as quarantined_rows,
        cast(coalesce(quarantined_per_day.quarantined_rows, 0) as double)
        / (coalesce(valid_per_day.valid_rows, 0) + coalesce(quarantined_per_day.quarantined_rows, 0))
            as share_rejected
    from valid_per_day
    full outer join quarantined_per_day
        on
            valid_per_day.dataset = quarantined_per_day.dataset
            and valid_per_day.dt = quarantined_per_day.dt
)

select * from final
