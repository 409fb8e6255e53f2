-- stg_transactions: the payments ledger, typed and cleaned, one version per transaction.
-- Reads the ledger and every source whose contract feeds transactions (int_transactions_unioned,
-- generated from the contracts), so a second payments source needs no edit here.
-- grain: one row per source dataset, transaction_id and event day (dt); across files the latest
-- ingested version of a transaction within its day wins (ingested_at, then source_key and source_line
-- break ties). Sources are told apart (source_dataset): two systems may both number a payment T-1.
-- Deduplicating within the day lets every date filter reach the partitions (Trino pushes a filter
-- through a window only on its PARTITION BY columns), so a day can be rebuilt from that day alone.
-- A correction that moves a transaction to another day is a re-drop of the same file (which
-- replaces what the earlier version wrote); a new file with the key on another day adds a row.
-- column: source_dataset: The dataset (contract) the row was ingested as: transactions, or a source that feeds it.
-- test: unique(source_dataset, transaction_id, event_date)
-- test: not_null(transaction_id, event_time, account_id, amount)
-- test: recency(ingested_at, 36 hours) severity=warn
-- test: reconciles_with_manifests(transactions)
with

source as (
    select * from int_transactions_unioned
),

ranked as (
    select
        *,
        row_number() over (
            partition by dt, source_dataset, transaction_id
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        transaction_id,
        event_time,
        cast(event_time as date) as event_date,
        customer_id,
        coalesce(account_id, customer_id) as account_id,
        channel,
        nullif(trim(city), '') as city,
        type as transaction_type,
        amount,
        currency,
        status,
        processing_time_s,
        fee_percent,
        source_dataset,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
