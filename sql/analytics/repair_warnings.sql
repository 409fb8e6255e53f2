-- repair_warnings: every repair a staging model made to a row it kept, with the value it received:
-- what the quarantine is for rejected rows, for rows that were repaired instead.
-- grain: one row per repaired row and warning (`field.rule`). A dataset with repair rules adds one
-- branch here (its staging model lists the warnings of each row in `warnings`, joined by `|`).
with

customer_profiles as (
    select * from stg_customer_profiles
    where warnings is not null
),

customer_profile_warnings as (
    select
        'customer_profiles' as dataset,
        profiles.dt,
        profiles.source_key,
        profiles.source_line,
        profiles.customer_id as record_key,
        warned.rule_id,
        case warned.rule_id
            when 'customer_id.doubled_id' then profiles.source_customer_id
            when 'loyalty_points.negative_points' then cast(profiles.source_loyalty_points as varchar)
            else profiles.source_email
        end as received_value,
        case warned.rule_id
            when 'customer_id.doubled_id' then profiles.customer_id
            when 'loyalty_points.negative_points' then cast(profiles.loyalty_points as varchar)
            else cast(null as varchar)
        end as repaired_value
    from customer_profiles as profiles
    cross join unnest(split(profiles.warnings, '|')) as warned (rule_id)
),

final as (
    select
        dataset,
        dt,
        source_key,
        source_line,
        record_key,
        rule_id,
        split_part(rule_id, '.', 1) as field,
        split_part(rule_id, '.', 2) as rule_name,
        received_value,
        repaired_value,
        case rule_id
            when 'customer_id.doubled_id' then 'customer_id was doubled by a join (' || received_value || '), kept as ' || repaired_value
            when 'email.invalid_email' then 'email is not an address such as name@example.com (' || received_value || '), set to null'
            when 'email.email_too_long' then 'email is longer than 254 characters, set to null'
            when 'loyalty_points.negative_points' then 'loyalty_points must be >= 0, got ' || received_value || ', clamped to 0'
        end as message
    from customer_profile_warnings
)

select * from final
