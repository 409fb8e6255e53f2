-- data_quality_daily: valid and quarantined rows per dataset and day, and the share rejected
-- (quarantined / (valid + quarantined)). Valid rows are counted as ingested, before staging dedupe.
-- grain: one row per dataset and partition day (dt) that received valid or quarantined rows.
-- Every dataset contract has a line in valid_per_day (a test checks it).
with

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

quarantined as (
    select * from quarantine
),

valid_per_day as (
    select 'transactions' as dataset, dt, count(*) as valid_rows from transactions_rows group by dt
    union all
    select 'customers' as dataset, dt, count(*) as valid_rows from customers_rows group by dt
    union all
    select 'sales' as dataset, dt, count(*) as valid_rows from sales_rows group by dt
    union all
    select 'organizations' as dataset, dt, count(*) as valid_rows from organizations_rows group by dt
    union all
    select 'invoices' as dataset, dt, count(*) as valid_rows from invoices_rows group by dt
    union all
    select 'holdings_movements' as dataset, dt, count(*) as valid_rows from holdings_movements_rows group by dt
    union all
    select 'stock_movements' as dataset, dt, count(*) as valid_rows from stock_movements_rows group by dt
    union all
    select 'customer_profiles' as dataset, dt, count(*) as valid_rows from customer_profiles_rows group by dt
    union all
    select 'web_events' as dataset, dt, count(*) as valid_rows from web_events_rows group by dt
),

quarantined_per_day as (
    select
        dataset,
        dt,
        count(*) as quarantined_rows
    from quarantined
    group by dataset, dt
),

final as (
    select
        coalesce(valid_per_day.dataset, quarantined_per_day.dataset) as dataset,
        coalesce(valid_per_day.dt, quarantined_per_day.dt) as dt,
        coalesce(valid_per_day.valid_rows, 0) as valid_rows,
        coalesce(quarantined_per_day.quarantined_rows, 0) as quarantined_rows,
        cast(coalesce(quarantined_per_day.quarantined_rows, 0) as double)
        / (coalesce(valid_per_day.valid_rows, 0) + coalesce(quarantined_per_day.quarantined_rows, 0))
            as share_rejected
    from valid_per_day
    full outer join quarantined_per_day
        on
            valid_per_day.dataset = quarantined_per_day.dataset
            and valid_per_day.dt = quarantined_per_day.dt
)

select * from final
