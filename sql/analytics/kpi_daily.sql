-- kpi_daily: daily revenue, transaction count, failure rate and processing time, each with a
-- 7-day moving average (the current day and up to 6 before it; the first days average what exists).
-- grain: one row per calendar day from the first to the last transaction day (days without
-- transactions count as 0 revenue and 0 transactions; their rate and time are null).
with

transactions as (
    select * from fact_transactions
),

calendar as (
    select * from dim_date
),

bounds as (
    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from transactions
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

days as (
    select
        calendar.date_day as kpi_date,
        calendar.date_key,
        cast(coalesce(daily.revenue, 0) as decimal(18, 6)) as revenue,
        cast(coalesce(daily.transaction_count, 0) as bigint) as transaction_count,
        cast(daily.failed_count as double) / daily.transaction_count as failure_rate,
        daily.avg_processing_time_s
    from bounds
    inner join calendar
        on calendar.date_day between bounds.first_date and bounds.last_date
    left join daily
        on calendar.date_day = daily.event_date
),

final as (
    select
        kpi_date,
        date_key,
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
        ) as avg_processing_time_s_7d_avg
    from days
)

select * from final
