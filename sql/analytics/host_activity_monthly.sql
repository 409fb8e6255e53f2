-- host_activity_monthly: per host and month, the month's days as array elements: daily_hits[d] and
-- daily_unique_visitors[d] are the hits and unique visitors of day d of the month (1-based), 0 on a
-- quiet day, up to the month's last day in the lake (a month in progress has as many elements as
-- days so far).
-- grain: one row per host and month with at least one active day.
-- Reads the day partitions of fact_host_activity_daily (each refreshed on its own as events arrive),
-- so a month costs its own partitions, never the history.
with

daily as (
    select * from fact_host_activity_daily
),

calendar as (
    select * from dim_date
),

month_days as (
    select
        months.month_start,
        calendar.date_day,
        calendar.day_of_month
    from (
        select
            cast(date_trunc('month', activity_date) as date) as month_start,
            max(activity_date) as last_day
        from daily
        group by cast(date_trunc('month', activity_date) as date)
    ) as months
    inner join calendar
        on calendar.date_day between months.month_start and months.last_day
),

host_months as (
    select
        host,
        cast(date_trunc('month', activity_date) as date) as month_start,
        min(activity_date) as first_day
    from daily
    group by host, cast(date_trunc('month', activity_date) as date)
),

-- Every day of each host's months (before the host's first active day too, so day d is element d).
grid as (
    select
        host_months.host,
        host_months.month_start,
        month_days.date_day,
        month_days.day_of_month,
        coalesce(daily.hits, 0) as hits,
        coalesce(daily.unique_visitors, 0) as unique_visitors
    from host_months
    inner join month_days
        on host_months.month_start = month_days.month_start
    left join daily
        on
            host_months.host = daily.host
            and month_days.date_day = daily.activity_date
),

final as (
    select
        host,
        month_start,
        array_agg(hits order by day_of_month) as daily_hits,
        array_agg(unique_visitors order by day_of_month) as daily_unique_visitors,
        sum(hits) as month_hits,
        count_if(hits > 0) as active_days
    from grid
    group by host, month_start
)

select * from final
