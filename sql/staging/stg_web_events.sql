-- stg_web_events: web and app events, typed, one version per event.
-- grain: one row per event_id and event day (dt); across files the latest ingested version of an event
-- within its day wins (as in stg_transactions, so a day rebuilds from that day alone).
with

source as (
    select * from web_events
),

ranked as (
    select
        *,
        row_number() over (
            partition by dt, event_id
            order by ingested_at desc, source_key desc, source_line desc
        ) as version_rank
    from source
),

final as (
    select
        event_id,
        event_time,
        cast(event_time as date) as event_date,
        host,
        nullif(trim(user_id), '') as user_id,
        coalesce(device, 'other') as device,
        coalesce(nullif(trim(browser), ''), 'unknown') as browser,
        source_key,
        source_line,
        ingested_at
    from ranked
    where version_rank = 1
)

select * from final
