-- balance_moves: one row per alert rule, entity and balance date (from the model's second date on):
-- the watched balance's previous and current value, the change, the change rate, whether the balance
-- changed sign and whether the move breaches the rule.
--
-- Every threshold comes from ref_alert_rules (reference/alert_rules.csv), never from this text:
--   breach = change <> 0, in the rule's direction (up, down or both), |change| >= min_abs_change, and
--     previous <> 0: |change| >= threshold_rate x |previous|
--     previous  = 0: zero_previous = 'from_zero' and |current| >= from_zero_min_amount
--                    (there is no rate to compare, so never a division by zero)
-- previous is the entity's value on its previous date, or 0 when the entity first appears after the
-- model's first date (a new account moves from zero). On the model's first date there is no baseline,
-- so the first day of a lake never alerts on every balance at once.
--
-- Incremental: a refresh reads the window's days of each balance model and the partition before
-- each of them, so the first date it reads is the baseline (model_first_date) and every written day
-- has its previous balance; the alerts read only the days they evaluate.
-- materialized: incremental
-- partitioned_by: balance_date
-- input: fact_account_daily_balance.balance_date read=with_previous
-- input: fact_organization_daily_financials.snapshot_date read=with_previous
-- input: fact_portfolio_daily_balance.balance_date read=with_previous
-- input: fact_inventory_daily_position.position_date read=with_previous
-- test: unique(rule_name, entity_id, balance_date)
-- test: accepted_values(move_direction, 'up', 'down', 'flat')
with

balance_series as (
  select
    model,
    entity_key,
    entity_id,
    metric,
    balance_date,
    balance
  from alert_balance_series
),

alert_rules as (
  select
    rule_name,
    model,
    entity_key,
    metric,
    threshold_rate,
    lower(direction) as direction,
    coalesce(min_abs_change, 0) as min_abs_change,
    lower(zero_previous) as zero_previous,
    coalesce(from_zero_min_amount, 0) as from_zero_min_amount,
    lower(severity) as severity,
    description
  from ref_alert_rules
),

rule_series as (
  select
    r.rule_name,
    r.severity,
    r.model,
    r.entity_key,
    r.metric,
    r.threshold_rate,
    r.direction,
    r.min_abs_change,
    r.zero_previous,
    r.from_zero_min_amount,
    r.description,
    s.entity_id,
    s.balance_date,
    s.balance,
    lag(s.balance) over (partition by r.rule_name, s.entity_id order by s.balance_date) as lagged_balance,
    min(s.balance_date) over (partition by r.rule_name) as model_first_date
  from alert_rules as r
  inner join balance_series as s
    on s.model = r.model
    and s.entity_key = r.entity_key
    and s.metric = r.metric
),

moves as (
  select
    rule_name,
    severity,
    model,
    entity_key,
    metric,
    threshold_rate,
    direction,
    min_abs_change,
    zero_previous,
    from_zero_min_amount,
    description,
    entity_id,
    balance_date,
    coalesce(lagged_balance, 0) as previous_balance,
    balance as current_balance,
    balance - coalesce(lagged_balance, 0) as change
  from rule_series
  where balance_date > model_first_date
),

classified as (
  select
    rule_name,
    severity,
    model,
    entity_key,
    metric,
    threshold_rate,
    direction,
    min_abs_change,
    zero_previous,
    from_zero_min_amount,
    description,
    entity_id,
    balance_date,
    previous_balance,
    current_balance,
    change,
    case when change > 0 then 'up' when change < 0 then 'down' else 'flat' end as move_direction,
    case
      when previous_balance = 0 then cast(null as double)
      else cast(change as double) / abs(cast(previous_balance as double))
    end as change_rate,
    previous_balance = 0 as is_from_zero,
    (previous_balance > 0 and current_balance < 0) or (previous_balance < 0 and current_balance > 0)
      as is_sign_flip
  from moves
),

final as (
  select
    rule_name,
    severity,
    model,
    entity_key,
    metric,
    entity_id,
    previous_balance,
    current_balance,
    change,
    change_rate,
    move_direction,
    is_from_zero,
    is_sign_flip,
    threshold_rate,
    direction,
    min_abs_change,
    zero_previous,
    from_zero_min_amount,
    description,
    change <> 0
      and (direction = 'both' or direction = move_direction)
      and abs(change) >= min_abs_change
      and case
        when previous_balance = 0
          then zero_previous = 'from_zero' and abs(current_balance) >= from_zero_min_amount
        else abs(cast(change as double)) >= threshold_rate * abs(cast(previous_balance as double))
      end as is_breach,
    balance_date
  from classified
)

select * from final
