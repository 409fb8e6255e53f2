-- customer_device_activity: the customer activity bitmap split by device and browser, from web and
-- app events. Bit i (value 2^i) is set when the visitor (user_id: a customer id or a cookie id) sent
-- at least one event from that device class and browser family i days before activity_date; bit 0 is
-- the day itself. Anonymous events have no visitor and are left out.
-- grain: one row per visitor, device, browser and day on which the visitor was active with that
-- device and browser within the 32 days up to that day, up to the latest event day in the lake.
-- A view even locally, like customer_activity: it expands each active day 32 times.
-- column: customer_id: The visitor: a customer id when signed in, else a cookie id.
-- column: device: Device class (desktop, mobile, tablet, other).
-- column: browser: Browser family, lower case; unknown when the event had none.
-- column: activity_bitmap: Bit i set when active with this device and browser i days before activity_date.
with

events as (
    select * from stg_web_events
),

lake_end as (
    select max(event_date) as last_date
    from events
),

-- A visitor's days per device and browser: anonymous events (no user_id) have no visitor.
active_days as (
    select distinct
        user_id as customer_id,
        device,
        browser,
        event_date as active_date
    from events
    where user_id is not null
),

bit_positions as (
    select days_ago
    from (
        values
        (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15),
        (16), (17), (18), (19), (20), (21), (22), (23), (24), (25), (26), (27), (28), (29), (30), (31)
    ) as t (days_ago)
),

-- Each active day lands in the bitmaps of the 32 days that start with it (up to the lake's end).
bits as (
    select
        active_days.customer_id,
        active_days.device,
        active_days.browser,
        cast(date_add('day', bit_positions.days_ago, active_days.active_date) as date) as activity_date,
        bit_positions.days_ago
    from active_days
    cross join bit_positions
    cross join lake_end
    where cast(date_add('day', bit_positions.days_ago, active_days.active_date) as date) <= lake_end.last_date
),

bitmaps as (
    select
        customer_id,
        device,
        browser,
        activity_date,
        -- active days are distinct, so the sum of their bits is their bitwise OR.
        cast(sum(power(2, days_ago)) as bigint) as activity_bitmap
    from bits
    group by customer_id, device, browser, activity_date
),

final as (
    select
        customer_id,
        device,
        browser,
        activity_date,
        cast(year(activity_date) * 10000 + month(activity_date) * 100 + day(activity_date) as integer) as date_key,
        activity_bitmap,
        bitwise_and(activity_bitmap, 1) = 1 as active_today,
        bitwise_and(activity_bitmap, 127) <> 0 as active_last_7_days,
        bitwise_and(activity_bitmap, 268435455) <> 0 as active_last_28_days,
        bit_count(activity_bitmap, 64) as active_days_last_32
    from bitmaps
)

select * from final
