-- stg_holdings_movements: holdings movements, typed, one version per movement, with the signed
-- change each makes to the held units and to the units under lien.
-- grain: one row per movement_id and event day (dt); across files the latest ingested version of a
-- movement within its day wins (as in stg_transactions, so a day rebuilds from that day alone).
--   held_change: buy, transfer_in +units; sell, transfer_out -units; lien, lien_release 0
--   lien_change: lien +units; lien_release -units; the others 0
with

source as (
    select * from holdings_movements
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
        client_id,
        product_id,
        product_type,
        movement_type,
        units,
        cast(
            case
                when movement_type in ('buy', 'transfer_in') then units
                when movement_type in ('sell', 'transfer_out') then -units
                else 0
            end as decimal(18, 2)
        ) as held_change,
        cast(
            case
                when movement_type = 'lien' then units
                when movement_type = 'lien_release' then -units
                else 0
            end as decimal(18, 2)
        ) as lien_change,
        price,
        currency,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
