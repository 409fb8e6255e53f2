-- stg_accounts: account master snapshots, typed and cleaned.
-- grain: one row per account_id and updated_at (one snapshot version); across files the latest
-- ingested copy of a version wins (ingested_at, then source_key and source_line break ties).
-- test: unique(account_id, updated_at)
-- test: not_null(account_id, customer_id, account_type, status, updated_at)
-- test: accepted_values(status, 'open', 'frozen', 'dormant', 'closed')
-- test: reconciles_with_manifests(accounts)
with

source as (
    select * from accounts
),

ranked as (
    select
        *,
        row_number() over (
            partition by account_id, updated_at
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        trim(account_id) as account_id,
        trim(customer_id) as customer_id,
        account_type,
        status,
        currency,
        credit_limit,
        overdraft_limit,
        opened_on,
        updated_at,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
