-- stg_customer_profiles: CRM customer profiles, repaired, with a warning for every repair.
-- test: reconciles_with_manifests(customer_profiles)
-- grain: one row per ingested record (customer_id as exported, updated_at, source line); the latest
-- record per customer wins in dim_customer_profile.
--
-- The contract rejects only what cannot be repaired (no id, no parseable date). Here, each repair
-- keeps the row and adds a `field.rule` id to `warnings` (joined by `|`, like quarantine.rules):
--   customer_id.doubled_id      an id doubled by the CRM's join bug (C082C082) becomes its half (C082):
--                               an even length whose halves are equal and look like an id (letters, digits)
--   email.invalid_email         not name@domain.tld: the email becomes null
--   email.email_too_long        over 254 characters (RFC 5321): the email becomes null
--   loyalty_points.negative_points  below 0: clamped to 0
-- Emails arrive trimmed and lower-cased by the contract.
with

source as (
    select * from customer_profiles
),

measured as (
    select
        *,
        length(customer_id) / 2 as half_length
    from source
),

checked as (
    select
        *,
        length(customer_id) % 2 = 0
        and length(customer_id) >= 4
        and substr(customer_id, 1, half_length) = substr(customer_id, half_length + 1)
        and regexp_like(substr(customer_id, 1, half_length), '^[A-Z]+[0-9]+$') as is_doubled_id,
        email is not null and length(email) > 254 as is_email_too_long,
        email is not null and length(email) <= 254
        and not regexp_like(email, '^[^@ ]+@[^@ ]+[.][^@ .]+$') as is_invalid_email,
        loyalty_points < 0 as is_negative_points
    from measured
),

final as (
    select
        case when is_doubled_id then substr(customer_id, 1, half_length) else customer_id end as customer_id,
        customer_id as source_customer_id,
        trim(name) as customer_name,
        case when is_email_too_long or is_invalid_email then cast(null as varchar) else email end as email,
        email as source_email,
        nullif(trim(city), '') as city,
        join_date,
        case when is_negative_points then 0 else loyalty_points end as loyalty_points,
        loyalty_points as source_loyalty_points,
        updated_at,
        nullif(
            concat_ws(
                '|',
                case when is_doubled_id then 'customer_id.doubled_id' end,
                case when is_invalid_email then 'email.invalid_email' end,
                case when is_email_too_long then 'email.email_too_long' end,
                case when is_negative_points then 'loyalty_points.negative_points' end
            ),
            ''
        ) as warnings,
        source_key,
        source_line,
        ingested_at,
        dt
    from checked
)

select * from final
