-- fact_sales: shop orders with keys to the date, customer and product dimensions.
-- grain: one row per order line (transaction_id).
-- total_value = quantity x price x (1 - discount), rounded to cents.
-- column: customer_key: The customer version valid on the order date in dim_customer; -1 when none.
-- column: gross_value: quantity x price.
-- column: total_value: quantity x price x (1 - discount), rounded to cents.
-- column: order_date: Day of the order (partition column).
-- materialized: incremental
-- partitioned_by: order_date
-- input: sales.dt
-- input: customers.dt read=all refresh=through_latest
-- test: unique(transaction_id, order_date)
-- test: relationships(customer_key, dim_customer.customer_key) unknown=-1
-- test: relationships(product_id, dim_product.product_id)
-- test: relationships(date_key, dim_date.date_key)
-- test: expression_is_true(total_value = cast(round(quantity * price * (1 - discount), 2) as decimal(18, 2)))
with

sales as (
    select * from stg_sales
),

customers as (
    select * from dim_customer
),

-- The version valid at a given time; times before a customer's first snapshot use version 1.
-- (Written as one range per version rather than an OR in the join, which would force a nested loop.)
customer_versions as (
    select
        customer_key,
        customer_id,
        case when version_number = 1 then timestamp '1900-01-01 00:00:00' else valid_from end as lookup_from,
        valid_to as lookup_to
    from customers
),

final as (
    select
        sales.transaction_id,
        cast(
            year(sales.order_date) * 10000 + month(sales.order_date) * 100 + day(sales.order_date) as integer
        ) as date_key,
        coalesce(versions.customer_key, -1) as customer_key,
        sales.customer_id,
        sales.product_id,
        sales.category,
        sales.category_display,
        sales.region,
        sales.region_display,
        sales.order_time,
        sales.quantity,
        sales.price,
        sales.discount,
        cast(sales.quantity * sales.price as decimal(18, 2)) as gross_value,
        cast(round(sales.quantity * sales.price * (1 - sales.discount), 2) as decimal(18, 2)) as total_value,
        sales.loyalty_points,
        sales.order_date
    from sales
    left join customer_versions as versions
        on
            sales.customer_id = versions.customer_id
            and cast(sales.order_date as timestamp) >= versions.lookup_from
            and cast(sales.order_date as timestamp) < versions.lookup_to
)

select * from final
