-- monthly_sales_trend: sales value per month with the change from the previous month.
-- grain: one row per calendar month that has orders.
with

sales as (
    select * from fact_sales
),

monthly as (
    select
        cast(date_trunc('month', order_date) as date) as month_start,
        count(*) as order_lines,
        sum(quantity) as units,
        cast(sum(total_value) as decimal(18, 2)) as total_value
    from sales
    group by cast(date_trunc('month', order_date) as date)
),

final as (
    select
        month_start,
        order_lines,
        units,
        total_value,
        lag(total_value) over (order by month_start) as previous_month_value,
        cast(total_value - lag(total_value) over (order by month_start) as double)
        / cast(nullif(lag(total_value) over (order by month_start), 0) as double) as month_over_month_change
    from monthly
)

select * from final
