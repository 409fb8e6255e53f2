-- dim_customer_profile: the cleansed CRM profile of every customer.
-- grain: one row per customer_id (after the doubled-id repair): its latest record wins (updated_at,
-- then the latest ingested copy). warning_count counts the repairs of that record.
with

profiles as (
    select * from stg_customer_profiles
),

ranked as (
    select
        *,
        row_number() over (
            partition by customer_id
            order by updated_at desc, ingested_at desc, source_key desc, source_line desc
        ) as record_rank,
        count(*) over (partition by customer_id) as record_count
    from profiles
),

final as (
    select
        customer_id,
        customer_name,
        email,
        city,
        join_date,
        loyalty_points,
        updated_at,
        record_count,
        coalesce(cardinality(split(warnings, '|')), 0) as warning_count,
        source_key,
        source_line
    from ranked
    where record_rank = 1
)

select * from final
