-- dim_account: accounts as SCD Type 2; a change of owner, type, status, currency or a limit starts a
-- new version, so a fact can be read with the account as it was (frozen, its overdraft limit then).
-- grain: one row per account version, plus the unknown member (account_key = -1). The current
-- version has valid_to 9999-12-31 and is_current true. A snapshot that repeats the current state
-- starts no version.
-- column: account_key: Surrogate key of the account version; -1 is the unknown member.
-- column: credit_limit: Credit granted on the account; null when none.
-- column: overdraft_limit: How far below zero the balance may go; null when no overdraft is arranged.
-- column: valid_from: When this version starts.
-- column: valid_to: When the next version starts; 9999-12-31 for the current one.
-- column: version_number: 1 for the account's first snapshot, then 2, 3, ...
-- column: is_current: Whether this is the account's latest version.
-- column: is_open: Whether the account is open in this version (not frozen, dormant or closed).
-- materialized: table
-- test: unique(account_key)
-- test: not_null(account_key, account_id, status)
-- test: unique(account_id, valid_from)
-- test: expression_is_true(valid_from < valid_to)
with

accounts as (
    select * from stg_accounts
),

snapshots as (
    select
        account_id,
        customer_id,
        account_type,
        status,
        currency,
        credit_limit,
        overdraft_limit,
        opened_on,
        updated_at,
        row_number() over (partition by account_id order by updated_at) as snapshot_number,
        lag(customer_id) over (partition by account_id order by updated_at) as previous_customer_id,
        lag(account_type) over (partition by account_id order by updated_at) as previous_account_type,
        lag(status) over (partition by account_id order by updated_at) as previous_status,
        lag(currency) over (partition by account_id order by updated_at) as previous_currency,
        lag(credit_limit) over (partition by account_id order by updated_at) as previous_credit_limit,
        lag(overdraft_limit) over (partition by account_id order by updated_at) as previous_overdraft_limit
    from accounts
),

version_starts as (
    select *
    from snapshots
    where
        snapshot_number = 1
        or customer_id is distinct from previous_customer_id
        or account_type is distinct from previous_account_type
        or status is distinct from previous_status
        or currency is distinct from previous_currency
        or credit_limit is distinct from previous_credit_limit
        or overdraft_limit is distinct from previous_overdraft_limit
),

versions as (
    select
        account_id,
        customer_id,
        account_type,
        status,
        currency,
        credit_limit,
        overdraft_limit,
        opened_on,
        updated_at as valid_from,
        coalesce(
            lead(updated_at) over (partition by account_id order by updated_at),
            timestamp '9999-12-31 00:00:00'
        ) as valid_to,
        cast(row_number() over (partition by account_id order by updated_at) as integer) as version_number
    from version_starts
),

known_members as (
    select
        cast(row_number() over (order by account_id, valid_from) as bigint) as account_key,
        account_id,
        customer_id,
        account_type,
        status,
        currency,
        credit_limit,
        overdraft_limit,
        opened_on,
        valid_from,
        valid_to,
        version_number,
        valid_to = timestamp '9999-12-31 00:00:00' as is_current,
        status = 'open' as is_open
    from versions
),

unknown_member as (
    select
        cast(-1 as bigint) as account_key,
        cast('unknown' as varchar) as account_id,
        cast('unknown' as varchar) as customer_id,
        cast('unknown' as varchar) as account_type,
        cast('unknown' as varchar) as status,
        cast(null as varchar) as currency,
        cast(null as decimal(18, 2)) as credit_limit,
        cast(null as decimal(18, 2)) as overdraft_limit,
        cast(null as date) as opened_on,
        timestamp '1900-01-01 00:00:00' as valid_from,
        timestamp '9999-12-31 00:00:00' as valid_to,
        cast(1 as integer) as version_number,
        true as is_current,
        false as is_open
),

final as (
    select * from known_members
    union all
    select * from unknown_member
)

select * from final
