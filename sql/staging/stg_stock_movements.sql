-- stg_stock_movements: stock movements, typed, one version per movement.
-- grain: one row per movement_id and event day (dt); across files the latest ingested version of a
-- movement within its day wins (as in stg_transactions, so a day rebuilds from that day alone).
-- A transfer without a destination gets to_location_id 'UNKNOWN' (as dim_city's unknown member), so
-- its units stay in the company total and show where they went missing.
with

source as (
    select * from stock_movements
),

ranked as (
    select
        *,
        row_number() over (
            partition by dt, movement_id
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        movement_id,
        event_time,
        cast(event_time as date) as event_date,
        product_id,
        location_id,
        case
            when movement_type = 'transfer' then coalesce(nullif(trim(to_location_id), ''), 'UNKNOWN')
        end as to_location_id,
        movement_type,
        units,
        reason,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
