-- transactions_on_several_days: transaction ids that the lake holds on more than one event day.
-- grain: one row per transaction_id seen on two or more days.
-- The staging dedupe keeps the latest version of a key within its day (so a day can be rebuilt from
-- that day alone): a corrected version that moved to another day in a different file counts on both
-- days. This view lists such keys so they can be corrected by re-dropping the original file.
-- It reads the whole ledger's ids and days: an ad-hoc check, not a routine query.
with

ledger as (
    select * from int_transactions_unioned
),

per_day as (
    select
        transaction_id,
        dt,
        max(ingested_at) as last_ingested_at,
        max(source_key) as source_key
    from ledger
    group by transaction_id, dt
),

final as (
    select
        transaction_id,
        count(*) as day_count,
        min(dt) as first_day,
        max(dt) as last_day,
        max_by(source_key, last_ingested_at) as latest_source_key
    from per_day
    group by transaction_id
    having count(*) > 1
)

select * from final
