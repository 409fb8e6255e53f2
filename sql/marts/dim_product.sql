-- dim_product: products as last seen in the orders (nested product object in sales).
-- grain: one row per product_id; name, category and price come from the latest order line.
-- test: unique(product_id)
with

sales as (
    select * from stg_sales
),

ranked as (
    select
        product_id,
        product_name,
        category,
        price,
        order_date,
        row_number() over (
            partition by product_id
            order by order_date desc, ingested_at desc, transaction_id desc
        ) as recency_rank,
        min(order_date) over (partition by product_id) as first_ordered_on
    from sales
),

final as (
    select
        product_id,
        product_name,
        category,
        price as latest_price,
        first_ordered_on,
        order_date as last_ordered_on
    from ranked
    where recency_rank = 1
)

select * from final
