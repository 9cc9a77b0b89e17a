-- Frame judged by expectations/plans.*.json: one row per staging.plans row with registry and
-- roster membership (roster of the plan's school year) and the plan length in days.
with plans as (
    select
        rowid as rid,
        *,
        coalesce(
            school_year,
            cast(year(plan_start - interval 8 month) as varchar) || '/'
                || cast(year(plan_start - interval 8 month) + 1 as varchar)
        ) as roster_year
    from staging.plans
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

rosters as (
    select distinct pupil_id, school_id, school_year from staging.pupils
),

final as (
    select
        p.rid,
        'plans' as kind,
        p.source_file, p.source_line, p.row_key, p.school_id,
        strftime(p.plan_start, '%Y-%m') as month,
        p.pupil_id, p.school_year, p.plan_start, p.plan_end, p.project_text_hash,
        u.source_file is not null as first_unknown_project,
        date_diff('day', p.plan_start, p.plan_end) as plan_length_days,
        date_diff('day', $reference_date::date, p.plan_start) as days_after_reference,
        s.school_id is not null as school_known,
        r.pupil_id is not null as on_roster
    from plans p
    left join schools s on s.school_id = p.school_id
    left join rosters r
        on r.pupil_id = p.pupil_id and r.school_id = p.school_id and r.school_year = p.roster_year
    left join validate_unknown_projects u
        on u.kind = 'plans' and u.source_file = p.source_file and u.source_line = p.source_line
)

select * from final
