-- fact_portfolio_daily_balance: periodic snapshot of every client's holding of every product.
-- test: reconciles_with_manifests(holdings_movements)
-- grain: one row per client, product and day, from the pair's first movement to the latest day of
-- holdings movements in the lake, gap-filled: a day without movements carries the previous units.
--   held_units      = previous held_units + buys + transfers in - sells - transfers out
--   lien_units      = previous lien_units + liens placed - liens released (pledged, blocked units)
--   available_units = held_units - lien_units (what the client can sell or move)
-- last_price is the price of the latest movement that had one, up to that day, and market_value
-- held_units x last_price (null until a price is known).
--
-- Incremental: a refresh writes the days of refresh_window from the units of the day before it
-- (prior_partitions), so a day costs that day's movements and one day of balances, never the
-- history. A full build is the same text with an empty prior_partitions.
-- materialized: incremental
-- partitioned_by: balance_date
-- input: holdings_movements.dt refresh=through_latest
-- carry: 1 client_id varchar, product_id varchar, product_type varchar, held_units decimal(18, 2), lien_units decimal(18, 2), last_price decimal(18, 2)
with

movements as (
    select * from stg_holdings_movements
),

calendar as (
    select * from dim_date
),

refresh as (
    select window_start, window_end from refresh_window
),

prior as (
    select client_id, product_id, product_type, held_units, lien_units, last_price from prior_partitions
),

window_days as (
    select
        calendar.date_day,
        calendar.date_key
    from calendar
    inner join refresh
        on calendar.date_day between refresh.window_start and refresh.window_end
),

daily_activity as (
    select
        client_id,
        product_id,
        event_date,
        sum(held_change) as held_change,
        sum(lien_change) as lien_change,
        count(*) as movement_count,
        max_by(product_type, event_time) filter (where product_type is not null) as last_product_type,
        max(event_time) filter (where product_type is not null) as last_product_type_time,
        max_by(price, event_time) filter (where price is not null) as last_price,
        max(event_time) filter (where price is not null) as last_price_time
    from movements
    group by client_id, product_id, event_date
),

-- Pairs carried from the day before the window start on its first day; new ones on their first day
-- with a movement.
holdings as (
    select
        client_id,
        product_id,
        min(first_date) as first_date
    from (
        select prior.client_id, prior.product_id, refresh.window_start as first_date
        from prior
        cross join refresh
        union all
        select client_id, product_id, event_date as first_date
        from daily_activity
    ) as starts
    group by client_id, product_id
),

daily as (
    select
        holdings.client_id,
        holdings.product_id,
        window_days.date_day as balance_date,
        window_days.date_key,
        cast(coalesce(daily_activity.held_change, 0) as decimal(18, 2)) as held_change,
        cast(coalesce(daily_activity.lien_change, 0) as decimal(18, 2)) as lien_change,
        coalesce(daily_activity.movement_count, 0) as movement_count,
        daily_activity.last_product_type,
        daily_activity.last_product_type_time,
        daily_activity.last_price,
        daily_activity.last_price_time
    from holdings
    inner join window_days
        on window_days.date_day >= holdings.first_date
    left join daily_activity
        on
            holdings.client_id = daily_activity.client_id
            and holdings.product_id = daily_activity.product_id
            and window_days.date_day = daily_activity.event_date
),

running as (
    select
        daily.client_id,
        daily.product_id,
        daily.balance_date,
        daily.date_key,
        daily.held_change,
        daily.lien_change,
        daily.movement_count,
        coalesce(
            max_by(daily.last_product_type, daily.last_product_type_time) over (
                partition by daily.client_id, daily.product_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ),
            prior.product_type
        ) as product_type,
        coalesce(
            max_by(daily.last_price, daily.last_price_time) over (
                partition by daily.client_id, daily.product_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ),
            prior.last_price
        ) as last_price,
        cast(
            coalesce(prior.held_units, 0)
            + sum(daily.held_change) over (
                partition by daily.client_id, daily.product_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as held_units,
        cast(
            coalesce(prior.lien_units, 0)
            + sum(daily.lien_change) over (
                partition by daily.client_id, daily.product_id
                order by daily.balance_date
                rows between unbounded preceding and current row
            ) as decimal(18, 2)
        ) as lien_units
    from daily
    left join prior
        on
            daily.client_id = prior.client_id
            and daily.product_id = prior.product_id
),

final as (
    select
        client_id,
        product_id,
        product_type,
        date_key,
        cast(held_units - held_change as decimal(18, 2)) as opening_held_units,
        held_change,
        held_units,
        cast(lien_units - lien_change as decimal(18, 2)) as opening_lien_units,
        lien_change,
        lien_units,
        cast(held_units - lien_units as decimal(18, 2)) as available_units,
        movement_count,
        last_price,
        cast(held_units * last_price as decimal(18, 2)) as market_value,
        balance_date
    from running
)

select * from final
