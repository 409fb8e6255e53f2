-- alert_balance_series: one row per balance model, metric, entity and date: every balance an alert
-- rule (ref_alert_rules) can watch, in one long shape so a single view applies every rule.
--
-- Watching another metric of these models is a data change (a row in reference/alert_rules.csv);
-- a new balance model adds one branch here. Units (portfolio, inventory) are watched as balances
-- too; an entity of two keys is named by both: a holding
-- client/product (`C0001/FUND-A`), a stock position product@location (`SKU-1@WH-A`).
with

account_balances as (
  select
    account_id,
    balance_date,
    closing_balance
  from fact_account_daily_balance
),

organization_financials as (
  select
    organization_id,
    snapshot_date,
    accrued_revenue,
    realized_revenue,
    accepted_payments,
    balance
  from fact_organization_daily_financials
),

portfolio_balances as (
  select
    client_id,
    product_id,
    balance_date,
    available_units
  from fact_portfolio_daily_balance
),

inventory_positions as (
  select
    product_id,
    location_id,
    position_date,
    units_on_hand
  from fact_inventory_daily_position
),

final as (
  select
    'fact_account_daily_balance' as model,
    'account_id' as entity_key,
    account_id as entity_id,
    'closing_balance' as metric,
    balance_date,
    cast(closing_balance as decimal(18, 2)) as balance
  from account_balances

  union all

  select
    'fact_organization_daily_financials' as model,
    'organization_id' as entity_key,
    organization_id as entity_id,
    'accrued_revenue' as metric,
    snapshot_date as balance_date,
    cast(accrued_revenue as decimal(18, 2)) as balance
  from organization_financials

  union all

  select
    'fact_organization_daily_financials' as model,
    'organization_id' as entity_key,
    organization_id as entity_id,
    'realized_revenue' as metric,
    snapshot_date as balance_date,
    cast(realized_revenue as decimal(18, 2)) as balance
  from organization_financials

  union all

  select
    'fact_organization_daily_financials' as model,
    'organization_id' as entity_key,
    organization_id as entity_id,
    'accepted_payments' as metric,
    snapshot_date as balance_date,
    cast(accepted_payments as decimal(18, 2)) as balance
  from organization_financials

  union all

  select
    'fact_organization_daily_financials' as model,
    'organization_id' as entity_key,
    organization_id as entity_id,
    'balance' as metric,
    snapshot_date as balance_date,
    cast(balance as decimal(18, 2)) as balance
  from organization_financials

  union all

  select
    'fact_portfolio_daily_balance' as model,
    'holding' as entity_key,
    client_id || '/' || product_id as entity_id,
    'available_units' as metric,
    balance_date,
    cast(available_units as decimal(18, 2)) as balance
  from portfolio_balances

  union all

  select
    'fact_inventory_daily_position' as model,
    'stock_position' as entity_key,
    product_id || '@' || location_id as entity_id,
    'units_on_hand' as metric,
    position_date as balance_date,
    cast(units_on_hand as decimal(18, 2)) as balance
  from inventory_positions
)

select * from final
