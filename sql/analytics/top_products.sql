-- top_products: the 5 products with the highest sales value (ties broken by product_id).
-- grain: one row per product, at most 5 rows.
with

sales as (
    select * from fact_sales
),

products as (
    select * from dim_product
),

per_product as (
    select
        product_id,
        count(*) as order_lines,
        sum(quantity) as units,
        sum(total_value) as total_value
    from sales
    group by product_id
),

ranked as (
    select
        *,
        row_number() over (order by total_value desc, product_id) as revenue_rank
    from per_product
),

final as (
    select
        ranked.revenue_rank,
        ranked.product_id,
        products.product_name,
        products.category,
        ranked.order_lines,
        ranked.units,
        cast(ranked.total_value as decimal(18, 2)) as total_value
    from ranked
    left join products
        on ranked.product_id = products.product_id
    where ranked.revenue_rank <= 5
)

select * from final
