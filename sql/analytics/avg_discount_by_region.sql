-- avg_discount_by_region: average discount per sales region, and what the discounts gave away.
-- grain: one row per region.
with

sales as (
    select * from fact_sales
),

final as (
    select
        region,
        count(*) as order_lines,
        avg(discount) as avg_discount,
        cast(sum(gross_value - total_value) as decimal(18, 2)) as discount_value
    from sales
    group by region
)

select * from final
