-- channel_performance: volume, failure rate, processing time and revenue per payment channel.
-- grain: one row per channel (every channel of the reference, with zeros when unused).
with

transactions as (
    select * from fact_transactions
),

channels as (
    select * from dim_channel
),

per_channel as (
    select
        channel,
        count(*) as transaction_count,
        count_if(status = 'failed') as failed_count,
        avg(processing_time_s) as avg_processing_time_s,
        sum(revenue) as revenue,
        sum(case when is_successful then amount else 0 end) as successful_volume
    from transactions
    group by channel
),

final as (
    select
        channels.channel,
        channels.display_name,
        channels.fee_percent,
        coalesce(per_channel.transaction_count, 0) as transaction_count,
        coalesce(per_channel.failed_count, 0) as failed_count,
        cast(per_channel.failed_count as double) / per_channel.transaction_count as failure_rate,
        per_channel.avg_processing_time_s,
        cast(coalesce(per_channel.revenue, 0) as decimal(18, 6)) as revenue,
        cast(coalesce(per_channel.successful_volume, 0) as decimal(18, 2)) as successful_volume
    from channels
    left join per_channel
        on channels.channel = per_channel.channel
)

select * from final
