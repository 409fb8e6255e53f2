-- fact_account_daily_balance: periodic snapshot of every account's balance.
-- grain: one row per account per day, from the account's first transaction to the latest day in
-- the lake, gap-filled: a day without activity carries the previous closing balance.
-- Only successful transactions move balances; transaction_count counts those. customer_id is the
-- customer of the account's latest transaction up to that day.
--
-- Incremental: a refresh writes the days of refresh_window, starting from the closing balances of
-- the day before it (prior_partitions), so a day costs that day's transactions and one day of
-- balances, never the history. A full build is the same text with an empty prior_partitions and a
-- window from the first day.
-- column: date_key: Key of the balance date in dim_date (YYYYMMDD).
-- column: opening_balance: Closing balance of the day before (0 on the account's first day).
-- column: net_change: Sum of the signed amounts of the day's successful transactions.
-- column: closing_balance: Balance at the end of the day: opening_balance + net_change.
-- column: transaction_count: Successful transactions of the account that day.
-- column: balance_date: The day (partition column).
-- materialized: incremental
-- partitioned_by: balance_date
-- input: fact_transactions.event_date refresh=through_latest
-- carry: 1 account_id varchar, customer_id varchar, closing_balance decimal(18, 2)
-- test: unique(account_id, balance_date)
-- test: not_null(account_id, opening_balance, closing_balance)
-- test: expression_is_true(closing_balance = opening_balance + net_change)
-- test: relationships(date_key, dim_date.date_key)
with

transactions as (
    select * from fact_transactions
),

calendar as (
    select * from dim_date
),

refresh as (
    select window_start, window_end from refresh_window
),

prior as (
    select account_id, customer_id, closing_balance from prior_partitions
),

window_days as (
    select
        calendar.date_day,
        calendar.date_key
    from calendar
    inner join refresh
        on calendar.date_day between refresh.window_start and refresh.window_end
),

daily_activity as (
    select
        account_id,
        event_date,
        sum(case when is_successful then signed_amount else 0 end) as net_change,
        count_if(is_successful) as transaction_count,
        max_by(customer_id, event_time) as last_customer_id,
        max(event_time) as last_event_time
    from transactions
    group by account_id, event_date
),

-- Accounts carried from the day before the window start on its first day; new ones on their first
-- day with a transaction (of any status).
accounts as (
    select
        account_id,
        min(first_date) as first_date
    from (
        select prior.account_id, refresh.window_start as first_date
        from prior
        cross join refresh
        union all
        select account_id, event_date as first_date
        from daily_activity
    ) as starts
    group by account_id
),

daily as (
    select
        accounts.account_id,
        window_days.date_day as balance_date,
        window_days.date_key,
        cast(coalesce(daily_activity.net_change, 0) as decimal(18, 2)) as net_change,
        coalesce(daily_activity.transaction_count, 0) as transaction_count,
        daily_activity.last_customer_id,
        daily_activity.last_event_time
    from accounts
    inner join window_days
        on window_days.date_day >= accounts.first_date
    left join daily_activity
        on
            accounts.account_id = daily_activity.account_id
            and window_days.date_day = daily_activity.event_date
),

running as (
    select
        daily.account_id,
        daily.balance_date,
        daily.date_key,
        daily.net_change,
        daily.transaction_count,
        coalesce(
            max_by(daily.last_customer_id, daily.last_event_time) over (
                partition by daily.account_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ),
            prior.customer_id
        ) as customer_id,
        cast(
            coalesce(prior.closing_balance, 0)
            + sum(daily.net_change) over (
                partition by daily.account_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as closing_balance
    from daily
    left join prior
        on daily.account_id = prior.account_id
),

final as (
    select
        account_id,
        customer_id,
        date_key,
        closing_balance - net_change as opening_balance,
        net_change,
        closing_balance,
        transaction_count,
        balance_date
    from running
)

select * from final
