-- Feedback for schools: every quarantined row (ingest and validation), every warning, and every
-- file, sheet or archive member that was rejected (error) or skipped (warning) at ingest.
-- A row without a school (e.g. unreadable at ingest) goes to its file's school when the file
-- holds exactly one school. A rejected or skipped file goes to the school its rows name (recorded
-- at ingest), else to the one school id its path names, else to the one school of its folder.
-- Personal columns, and anything shaped like a personal code, are shown as '***'.
with not_loaded as (
    select
        file_path as source_file,
        kind,
        school_id,
        status,
        reason,
        case when contains(file_path, '/') then regexp_replace(file_path, '/[^/]*$', '') end as folder
    from meta.files
    where status in ('rejected', 'skipped')
),

file_problems as (
    select
        source_file, 0 as source_line, kind, school_id, null as column_name, null as value,
        case status when 'rejected' then 'error' else 'warning' end as severity,
        'file_' || status as reason_code,
        coalesce(nullif(regexp_extract(reason, '^(.*?) / (.*)$', 1), ''), reason) as message_lv,
        coalesce(nullif(regexp_extract(reason, '^(.*?) / (.*)$', 2), ''), reason) as message_en
    from not_loaded
),

issues as (
    select
        source_file, source_line, kind, school_id, column_name, value,
        'error' as severity, reason_code, message_lv, message_en
    from quarantine.rows
    union all
    select
        source_file, source_line, kind, school_id, column_name, value,
        severity, reason_code, message_lv, message_en
    from validation.flags
    union all
    select * from file_problems
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

known_schools as (
    select distinct school_id from staging.schools where regexp_full_match(school_id, '[0-9]{5,}')
    union
    select distinct school_id from file_schools where regexp_full_match(school_id, '[0-9]{5,}')
),

path_schools as (
    select n.source_file, min(k.school_id) as school_id
    from not_loaded n
    join known_schools k on regexp_matches(n.source_file, '(^|[^0-9])' || k.school_id || '([^0-9]|$)')
    group by all
    having count(distinct k.school_id) = 1
),

folder_schools as (
    select regexp_replace(source_file, '/[^/]*$', '') as folder, min(school_id) as school_id
    from file_schools
    where contains(source_file, '/')
    group by all
    having count(distinct school_id) = 1
),

not_loaded_schools as (
    select n.source_file, coalesce(p.school_id, d.school_id) as school_id
    from not_loaded n
    left join path_schools p using (source_file)
    left join folder_schools d on d.folder = n.folder
),

final as (
    select
        coalesce(i.school_id, fs.school_id, ns.school_id) as school_id,
        i.source_file as file,
        nullif(i.source_line, 0) as line,
        i.column_name as "column",
        case
            when list_contains($masked_columns, i.column_name) then '***'
            when regexp_matches(coalesce(i.value, ''), $code_shape) then '***'  -- personal_code.code_shape('re2')
            else i.value
        end as value,
        i.severity,
        i.reason_code,
        i.message_lv,
        i.message_en
    from issues i
    left join file_schools fs using (source_file)
    left join not_loaded_schools ns using (source_file)
)

select * from final
order by school_id nulls last, file, line nulls first, severity, reason_code, "column", value
