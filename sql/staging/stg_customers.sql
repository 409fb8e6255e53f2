-- stg_customers: customer master snapshots, typed and cleaned.
-- grain: one row per customer_id and updated_at (one snapshot version); across files the latest
-- ingested copy of a version wins (ingested_at, then source_key and source_line break ties).
-- test: unique(customer_id, updated_at)
-- test: not_null(customer_id, updated_at)
-- test: reconciles_with_manifests(customers)
with

source as (
    select * from customers
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id, updated_at
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        customer_id,
        name as customer_name,
        lower(trim(email)) as email,
        segment,
        nullif(trim(city), '') as city,
        updated_at,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
