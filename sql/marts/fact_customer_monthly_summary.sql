-- fact_customer_monthly_summary: what each customer did in a month: transactions, money in and out,
-- revenue, active days, accounts and channels used.
-- grain: one row per customer, month and currency with at least one transaction (any status). Amounts
-- in different currencies are never added together.
-- The row sits in the partition of its month's latest transaction day in the lake (the month's last
-- day once it is over), so a month in progress is always up to date and a closed month is final.
--
-- Incremental: a changed day rebuilds its own month from that month's days of fact_transactions (at
-- most 31 of them), never the history.
-- column: month_start: First day of the month.
-- column: transactions: Transactions in the month, any status.
-- column: successful_transactions: Transactions with status success (those that move money).
-- column: failed_transactions: Transactions with status failed.
-- column: money_in: Successful deposits and refunds.
-- column: money_out: Successful withdrawals, payments and fees.
-- column: net_amount: money_in - money_out.
-- column: revenue: Fees earned on the customer's successful transactions.
-- column: active_days: Days of the month with at least one transaction.
-- column: accounts_used: Distinct accounts with a transaction in the month.
-- column: channels_used: Distinct channels used in the month.
-- column: first_transaction_at: The month's first transaction.
-- column: last_transaction_at: The month's last transaction.
-- column: summary_date: The month's latest transaction day in the lake (partition column).
-- materialized: incremental
-- partitioned_by: summary_date
-- input: fact_transactions.event_date refresh=month
-- test: unique(customer_id, month_start, currency)
-- test: not_null(customer_id, month_start, summary_date)
-- test: expression_is_true(net_amount = money_in - money_out)
-- test: expression_is_true(successful_transactions + failed_transactions <= transactions)
with

transactions as (
    select * from fact_transactions
),

with_month as (
    select
        *,
        cast(date_trunc('month', event_date) as date) as month_start
    from transactions
),

month_ends as (
    select
        month_start,
        max(event_date) as summary_date
    from with_month
    group by month_start
),

per_customer as (
    select
        customer_id,
        month_start,
        currency,
        count(*) as transactions,
        count_if(is_successful) as successful_transactions,
        count_if(status = 'failed') as failed_transactions,
        cast(coalesce(sum(case when is_successful and signed_amount > 0 then signed_amount end), 0) as decimal(18, 2))
            as money_in,
        cast(coalesce(sum(case when is_successful and signed_amount < 0 then -signed_amount end), 0) as decimal(18, 2))
            as money_out,
        cast(sum(revenue) as decimal(18, 6)) as revenue,
        count(distinct event_date) as active_days,
        count(distinct account_id) as accounts_used,
        count(distinct channel) as channels_used,
        min(event_time) as first_transaction_at,
        max(event_time) as last_transaction_at
    from with_month
    group by customer_id, month_start, currency
),

final as (
    select
        per_customer.customer_id,
        per_customer.month_start,
        per_customer.currency,
        per_customer.transactions,
        per_customer.successful_transactions,
        per_customer.failed_transactions,
        per_customer.money_in,
        per_customer.money_out,
        cast(per_customer.money_in - per_customer.money_out as decimal(18, 2)) as net_amount,
        per_customer.revenue,
        per_customer.active_days,
        per_customer.accounts_used,
        per_customer.channels_used,
        per_customer.first_transaction_at,
        per_customer.last_transaction_at,
        month_ends.summary_date
    from per_customer
    inner join month_ends
        on per_customer.month_start = month_ends.month_start
)

select * from final
