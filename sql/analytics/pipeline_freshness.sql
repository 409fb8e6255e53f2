-- pipeline_freshness: when each dataset was last ingested, how many files and rows went through,
-- and the latest day that holds curated rows.
-- grain: one row per dataset that has at least one manifest.
-- Every dataset contract has a line in curated (a test checks it).
with

manifest_rows as (
    select * from manifests
),

transactions_rows as (
    select * from transactions
),

customers_rows as (
    select * from customers
),

sales_rows as (
    select * from sales
),

organizations_rows as (
    select * from organizations
),

invoices_rows as (
    select * from invoices
),

holdings_movements_rows as (
    select * from holdings_movements
),

stock_movements_rows as (
    select * from stock_movements
),

customer_profiles_rows as (
    select * from customer_profiles
),

web_events_rows as (
    select * from web_events
),

per_dataset as (
    select
        dataset,
        count(*) as files_ingested,
        count_if(status = 'rejected') as files_rejected,
        max(ingested_at) as last_ingested_at,
        sum(rows_read) as rows_read,
        sum(rows_valid) as rows_valid,
        sum(rows_quarantined) as rows_quarantined,
        sum(duplicates_dropped) as duplicates_dropped
    from manifest_rows
    group by dataset
),

curated as (
    select 'transactions' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from transactions_rows
    union all
    select 'customers' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from customers_rows
    union all
    select 'sales' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from sales_rows
    union all
    select 'organizations' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from organizations_rows
    union all
    select 'invoices' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from invoices_rows
    union all
    select 'holdings_movements' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from holdings_movements_rows
    union all
    select 'stock_movements' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from stock_movements_rows
    union all
    select 'customer_profiles' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from customer_profiles_rows
    union all
    select 'web_events' as dataset, max(dt) as latest_partition, count(*) as curated_rows
    from web_events_rows
),

final as (
    select
        per_dataset.dataset,
        per_dataset.last_ingested_at,
        per_dataset.files_ingested,
        per_dataset.files_rejected,
        per_dataset.rows_read,
        per_dataset.rows_valid,
        per_dataset.rows_quarantined,
        per_dataset.duplicates_dropped,
        curated.latest_partition,
        coalesce(curated.curated_rows, 0) as curated_rows
    from per_dataset
    left join curated
        on per_dataset.dataset = curated.dataset
)

select * from final
