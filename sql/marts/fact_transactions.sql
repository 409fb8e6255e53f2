-- fact_transactions: the payments ledger with keys to every dimension.
-- grain: one row per transaction of a source dataset (latest ingested version).
-- signed_amount: deposit and refund add to the balance; withdrawal, payment and fee subtract.
-- fee_percent: the source's own fee when its reference data gives one, else the channel's.
-- revenue: amount x fee_percent / 100 for successful transactions, 0 otherwise (exact decimal).
-- The input on transactions also stands for every dataset whose contract feeds transactions.
-- column: date_key: Key of the event date in dim_date (YYYYMMDD).
-- column: customer_key: The customer version valid at the event time in dim_customer; -1 (unknown member) when none.
-- column: city_key: Key in dim_city: the lower-cased city, or unknown.
-- column: is_successful: Whether the transaction moves the balance (status success).
-- column: signed_amount: amount with the direction of the type: + for deposit and refund, - otherwise.
-- column: fee_percent: The source's own fee when its reference data gives one, else the channel's (ref_channels), in percent.
-- column: revenue: amount x fee_percent / 100 for successful transactions, else 0.
-- column: processing_delay_bucket: fast (< 1 s), medium (< 3 s), slow, or unknown.
-- column: event_date: UTC day of event_time (partition column).
-- materialized: incremental
-- partitioned_by: event_date
-- input: transactions.dt
-- input: customers.dt read=all refresh=through_latest
-- column: source_dataset: The dataset the transaction was ingested as (transactions, or a source that feeds it).
-- test: unique(source_dataset, transaction_id, event_date)
-- test: unique(transaction_id) severity=warn
-- test: not_null(transaction_id, date_key, customer_key, account_id, amount, signed_amount)
-- test: relationships(customer_key, dim_customer.customer_key) unknown=-1
-- test: relationships(date_key, dim_date.date_key)
-- test: relationships(city_key, dim_city.city_key) unknown='unknown'
-- test: accepted_values(processing_delay_bucket, 'fast', 'medium', 'slow', 'unknown')
-- test: expression_is_true(abs(signed_amount) = amount)
with

transactions as (
    select * from stg_transactions
),

channels as (
    select * from dim_channel
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

cities as (
    select * from dim_city
),

final as (
    select
        transactions.transaction_id,
        transactions.event_time,
        cast(
            year(transactions.event_date) * 10000
            + month(transactions.event_date) * 100
            + day(transactions.event_date) as integer
        ) as date_key,
        coalesce(versions.customer_key, -1) as customer_key,
        transactions.customer_id,
        transactions.account_id,
        transactions.channel,
        coalesce(cities.city_key, 'unknown') as city_key,
        transactions.city,
        transactions.transaction_type,
        transactions.status,
        transactions.status = 'success' as is_successful,
        transactions.currency,
        transactions.amount,
        case
            when transactions.transaction_type in ('deposit', 'refund') then transactions.amount
            else -transactions.amount
        end as signed_amount,
        coalesce(transactions.fee_percent, channels.fee_percent, 0) as fee_percent,
        -- decimal x decimal x 0.01 stays an exact decimal on both engines (no float rounding).
        cast(
            case
                when transactions.status = 'success'
                    then transactions.amount * coalesce(transactions.fee_percent, channels.fee_percent, 0) * 0.01
                else 0
            end as decimal(18, 6)
        ) as revenue,
        transactions.processing_time_s,
        case
            when transactions.processing_time_s is null then 'unknown'
            when transactions.processing_time_s < 1 then 'fast'
            when transactions.processing_time_s < 3 then 'medium'
            else 'slow'
        end as processing_delay_bucket,
        transactions.source_dataset,
        transactions.event_date
    from transactions
    left join channels
        on transactions.channel = channels.channel
    left join customer_versions as versions
        on
            transactions.customer_id = versions.customer_id
            and transactions.event_time >= versions.lookup_from
            and transactions.event_time < versions.lookup_to
    left join cities
        on lower(transactions.city) = cities.city_key
)

select * from final
