-- inventory_daily_totals: the company-wide position of every product per day, over all locations.
-- grain: one row per product per day (the days of fact_inventory_daily_position).
-- Transfers move units between locations and leave units_on_hand unchanged here (transferred_in and
-- transferred_out are equal on every day); receipts, issues, adjustments and count variances move it.
with

positions as (
    select * from fact_inventory_daily_position
),

final as (
    select
        product_id,
        position_date,
        count(*) as locations,
        count_if(units_on_hand < 0) as negative_locations,
        cast(sum(opening_units) as decimal(18, 2)) as opening_units,
        cast(sum(received_units) as decimal(18, 2)) as received_units,
        cast(sum(issued_units) as decimal(18, 2)) as issued_units,
        cast(sum(transferred_in_units) as decimal(18, 2)) as transferred_in_units,
        cast(sum(transferred_out_units) as decimal(18, 2)) as transferred_out_units,
        cast(sum(adjusted_units) as decimal(18, 2)) as adjusted_units,
        cast(sum(count_variance) as decimal(18, 2)) as count_variance,
        cast(sum(units_on_hand) as decimal(18, 2)) as units_on_hand
    from positions
    group by product_id, position_date
)

select * from final
