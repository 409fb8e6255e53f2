-- sales_by_region_category: order lines, units and value per sales region and product category.
-- grain: one row per region and category.
with

sales as (
    select * from fact_sales
),

final as (
    select
        region,
        category,
        count(*) as order_lines,
        sum(quantity) as units,
        cast(sum(total_value) as decimal(18, 2)) as total_value
    from sales
    group by region, category
)

select * from final
