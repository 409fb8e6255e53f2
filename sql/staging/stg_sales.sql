-- stg_sales: shop orders with the nested product flattened, typed and cleaned.
-- grain: one row per order line (transaction_id) and order day (dt); across files the latest
-- ingested version within the day wins (ingested_at, then source_key and source_line break ties).
-- See stg_transactions for why the dedupe is per day. category and region are lower case (for joins
-- and grouping); category_display and region_display keep the shop's spelling for reports.
-- order_time is the order's time of day where the source has one (midnight where it gives the day).
-- test: unique(transaction_id, order_date)
-- test: not_null(transaction_id, product_id, order_date)
-- test: reconciles_with_manifests(sales)
with

source as (
    select * from sales
),

ranked as (
    select
        *,
        row_number() over (
            partition by dt, transaction_id
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        transaction_id,
        customer_id,
        product_id,
        product_name,
        category,
        coalesce(nullif(category_display, ''), category) as category_display,
        price,
        quantity,
        coalesce(discount, 0) as discount,
        region,
        coalesce(nullif(region_display, ''), region) as region_display,
        order_date,
        coalesce(order_time, cast(order_date as timestamp)) as order_time,
        coalesce(loyalty_points, 0) as loyalty_points,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
