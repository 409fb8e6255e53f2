-- kpi_daily: daily revenue, transaction count, failure rate and processing time, each with a
-- 7-day moving average (the current day and up to 6 before it; the first days average what exists).
-- grain: one row per calendar day from the first to the last transaction day (days without
-- transactions count as 0 revenue and 0 transactions; their rate and time are null).
--
-- Incremental: a changed day rebuilds itself and the 6 days after it (their averages include it),
-- reading the daily figures of the 6 days before the window from the table itself.
-- materialized: incremental
-- partitioned_by: kpi_date
-- input: fact_transactions.event_date refresh=following:6
-- carry: 6 revenue decimal(18, 6), transaction_count bigint, failure_rate double, avg_processing_time_s double
-- test: unique(kpi_date)
with

transactions as (
    select * from fact_transactions
),

calendar as (
    select * from dim_date
),

refresh as (
    select window_start, window_end from refresh_window
),

daily as (
    select
        event_date,
        sum(revenue) as revenue,
        count(*) as transaction_count,
        count_if(status = 'failed') as failed_count,
        avg(processing_time_s) as avg_processing_time_s
    from transactions
    group by event_date
),

window_days as (
    select
        calendar.date_day as kpi_date,
        cast(coalesce(daily.revenue, 0) as decimal(18, 6)) as revenue,
        cast(coalesce(daily.transaction_count, 0) as bigint) as transaction_count,
        cast(daily.failed_count as double) / daily.transaction_count as failure_rate,
        cast(daily.avg_processing_time_s as double) as avg_processing_time_s
    from refresh
    inner join calendar
        on calendar.date_day between refresh.window_start and refresh.window_end
    left join daily
        on calendar.date_day = daily.event_date
),

-- The days before the window, already computed, so the first days of the window average 7 days.
days as (
    select kpi_date, revenue, transaction_count, failure_rate, avg_processing_time_s
    from window_days
    union all
    select kpi_date, revenue, transaction_count, failure_rate, avg_processing_time_s
    from prior_partitions
),

final as (
    select
        cast(year(kpi_date) * 10000 + month(kpi_date) * 100 + day(kpi_date) as integer) as date_key,
        revenue,
        avg(cast(revenue as double)) over (
            order by kpi_date rows between 6 preceding and current row
        ) as revenue_7d_avg,
        transaction_count,
        avg(cast(transaction_count as double)) over (
            order by kpi_date rows between 6 preceding and current row
        ) as transaction_count_7d_avg,
        failure_rate,
        avg(failure_rate) over (
            order by kpi_date rows between 6 preceding and current row
        ) as failure_rate_7d_avg,
        avg_processing_time_s,
        avg(avg_processing_time_s) over (
            order by kpi_date rows between 6 preceding and current row
        ) as avg_processing_time_s_7d_avg,
        kpi_date
    from days
)

select * from final
