-- fact_organization_daily_financials: one row per organization per invoice snapshot date.
--
-- Each `invoices` delivery is the full current state of the invoicing system, so for a snapshot date
-- only its latest delivery counts. How an invoice counts is data (ref_invoice_status), amounts are
-- converted to the reporting currency with fx_rate / fx_rate_payment (missing means 1):
--   accrued_revenue   = sum(amount x amount_factor)
--   realized_revenue  = sum(amount x amount_factor x payment_factor)
--   accepted_payments = sum(payment_amount x payment_factor)
--   balance           = accrued_revenue - accepted_payments (what the organization still owes)
-- An organization seen in an earlier snapshot and absent from a later one has zeros there, so its
-- balance falls to 0 instead of disappearing. Attributes come from the latest organizations snapshot
-- on or before the date.
--
-- Incremental: a refresh writes the snapshot dates of refresh_window; organizations seen before it
-- come from the latest snapshot date before the window (prior_partitions). Organizations (a small
-- snapshot dimension) are read whole.
-- materialized: incremental
-- partitioned_by: snapshot_date
-- input: invoices.dt refresh=through_latest
-- input: organizations.dt read=all refresh=through_latest
-- carry: 1 organization_id varchar
-- test: unique(organization_id, snapshot_date)
-- test: expression_is_true(abs(balance - (accrued_revenue - accepted_payments)) <= 0.01)
-- test: reconciles_with_manifests(invoices)
-- test: reconciles_with_manifests(organizations)
with

source_invoices as (
  select
    invoice_id,
    organization_id,
    status,
    amount,
    payment_amount,
    fx_rate,
    fx_rate_payment,
    snapshot_date,
    source_key,
    ingested_at
  from invoices
),

source_organizations as (
  select
    organization_id,
    legal_entity_country_code,
    count_total_contracts_active,
    snapshot_date,
    ingested_at
  from organizations
),

invoice_status as (
  select
    status,
    amount_factor,
    payment_factor,
    is_final
  from ref_invoice_status
),

deliveries as (
  select distinct
    snapshot_date,
    source_key,
    ingested_at
  from source_invoices
),

ranked_deliveries as (
  select
    snapshot_date,
    source_key,
    ingested_at,
    row_number() over (partition by snapshot_date order by ingested_at desc, source_key desc) as delivery_rank
  from deliveries
),

snapshot_invoices as (
  select
    i.invoice_id,
    i.organization_id,
    i.status,
    i.amount,
    i.payment_amount,
    i.fx_rate,
    i.fx_rate_payment,
    i.snapshot_date
  from source_invoices as i
  inner join ranked_deliveries as d
    on d.snapshot_date = i.snapshot_date
    and d.source_key = i.source_key
    and d.ingested_at = i.ingested_at
  where d.delivery_rank = 1
),

valued_invoices as (
  select
    i.organization_id,
    i.snapshot_date,
    coalesce(s.is_final, false) as is_final,
    cast(i.amount as double) * coalesce(i.fx_rate, 1.0) * cast(s.amount_factor as double) as accrued_amount,
    cast(i.amount as double) * coalesce(i.fx_rate, 1.0)
      * cast(s.amount_factor as double) * cast(s.payment_factor as double) as realized_amount,
    cast(coalesce(i.payment_amount, 0) as double) * coalesce(i.fx_rate_payment, 1.0)
      * cast(s.payment_factor as double) as accepted_payment
  from snapshot_invoices as i
  left join invoice_status as s
    on s.status = i.status
),

organization_totals as (
  select
    organization_id,
    snapshot_date,
    count(*) as invoice_count,
    sum(case when is_final then 0 else 1 end) as open_invoice_count,
    coalesce(sum(accrued_amount), 0) as accrued_revenue,
    coalesce(sum(realized_amount), 0) as realized_revenue,
    coalesce(sum(accepted_payment), 0) as accepted_payments
  from valued_invoices
  group by organization_id, snapshot_date
),

snapshot_dates as (
  select distinct snapshot_date
  from snapshot_invoices
),

-- Organizations of earlier snapshots carry into every snapshot date of the window.
first_seen as (
  select
    organization_id,
    min(first_snapshot_date) as first_snapshot_date
  from (
    select organization_id, snapshot_date as first_snapshot_date
    from snapshot_invoices
    union all
    select prior_partitions.organization_id, refresh_window.window_start as first_snapshot_date
    from prior_partitions
    cross join refresh_window
  ) as starts
  group by organization_id
),

organization_days as (
  select
    f.organization_id,
    d.snapshot_date
  from first_seen as f
  inner join snapshot_dates as d
    on d.snapshot_date >= f.first_snapshot_date
),

organization_attributes as (
  select
    od.organization_id,
    od.snapshot_date,
    o.legal_entity_country_code,
    o.count_total_contracts_active,
    row_number() over (
      partition by od.organization_id, od.snapshot_date
      order by o.snapshot_date desc, o.ingested_at desc
    ) as attribute_rank
  from organization_days as od
  inner join source_organizations as o
    on o.organization_id = od.organization_id
    and o.snapshot_date <= od.snapshot_date
),

final as (
  select
    od.organization_id,
    a.legal_entity_country_code,
    a.count_total_contracts_active,
    coalesce(t.invoice_count, 0) as invoice_count,
    coalesce(t.open_invoice_count, 0) as open_invoice_count,
    cast(round(coalesce(t.accrued_revenue, 0), 2) as decimal(18, 2)) as accrued_revenue,
    cast(round(coalesce(t.realized_revenue, 0), 2) as decimal(18, 2)) as realized_revenue,
    cast(round(coalesce(t.accepted_payments, 0), 2) as decimal(18, 2)) as accepted_payments,
    cast(round(coalesce(t.accrued_revenue, 0) - coalesce(t.accepted_payments, 0), 2) as decimal(18, 2)) as balance,
    od.snapshot_date
  from organization_days as od
  left join organization_totals as t
    on t.organization_id = od.organization_id
    and t.snapshot_date = od.snapshot_date
  left join organization_attributes as a
    on a.organization_id = od.organization_id
    and a.snapshot_date = od.snapshot_date
    and a.attribute_rank = 1
)

select * from final
