-- dim_customer: customers as SCD Type 2; a change of segment, city or email starts a new version.
-- grain: one row per customer version, plus the unknown member (customer_key = -1) that facts use
-- when the customer is missing. The current version has valid_to 9999-12-31 and is_current true.
-- column: customer_key: Surrogate key of the customer version; -1 is the unknown member.
-- column: valid_from: When this version starts.
-- column: valid_to: When the next version starts; 9999-12-31 for the current one.
-- column: version_number: 1 for the first snapshot of the customer, then 2, 3, ...
-- column: is_current: Whether this is the customer's latest version.
-- materialized: table
-- test: unique(customer_key)
-- test: not_null(customer_key, customer_id)
with

customers as (
    select * from stg_customers
),

snapshots as (
    select
        customer_id,
        customer_name,
        email,
        segment,
        city,
        updated_at,
        row_number() over (partition by customer_id order by updated_at) as snapshot_number,
        lag(segment) over (partition by customer_id order by updated_at) as previous_segment,
        lag(city) over (partition by customer_id order by updated_at) as previous_city,
        lag(email) over (partition by customer_id order by updated_at) as previous_email
    from customers
),

version_starts as (
    select *
    from snapshots
    where
        snapshot_number = 1
        or segment is distinct from previous_segment
        or city is distinct from previous_city
        or email is distinct from previous_email
),

versions as (
    select
        customer_id,
        customer_name,
        email,
        segment,
        city,
        updated_at as valid_from,
        coalesce(
            lead(updated_at) over (partition by customer_id order by updated_at),
            timestamp '9999-12-31 00:00:00'
        ) as valid_to,
        cast(row_number() over (partition by customer_id order by updated_at) as integer) as version_number
    from version_starts
),

known_members as (
    select
        cast(row_number() over (order by customer_id, valid_from) as bigint) as customer_key,
        customer_id,
        customer_name,
        email,
        segment,
        city,
        valid_from,
        valid_to,
        version_number,
        valid_to = timestamp '9999-12-31 00:00:00' as is_current
    from versions
),

unknown_member as (
    select
        cast(-1 as bigint) as customer_key,
        cast('unknown' as varchar) as customer_id,
        cast('Unknown customer' as varchar) as customer_name,
        cast(null as varchar) as email,
        cast('unknown' as varchar) as segment,
        cast(null as varchar) as city,
        timestamp '1900-01-01 00:00:00' as valid_from,
        timestamp '9999-12-31 00:00:00' as valid_to,
        cast(1 as integer) as version_number,
        true as is_current
),

final as (
    select * from known_members
    union all
    select * from unknown_member
)

select * from final
