-- customer_activity: a 32-day activity bitmap per customer and day. Bit i (value 2^i) is set when
-- the customer made at least one transaction (any status) i days before activity_date; bit 0 is
-- the day itself. active_last_7_days / active_last_28_days test the low 7 / 28 bits.
-- grain: one row per customer per day on which the customer was active within the 32 days up to
-- that day (other days have an empty bitmap and are left out), up to the latest day in the lake.
-- A view even locally: it expands each active day 32 times, a cost only queries that read it pay.
with

transactions as (
    select * from fact_transactions
),

lake_end as (
    select max(event_date) as last_date
    from transactions
),

active_days as (
    select distinct
        customer_id,
        event_date as active_date
    from transactions
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
        activity_date,
        -- active days are distinct, so the sum of their bits is their bitwise OR.
        cast(sum(power(2, days_ago)) as bigint) as activity_bitmap
    from bits
    group by customer_id, activity_date
),

final as (
    select
        customer_id,
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
