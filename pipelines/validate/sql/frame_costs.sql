-- Frame judged by expectations/costs.*.json: one row per staging.costs row with the project's
-- period (the whole month must lie in it), whether the month has begun, and whether the
-- municipality is one of the school registry's (compared without case and diacritics).
with costs as (
    select
        rowid as rid,
        * exclude (cost_category_raw),
        nullif(trim(cost_category_raw), '') as cost_category_raw
    from staging.costs
),

municipalities as (
    select distinct lower(strip_accents(trim(municipality))) as municipality_key
    from staging.schools
    where municipality is not null
),

final as (
    select
        c.rid,
        'costs' as kind,
        c.source_file, c.source_line, c.row_key,
        cast(null as varchar) as school_id,
        strftime(c.month, '%Y-%m') as month,
        c.amount_eur, c.cost_category, c.cost_category_raw, c.municipality, c.project_code, c.project_text_hash,
        u.source_file is not null as first_unknown_project,
        pp.project_code is null
            or (c.month >= date_trunc('month', pp.period_start) and c.month <= pp.period_end) as in_project_period,
        date_diff('day', $reference_date::date, c.month) as days_after_reference,
        m.municipality_key is not null as municipality_known
    from costs c
    left join municipalities m on m.municipality_key = lower(strip_accents(trim(c.municipality)))
    left join validate_project_periods pp on pp.project_code = c.project_code
    left join validate_unknown_projects u
        on u.kind = 'costs' and u.source_file = c.source_file and u.source_line = c.source_line
)

select * from final
