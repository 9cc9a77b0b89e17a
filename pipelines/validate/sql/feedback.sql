-- Feedback for schools: every quarantined row (ingest and validation) and every warning.
-- A row without a school (e.g. unreadable at ingest) goes to its file's school when the file
-- holds exactly one school. Personal columns, and anything shaped like a personal code, are
-- shown as '***'.
with issues as (
    select
        source_file, source_line, kind, school_id, column_name, value,
        'error' as severity, reason_code, message_lv, message_en
    from quarantine.rows
    union all
    select
        source_file, source_line, kind, school_id, column_name, value,
        severity, reason_code, message_lv, message_en
    from validation.flags
),

file_rows as (
    select source_file, school_id from validate_frame_schools
    union all
    select source_file, school_id from validate_frame_pupils
    union all
    select source_file, school_id from validate_frame_plans
    union all
    select source_file, school_id from validate_frame_consultations
    union all
    select source_file, school_id from validate_frame_grades
    union all
    select source_file, school_id from quarantine.rows
),

file_schools as (
    select source_file, min(school_id) as school_id
    from file_rows
    where school_id is not null
    group by all
    having count(distinct school_id) = 1
),

final as (
    select
        coalesce(i.school_id, fs.school_id) as school_id,
        i.source_file as file,
        nullif(i.source_line, 0) as line,
        i.column_name as "column",
        case
            when list_contains($masked_columns, i.column_name) then '***'
            when regexp_matches(coalesce(i.value, ''), '[0-9]{6}-?[0-9]{5}') then '***'
            else i.value
        end as value,
        i.severity,
        i.reason_code,
        i.message_lv,
        i.message_en
    from issues i
    left join file_schools fs using (source_file)
)

select * from final
order by school_id nulls last, file, line nulls first, severity, reason_code, "column", value
