-- active_customers_daily: daily, weekly and monthly active customers (DAU, WAU, MAU): customers with
-- a transaction on the day, in the 7 days and in the 28 days up to and including it.
-- grain: one row per calendar day from the first to the last transaction day.
with

activity as (
    select * from customer_activity
),

calendar as (
    select * from dim_date
),

bounds as (
    select
        min(activity_date) as first_date,
        max(activity_date) as last_date
    from activity
),

per_day as (
    select
        activity_date,
        count_if(active_today) as daily_active_customers,
        count_if(active_last_7_days) as weekly_active_customers,
        count_if(active_last_28_days) as monthly_active_customers
    from activity
    group by activity_date
),

final as (
    select
        calendar.date_day as activity_date,
        calendar.date_key,
        coalesce(per_day.daily_active_customers, 0) as daily_active_customers,
        coalesce(per_day.weekly_active_customers, 0) as weekly_active_customers,
        coalesce(per_day.monthly_active_customers, 0) as monthly_active_customers
    from bounds
    inner join calendar
        on calendar.date_day between bounds.first_date and bounds.last_date
    left join per_day
        on calendar.date_day = per_day.activity_date
)

select * from final
