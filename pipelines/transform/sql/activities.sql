-- core.activities: one row per activity (school × activity_id). Its date, type, subject, minutes
-- and project are those of its earliest row (file, line); its participants are the distinct pupils
-- listed, or the largest head count given, whichever is more. Cumulative re-deliveries count once.
with deduplicated as (
    -- validated_rows.sql for staging.activities: validated rows, each row_key once
    {validated_rows}
),

schools as (
    select school_id, municipality from core.schools
),

per_activity as (
    select
        school_id,
        activity_id,
        arg_min(date, struct_pack(source_file, source_line)) as date,
        arg_min(school_year, struct_pack(source_file, source_line)) as school_year,
        arg_min(semester, struct_pack(source_file, source_line)) as semester,
        arg_min(activity_type, struct_pack(source_file, source_line)) as activity_type,
        arg_min(subject, struct_pack(source_file, source_line)) as subject,
        arg_min(minutes, struct_pack(source_file, source_line)) as minutes,
        arg_min(project_code, struct_pack(source_file, source_line)) as project_code,
        min(struct_pack(source_file, source_line)) as first_row,
        count(distinct pupil_id) as n_listed,
        max(participants) as head_count
    from deduplicated
    group by school_id, activity_id
),

final as (
    select
        a.first_row.source_file as source_file,
        a.first_row.source_line as source_line,
        a.school_id, a.activity_id,
        a.date, a.school_year, a.semester,
        s.municipality,
        a.activity_type, a.subject, a.minutes, a.project_code,
        a.n_listed,
        greatest(a.n_listed, coalesce(a.head_count, 0)) as n_participants
    from per_activity a
    left join schools s using (school_id)
)

select * from final
