-- dim_date: the conformed calendar, 2020-01-01 to 2030-12-31.
-- grain: one row per calendar day.
-- Days come from a cross join of ten digits rather than sequence() or generate_series(), whose
-- names and types differ between Athena and DuckDB.
-- materialized: table
-- test: unique(date_key)
-- test: unique(date_day)
with

digits as (
    select digit
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) as t (digit)
),

day_offsets as (
    select thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + units.digit as day_offset
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units
),

days as (
    select cast(date_add('day', day_offset, date '2020-01-01') as date) as date_day
    from day_offsets
    where day_offset <= date_diff('day', date '2020-01-01', date '2030-12-31')
),

final as (
    select
        cast(year(date_day) * 10000 + month(date_day) * 100 + day(date_day) as integer) as date_key,
        date_day,
        cast(day(date_day) as integer) as day_of_month,
        cast(day_of_week(date_day) as integer) as day_of_week,
        case day_of_week(date_day)
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            when 6 then 'Saturday'
            else 'Sunday'
        end as day_name,
        day_of_week(date_day) <= 5 as is_weekday,
        cast(week(date_day) as integer) as iso_week,
        cast(date_trunc('week', date_day) as date) as week_start,
        cast(month(date_day) as integer) as month_number,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(last_day_of_month(date_day) as date) as month_end,
        date_day = cast(date_trunc('month', date_day) as date) as is_month_start,
        date_day = cast(last_day_of_month(date_day) as date) as is_month_end,
        cast(quarter(date_day) as integer) as quarter_number,
        cast(year(date_day) as integer) as year_number
    from days
)

select * from final
