-- fact_account_daily_balance: periodic snapshot of every account's balance.
-- grain: one row per account per day, from the account's first transaction to the latest day in
-- the lake, gap-filled: a day without activity carries the previous closing balance.
-- Only successful transactions move balances; transaction_count counts those.
-- materialized: table
with

transactions as (
    select * from fact_transactions
),

calendar as (
    select * from dim_date
),

accounts as (
    select
        account_id,
        max_by(customer_id, event_time) as customer_id,
        min(event_date) as first_transaction_date
    from transactions
    group by account_id
),

lake_days as (
    select
        calendar.date_day,
        calendar.date_key
    from calendar
    inner join (
        select
            min(event_date) as first_date,
            max(event_date) as last_date
        from transactions
    ) as lake_bounds
        on calendar.date_day between lake_bounds.first_date and lake_bounds.last_date
),

daily_movements as (
    select
        account_id,
        event_date,
        sum(signed_amount) as net_change,
        count(*) as transaction_count
    from transactions
    where is_successful
    group by account_id, event_date
),

account_days as (
    select
        accounts.account_id,
        accounts.customer_id,
        lake_days.date_day as balance_date,
        lake_days.date_key
    from accounts
    inner join lake_days
        on lake_days.date_day >= accounts.first_transaction_date
),

daily as (
    select
        account_days.account_id,
        account_days.customer_id,
        account_days.balance_date,
        account_days.date_key,
        cast(coalesce(daily_movements.net_change, 0) as decimal(18, 2)) as net_change,
        coalesce(daily_movements.transaction_count, 0) as transaction_count
    from account_days
    left join daily_movements
        on
            account_days.account_id = daily_movements.account_id
            and account_days.balance_date = daily_movements.event_date
),

running as (
    select
        *,
        cast(
            sum(net_change) over (
                partition by account_id
                order by balance_date
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as closing_balance
    from daily
),

final as (
    select
        account_id,
        customer_id,
        balance_date,
        date_key,
        closing_balance - net_change as opening_balance,
        net_change,
        closing_balance,
        transaction_count
    from running
)

select * from final
