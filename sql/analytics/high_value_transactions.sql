-- high_value_transactions: transactions with an amount above 1000, with customer and channel names.
-- grain: one row per transaction with amount > 1000 (any status).
with

transactions as (
    select * from fact_transactions
),

customers as (
    select * from dim_customer
),

channels as (
    select * from dim_channel
),

final as (
    select
        transactions.transaction_id,
        transactions.event_time,
        transactions.customer_id,
        customers.customer_name,
        customers.segment,
        transactions.account_id,
        transactions.channel,
        channels.display_name as channel_name,
        transactions.city,
        transactions.transaction_type,
        transactions.status,
        transactions.amount,
        transactions.currency
    from transactions
    left join customers
        on transactions.customer_key = customers.customer_key
    left join channels
        on transactions.channel = channels.channel
    where transactions.amount > 1000
)

select * from final
