-- Frame judged by expectations/grades.*.json: one row per staging.grades row with the pupil's
-- grade level from the roster of that school and school year (null when not on the roster:
-- then the notation cannot be judged against the level, only against its own range).
with grades as (
    select rowid as rid, * exclude (subject_raw), nullif(trim(subject_raw), '') as subject_raw
    from staging.grades
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

-- a pupil moved between classes within a year keeps the higher level
rosters as (
    select pupil_id, school_id, school_year, max(grade_level) as grade_level
    from staging.pupils
    group by all
),

final as (
    select
        g.rid,
        'grades' as kind,
        g.source_file, g.source_line, g.row_key, g.school_id,
        strftime(g.date, '%Y-%m') as month,
        g.pupil_id, g.date, g.subject, g.subject_raw,
        g.grade_raw, g.grade_kind, g.grade_score, g.grade_level_code, g.grade_percent,
        r.grade_level,
        date_diff('day', $reference_date::date, g.date) as days_after_reference,
        s.school_id is not null as school_known,
        r.pupil_id is not null as on_roster,
        us.source_file is not null as first_unknown_subject,
        case when us.source_file is not null
            then g.subject_raw || ' (' || us.row_count || ' rindas / rows)' end as unknown_subject_note
    from grades g
    left join schools s on s.school_id = g.school_id
    left join rosters r
        on r.pupil_id = g.pupil_id and r.school_id = g.school_id and r.school_year = g.school_year
    left join validate_unknown_subjects us
        on us.kind = 'grades' and us.source_file = g.source_file and us.source_line = g.source_line
)

select * from final
