-- fact_inventory_daily_position: periodic snapshot of the units on hand of every product at every
-- location (warehouse or branch).
-- test: reconciles_with_manifests(stock_movements)
-- grain: one row per product, location and day, from the pair's first movement to the latest day of
-- stock movements in the lake, gap-filled: a day without movements carries the previous units.
-- Each movement is booked at its location in time order (event_time, then movement_id):
--   receipt +units; issue -units; adjustment +units (signed); transfer -units at location_id and
--   +units at to_location_id (so a transfer never changes the company total);
--   count: the units on hand become the units counted, and count_variance records counted - expected.
-- units_on_hand is the position after the day's last movement; opening_units the day before's.
--
-- Incremental: a refresh writes the days of refresh_window from the units on hand the day before it
-- (prior_partitions), so a day costs that day's movements and one day of positions, never the
-- history. A full build is the same text with an empty prior_partitions.
-- materialized: incremental
-- partitioned_by: position_date
-- input: stock_movements.dt refresh=through_latest
-- carry: 1 product_id varchar, location_id varchar, units_on_hand decimal(18, 2)
with

movements as (
    select * from stg_stock_movements
),

calendar as (
    select * from dim_date
),

refresh as (
    select window_start, window_end from refresh_window
),

prior as (
    select product_id, location_id, units_on_hand from prior_partitions
),

window_days as (
    select
        calendar.date_day,
        calendar.date_key
    from calendar
    inner join refresh
        on calendar.date_day between refresh.window_start and refresh.window_end
),

-- One booking per movement and location it touches: a transfer books twice (leg 1 leaves, leg 2
-- arrives). delta is null for a count, counted_units null for the others.
bookings as (
    select
        product_id,
        location_id,
        event_date,
        event_time,
        movement_id,
        1 as leg,
        movement_type,
        cast(
            case
                when movement_type in ('receipt', 'adjustment') then units
                when movement_type in ('issue', 'transfer') then -units
            end as decimal(18, 2)
        ) as delta,
        case when movement_type = 'count' then units end as counted_units
    from movements
    union all
    select
        product_id,
        to_location_id as location_id,
        event_date,
        event_time,
        movement_id,
        2 as leg,
        'transfer_in' as movement_type,
        units as delta,
        cast(null as decimal(18, 2)) as counted_units
    from movements
    where movement_type = 'transfer'
),

-- count_segment: how many counts a pair has had up to and including this booking (0: none in the
-- window yet, so the position starts from the carried units on hand).
sequenced as (
    select
        bookings.*,
        row_number() over (
            partition by product_id, location_id
            order by event_time, movement_id, leg
        ) as booking_seq,
        count(counted_units) over (
            partition by product_id, location_id
            order by event_time, movement_id, leg
            rows between unbounded preceding and current row
        ) as count_segment
    from bookings
),

positioned as (
    select
        sequenced.product_id,
        sequenced.location_id,
        sequenced.event_date,
        sequenced.booking_seq,
        sequenced.movement_type,
        sequenced.delta,
        sequenced.counted_units,
        cast(
            case
                when sequenced.count_segment = 0 then coalesce(prior.units_on_hand, 0)
                else max(sequenced.counted_units) over (
                    partition by sequenced.product_id, sequenced.location_id, sequenced.count_segment
                )
            end
            + coalesce(
                sum(sequenced.delta) over (
                    partition by sequenced.product_id, sequenced.location_id, sequenced.count_segment
                    order by sequenced.booking_seq
                    rows between unbounded preceding and current row
                ),
                0
            ) as decimal(18, 2)
        ) as position_after,
        prior.units_on_hand as prior_units
    from sequenced
    left join prior
        on
            sequenced.product_id = prior.product_id
            and sequenced.location_id = prior.location_id
),

with_expected as (
    select
        *,
        coalesce(
            lag(position_after) over (
                partition by product_id, location_id
                order by booking_seq
            ),
            prior_units,
            0
        ) as position_before
    from positioned
),

daily_activity as (
    select
        product_id,
        location_id,
        event_date,
        max_by(position_after, booking_seq) as day_closing_units,
        count(*) as movement_count,
        coalesce(sum(delta) filter (where movement_type = 'receipt'), 0) as received_units,
        coalesce(sum(-delta) filter (where movement_type = 'issue'), 0) as issued_units,
        coalesce(sum(delta) filter (where movement_type = 'transfer_in'), 0) as transferred_in_units,
        coalesce(sum(-delta) filter (where movement_type = 'transfer'), 0) as transferred_out_units,
        coalesce(sum(delta) filter (where movement_type = 'adjustment'), 0) as adjusted_units,
        coalesce(sum(counted_units - position_before) filter (where movement_type = 'count'), 0)
            as count_variance
    from with_expected
    group by product_id, location_id, event_date
),

-- Pairs carried from the day before the window start on its first day; new ones on their first day
-- with a movement.
positions as (
    select
        product_id,
        location_id,
        min(first_date) as first_date
    from (
        select prior.product_id, prior.location_id, refresh.window_start as first_date
        from prior
        cross join refresh
        union all
        select product_id, location_id, event_date as first_date
        from daily_activity
    ) as starts
    group by product_id, location_id
),

daily as (
    select
        positions.product_id,
        positions.location_id,
        window_days.date_day as position_date,
        window_days.date_key,
        daily_activity.day_closing_units,
        case when daily_activity.event_date is not null then window_days.date_day end as activity_date,
        coalesce(daily_activity.movement_count, 0) as movement_count,
        cast(coalesce(daily_activity.received_units, 0) as decimal(18, 2)) as received_units,
        cast(coalesce(daily_activity.issued_units, 0) as decimal(18, 2)) as issued_units,
        cast(coalesce(daily_activity.transferred_in_units, 0) as decimal(18, 2)) as transferred_in_units,
        cast(coalesce(daily_activity.transferred_out_units, 0) as decimal(18, 2)) as transferred_out_units,
        cast(coalesce(daily_activity.adjusted_units, 0) as decimal(18, 2)) as adjusted_units,
        cast(coalesce(daily_activity.count_variance, 0) as decimal(18, 2)) as count_variance
    from positions
    inner join window_days
        on window_days.date_day >= positions.first_date
    left join daily_activity
        on
            positions.product_id = daily_activity.product_id
            and positions.location_id = daily_activity.location_id
            and window_days.date_day = daily_activity.event_date
),

running as (
    select
        daily.*,
        cast(
            coalesce(
                max_by(daily.day_closing_units, daily.activity_date) over (
                    partition by daily.product_id, daily.location_id
                    order by daily.position_date
                    rows between unbounded preceding and current row
                ),
                prior.units_on_hand,
                0
            ) as decimal(18, 2)
        ) as units_on_hand,
        prior.units_on_hand as prior_units
    from daily
    left join prior
        on
            daily.product_id = prior.product_id
            and daily.location_id = prior.location_id
),

final as (
    select
        product_id,
        location_id,
        date_key,
        cast(
            coalesce(
                lag(units_on_hand) over (
                    partition by product_id, location_id
                    order by position_date
                ),
                prior_units,
                0
            ) as decimal(18, 2)
        ) as opening_units,
        received_units,
        issued_units,
        transferred_in_units,
        transferred_out_units,
        adjusted_units,
        count_variance,
        units_on_hand,
        movement_count,
        position_date
    from running
)

select * from final
