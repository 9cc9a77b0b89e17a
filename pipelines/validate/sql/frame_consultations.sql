-- Frame judged by expectations/consultations.*.json: one row per staging.consultations row
-- with the referential and plausibility facts derived here, so the expectations only compare
-- columns: registry and roster membership, plan coverage, same-day repeats, days ahead.
with consultations as (
    select
        rowid as rid,
        * exclude (mode_raw, subject_raw),
        nullif(trim(mode_raw), '') as mode_raw,
        nullif(trim(subject_raw), '') as subject_raw,
        coalesce(subject, nullif(trim(subject_raw), '')) as subject_key
    from staging.consultations
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

rosters as (
    select distinct pupil_id, school_id, school_year from staging.pupils
),

plans as (
    select pupil_id, school_id, plan_start, plan_end
    from staging.plans
    -- plans that are themselves valid: started by the reference date, not ending before they start
    where plan_start <= $reference_date::date and (plan_end is null or plan_end >= plan_start)
),

covered as (
    select distinct c.source_file, c.source_line
    from consultations c
    join plans p
        on p.pupil_id = c.pupil_id and p.school_id = c.school_id
        and c.date >= p.plan_start and (p.plan_end is null or c.date <= p.plan_end)
),

-- distinct row_key: a cumulative re-delivery repeats the same key and is not a second consultation
same_day as (
    select school_id, staff_id, pupil_id, subject_key, date, count(distinct row_key) as consultations_same_day
    from consultations
    where staff_id is not null and pupil_id is not null and date is not null
    group by all
),

final as (
    select
        c.rid,
        'consultations' as kind,
        c.source_file, c.source_line, c.row_key, c.school_id,
        strftime(c.date, '%Y-%m') as month,
        c.pupil_id, c.date, c.minutes, c.group_size, c.mode, c.mode_raw, c.subject, c.subject_raw,
        c.project_text_hash,
        u.source_file is not null as first_unknown_project,
        us.source_file is not null as first_unknown_subject,
        case when us.source_file is not null
            then c.subject_raw || ' (' || us.row_count || ' rindas / rows)' end as unknown_subject_note,
        date_diff('day', $reference_date::date, c.date) as days_after_reference,
        s.school_id is not null as school_known,
        r.pupil_id is not null as on_roster,
        cv.source_file is not null as in_plan,
        d.consultations_same_day
    from consultations c
    left join schools s on s.school_id = c.school_id
    left join rosters r
        on r.pupil_id = c.pupil_id and r.school_id = c.school_id and r.school_year = c.school_year
    left join covered cv on cv.source_file = c.source_file and cv.source_line = c.source_line
    left join same_day d
        on d.school_id = c.school_id and d.staff_id = c.staff_id and d.pupil_id = c.pupil_id
        and d.date = c.date and d.subject_key is not distinct from c.subject_key
    left join validate_unknown_projects u
        on u.kind = 'consultations' and u.source_file = c.source_file and u.source_line = c.source_line
    left join validate_unknown_subjects us
        on us.kind = 'consultations' and us.source_file = c.source_file and us.source_line = c.source_line
)

select * from final
