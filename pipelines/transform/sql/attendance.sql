-- core.attendance: one row per absence record (a lesson record or a period summary). Rows validation
-- quarantined are left out; a cumulative re-delivery repeats the same row_key and is kept once (the
-- earliest file/line keeps the lineage).
with staged as (
    select * from staging.attendance s
    where not exists (
        select 1 from quarantine.rows q
        where q.stage = 'validate' and q.kind in ('attendance_lessons', 'attendance_periods')
          and q.source_file = s.source_file and q.source_line = s.source_line
    )
),

ranked as (
    select *, row_number() over (partition by row_key order by source_file, source_line) as pick
    from staged
),

schools as (
    select school_id, municipality from core.schools
),

final as (
    select r.source_file, r.source_line, r.row_key, r.shape,
           r.pupil_id, r.school_id, s.municipality,
           r.period_start, r.period_end, r.school_year, r.semester,
           r.reason, r.reason_raw, r.subject, r.subject_raw,
           r.lessons_missed, r.excused, r.unexcused, r.illness, r.unknown_reason, r.lessons_held
    from ranked r
    left join schools s using (school_id)
    where r.pick = 1
)

select * from final
