-- Rows per file × frame × kind × school × month × school year, for the files judged this run
-- (validate_files.to_judge); the files not judged keep theirs from validation.file_months (stage.py).
-- quality.sql and file_counts.sql read these sums, so an increment recounts only the new and
-- changed files' rows, not every row of the year.
with judged as (
    select source_file from validate_files where to_judge
),

staged as (
    select 'schools' as frame, kind, source_file, school_id, month, cast(null as varchar) as school_year
    from validate_frame_schools
    union all
    select 'pupils', kind, source_file, school_id, month, school_year from validate_frame_pupils
    union all
    select 'plans', kind, source_file, school_id, month, school_year from validate_frame_plans
    union all
    select 'consultations', kind, source_file, school_id, month, null from validate_frame_consultations
    union all
    select 'grades', kind, source_file, school_id, month, null from validate_frame_grades
    union all
    select 'activities', kind, source_file, school_id, month, null from validate_frame_activities
    union all
    select 'financial_support', kind, source_file, school_id, month, null from validate_frame_financial_support
    union all
    select 'costs', kind, source_file, school_id, month, null from validate_frame_costs
    union all
    select 'attendance', kind, source_file, school_id, month, null from validate_frame_attendance
),

final as (
    select s.source_file, s.frame, s.kind, s.school_id, s.month, s.school_year, count(*) as row_count
    from staged s
    semi join judged j on j.source_file = s.source_file
    group by all
)

select * from final
