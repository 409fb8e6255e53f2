-- dim_channel: payment channels with their display name and fee, from reference/channels.csv.
-- grain: one row per channel.
-- test: unique(channel)
with

channels as (
    select * from ref_channels
),

final as (
    select
        channel,
        display_name,
        fee_percent
    from channels
)

select * from final
