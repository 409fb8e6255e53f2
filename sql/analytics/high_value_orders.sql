-- high_value_orders: shop orders worth more than 1000 (total_value, after discount), with the
-- customer's name and the category and region as the shop writes them; next to high_value_transactions.
-- grain: one row per order line with total_value > 1000.
with

sales as (
    select * from fact_sales
),

customers as (
    select * from dim_customer
),

final as (
    select
        sales.transaction_id,
        sales.order_time,
        sales.customer_id,
        customers.customer_name,
        customers.segment,
        sales.product_id,
        sales.category_display as category,
        sales.region_display as region,
        sales.quantity,
        sales.price,
        sales.discount,
        sales.total_value,
        sales.order_date
    from sales
    left join customers
        on sales.customer_key = customers.customer_key
    where sales.total_value > 1000
)

select * from final
