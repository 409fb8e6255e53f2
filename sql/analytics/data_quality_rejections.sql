-- data_quality_rejections: quarantined rows per dataset, day and broken rule. A row that broke
-- several rules counts once under each (quarantine.rules holds `field.rule` ids joined by `|`).
-- grain: one row per dataset, partition day (dt) and rule id.
with

quarantined as (
    select * from quarantine
),

row_rules as (
    select
        quarantined.dataset,
        quarantined.dt,
        broken.rule_id
    from quarantined
    cross join unnest(split(quarantined.rules, '|')) as broken (rule_id)
),

final as (
    select
        dataset,
        dt,
        rule_id,
        split_part(rule_id, '.', 1) as field,
        split_part(rule_id, '.', 2) as rule_name,
        count(*) as rejected_rows
    from row_rules
    group by dataset, dt, rule_id
)

select * from final
