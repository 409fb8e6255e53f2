-- host_activity_days: host_activity_monthly unnested back to one row per host and day of the month:
-- the array element d is day d of the month.
-- grain: one row per host and day of each month in host_activity_monthly.
with

monthly as (
    select * from host_activity_monthly
),

final as (
    select
        monthly.host,
        cast(date_add('day', days.day_number - 1, monthly.month_start) as date) as activity_date,
        days.hits,
        monthly.daily_unique_visitors[days.day_number] as unique_visitors
    from monthly
    -- One array unnested (with its ordinality), the other read by position: both engines run it.
    cross join unnest(monthly.daily_hits) with ordinality as days (hits, day_number)
)

select * from final
