-- Frame judged by expectations/financial_support.*.json: one row per staging.financial_support row
-- with registry and roster membership, the project's period and days ahead.
with payments as (
    select
        rowid as rid,
        * exclude (support_type_raw),
        nullif(trim(support_type_raw), '') as support_type_raw
    from staging.financial_support
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

rosters as (
    select distinct pupil_id, school_id, school_year from staging.pupils
),

final as (
    select
        f.rid,
        'financial_support' as kind,
        f.source_file, f.source_line, f.row_key, f.school_id,
        strftime(f.date, '%Y-%m') as month,
        f.pupil_id, f.date, f.amount_eur, f.support_type, f.support_type_raw, f.project_code, f.project_text_hash,
        u.source_file is not null as first_unknown_project,
        pp.project_code is null or f.date between pp.period_start and pp.period_end as in_project_period,
        date_diff('day', $reference_date::date, f.date) as days_after_reference,
        s.school_id is not null as school_known,
        r.pupil_id is not null as on_roster
    from payments f
    left join schools s on s.school_id = f.school_id
    left join rosters r
        on r.pupil_id = f.pupil_id and r.school_id = f.school_id and r.school_year = f.school_year
    left join validate_project_periods pp on pp.project_code = f.project_code
    left join validate_unknown_projects u
        on u.kind = 'financial_support' and u.source_file = f.source_file and u.source_line = f.source_line
)

select * from final
