-- Where each school first wrote each subject no dictionary knows, and how many rows have it:
-- the school is warned once per distinct value (the normalised text kept in `subject`, `~…`),
-- at its first row across consultations, grades, activities and attendance lesson records (in that
-- order, then by file and line), with the count of rows. Hundreds of thousands of rows with one
-- unknown subject are one warning, and only these first rows reach Great Expectations. Read by
-- frame_consultations, frame_grades, frame_activities and frame_attendance.
-- A row stored before unknown subjects were kept (subject null, subject_raw given) counts too.
with unknown as (
    select 1 as kind_order, 'consultations' as kind, source_file, source_line, school_id,
           coalesce(subject, '~' || strip_accents(lower(trim(subject_raw)))) as subject_value
    from staging.consultations
    where subject like '~%' or (subject is null and nullif(trim(subject_raw), '') is not null)
    union all
    select 2, 'grades', source_file, source_line, school_id,
           coalesce(subject, '~' || strip_accents(lower(trim(subject_raw))))
    from staging.grades
    where subject like '~%' or (subject is null and nullif(trim(subject_raw), '') is not null)
    union all
    select 3, 'activities', source_file, source_line, school_id,
           coalesce(subject, '~' || strip_accents(lower(trim(subject_raw))))
    from staging.activities
    where subject like '~%' or (subject is null and nullif(trim(subject_raw), '') is not null)
    union all
    select 4, 'attendance_lessons', source_file, source_line, school_id,
           coalesce(subject, '~' || strip_accents(lower(trim(subject_raw))))
    from staging.attendance
    where shape = 'lessons'
      and (subject like '~%' or (subject is null and nullif(trim(subject_raw), '') is not null))
),

final as (
    select kind, source_file, source_line, school_id, subject_value,
           count(*) over (partition by school_id, subject_value) as row_count
    from unknown
    qualify row_number() over (
        partition by school_id, subject_value order by kind_order, source_file, source_line
    ) = 1
)

select * from final
