-- dim_city: cities with state and region from reference/cities.csv, plus cities seen in the data
-- but missing from the reference (region 'unknown') and the unknown member for rows without a city.
-- grain: one row per city_key (the lower-cased city name; 'unknown' for the unknown member).
-- test: unique(city_key)
-- test: accepted_values(region, 'northeast', 'midwest', 'south', 'west', 'unknown')
with

reference_cities as (
    select * from ref_cities
),

-- City names from every ingested row, read from the base tables rather than staging: the set of
-- names does not depend on which version of a row wins, and this skips the dedupe window over the
-- whole ledger.
transactions_cities as (
    select distinct nullif(trim(city), '') as city from int_transactions_unioned
),

customers_cities as (
    select distinct nullif(trim(city), '') as city from customers
),

seen_cities as (
    select city from transactions_cities where city is not null
    union
    select city from customers_cities where city is not null
),

unlisted_cities as (
    select
        lower(seen.city) as city_key,
        min(seen.city) as city_name
    from seen_cities as seen
    left join reference_cities as reference on lower(reference.city) = lower(seen.city)
    where reference.city is null
    group by lower(seen.city)
),

final as (
    select
        lower(city) as city_key,
        city as city_name,
        state,
        region
    from reference_cities
    union all
    select
        city_key,
        city_name,
        cast(null as varchar) as state,
        'unknown' as region
    from unlisted_cities
    union all
    select
        'unknown' as city_key,
        'Unknown' as city_name,
        cast(null as varchar) as state,
        'unknown' as region
)

select * from final
