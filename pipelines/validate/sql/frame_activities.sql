-- Frame judged by expectations/activities.*.json: one row per staging.activities row with registry
-- and roster membership (a listed participant), the project's period and days ahead.
with activities as (
    select
        rowid as rid,
        * exclude (activity_type_raw, subject_raw),
        nullif(trim(activity_type_raw), '') as activity_type_raw,
        nullif(trim(subject_raw), '') as subject_raw
    from staging.activities
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

rosters as (
    select distinct pupil_id, school_id, school_year from staging.pupils
),

final as (
    select
        a.rid,
        'activities' as kind,
        a.source_file, a.source_line, a.row_key, a.school_id,
        strftime(a.date, '%Y-%m') as month,
        a.pupil_id, a.date, a.minutes, a.participants, a.activity_type, a.activity_type_raw,
        a.subject, a.subject_raw, a.project_code, a.project_text_hash,
        u.source_file is not null as first_unknown_project,
        us.source_file is not null as first_unknown_subject,
        case when us.source_file is not null
            then a.subject_raw || ' (' || us.row_count || ' rindas / rows)' end as unknown_subject_note,
        -- a project none of validate_project_periods knows (`other`) is not judged here
        pp.project_code is null or a.date between pp.period_start and pp.period_end as in_project_period,
        date_diff('day', $reference_date::date, a.date) as days_after_reference,
        s.school_id is not null as school_known,
        a.pupil_id is null or r.pupil_id is not null as on_roster
    from activities a
    left join schools s on s.school_id = a.school_id
    left join rosters r
        on r.pupil_id = a.pupil_id and r.school_id = a.school_id and r.school_year = a.school_year
    left join validate_project_periods pp on pp.project_code = a.project_code
    left join validate_unknown_projects u
        on u.kind = 'activities' and u.source_file = a.source_file and u.source_line = a.source_line
    left join validate_unknown_subjects us
        on us.kind = 'activities' and us.source_file = a.source_file and us.source_line = a.source_line
)

select * from final
