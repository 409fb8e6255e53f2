-- data_quality_warnings: repaired rows per dataset, day and repair rule, next to
-- data_quality_rejections (rows that could not be repaired and were quarantined).
-- grain: one row per dataset, partition day (dt) and rule id.
with

warnings as (
    select * from repair_warnings
),

final as (
    select
        dataset,
        dt,
        rule_id,
        field,
        rule_name,
        count(*) as warned_rows
    from warnings
    group by dataset, dt, rule_id, field, rule_name
)

select * from final
