-- fact_host_activity_daily: hits and unique visitors of every host per day, with the split by device.
-- test: reconciles_with_manifests(web_events)
-- grain: one row per host per day with at least one event (quiet days are left out; the monthly
-- arrays of host_activity_monthly put 0 there).
--   hits             every event (anonymous ones included)
--   unique_visitors  distinct user_id (anonymous events are not visitors)
--
-- Incremental: a day's events rebuild that day only, so the month's arrays are built day by day
-- from these partitions and a routine refresh costs the day that arrived.
-- materialized: incremental
-- partitioned_by: activity_date
-- input: web_events.dt
with

events as (
    select * from stg_web_events
),

final as (
    select
        host,
        count(*) as hits,
        count(distinct user_id) as unique_visitors,
        count_if(device = 'desktop') as desktop_hits,
        count_if(device = 'mobile') as mobile_hits,
        count_if(device = 'tablet') as tablet_hits,
        count_if(device = 'other') as other_device_hits,
        event_date as activity_date
    from events
    group by host, event_date
)

select * from final
