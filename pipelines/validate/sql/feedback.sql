-- Feedback for schools: every quarantined row (ingest and validation), every warning, and every
-- file, sheet or archive member that was rejected (error) or skipped (warning) at ingest.
-- Every problem of a file goes to the school that DELIVERED the file, never to a school a row names
-- (a typo, a pupil's former school), so one school's free text and row details never reach another
-- school. A file's deliverer (validation.file_deliverers, file_deliverers.sql): the one known school
-- id that appears as a number in its path, else the one school its rows name, else the one school of
-- the other files in its folder. A file of unknown deliverer (e.g. a municipality's file with several
-- schools' rows in a folder naming none) keeps the old rule: each row's problems go to the school the
-- row names.
-- Rows naming another school than the file's deliverer get one line per file × named school
-- (`school_id_other_school`, on the first such row); the checks of those rows against the named
-- school's roster and plans (warnings) are left out of the deliverer's feedback: they would tell one
-- school about another school's records. The named school is told nothing.
-- A flag about a school as a whole (line 0, e.g. `monthly_volume_drop`) stays with its school.
-- Personal columns, and anything shaped like a personal code, are shown as '***'.
with not_loaded as (
    select
        file_path as source_file,
        kind,
        school_id,
        status,
        reason
    from meta.files
    where status in ('rejected', 'skipped')
),

file_problems as (
    select
        source_file, 0 as source_line, kind, school_id, null as column_name, null as value,
        case status when 'rejected' then 'error' else 'warning' end as severity,
        'file_' || status as reason_code,
        coalesce(nullif(regexp_extract(reason, '^(.*?) / (.*)$', 1), ''), reason) as message_lv,
        coalesce(nullif(regexp_extract(reason, '^(.*?) / (.*)$', 2), ''), reason) as message_en,
        'file' as origin
    from not_loaded
),

issues as (
    select
        source_file, source_line, kind, school_id, column_name, value,
        'error' as severity, reason_code, message_lv, message_en, 'row' as origin
    from quarantine.rows
    union all
    select
        source_file, source_line, kind, school_id, column_name, value,
        severity, reason_code, message_lv, message_en,
        case when source_line = 0 then 'school' else 'row' end as origin
    from validation.flags
    union all
    select * from file_problems
),

-- per file × school named in its rows: how many rows, and the first (file_school_rows.sql)
school_rows as (
    select source_file, school_id, n_rows, first_line, registry from validate_file_school_rows
),

-- who delivered each file: path, else rows, else folder (file_deliverers.sql, kept by this stage in
-- validation.file_deliverers, which the early-warning lists read too)
delivered_by as (
    select source_file, school_id from validation.file_deliverers
),

other_school as (
    select
        r.source_file, r.first_line as source_line, r.school_id as named_school, d.school_id as deliverer,
        r.n_rows
    from school_rows r
    join delivered_by d using (source_file)
    where d.school_id is not null and r.school_id <> d.school_id and r.school_id <> '***' and not r.registry
),

other_school_lines as (
    select
        deliverer as school_id, source_file, source_line, 'school_id' as column_name,
        named_school || ' (' || n_rows || ' rindas / rows)' as value,
        'warning' as severity, 'school_id_other_school' as reason_code,
        'Rindā ir citas skolas iestādes kods (' || named_school || '), nevis šīs skolas (' || deliverer
        || '): rinda tiek uzskaitīta tai skolai. Izlabojiet iestādes kodu; ja skolēns mācās citā skolā, '
        || 'rindu sūta tā skola.' as message_lv,
        'The row names another school''s id (' || named_school || '), not this school''s (' || deliverer
        || '): it is counted for that school. Correct the school id; if the pupil attends the other school, '
        || 'that school sends the row.' as message_en
    from other_school
),

routed as (
    select
        case
            when i.origin = 'school' then coalesce(i.school_id, d.school_id)
            else coalesce(d.school_id, i.school_id)  -- deliverer unknown: the school the row names
        end as school_id,
        i.source_file, i.source_line, i.column_name, i.value, i.severity, i.reason_code,
        i.message_lv, i.message_en
    from issues i
    left join delivered_by d using (source_file)
    where not (
        -- a row naming another school: its checks against that school's roster and plans are no
        -- business of the deliverer
        i.origin = 'row' and i.severity = 'warning'
        and d.school_id is not null and i.school_id is not null and i.school_id <> d.school_id
        and i.reason_code in ('pupil_not_on_roster', 'consultation_outside_plan', 'duplicate_consultation_same_day')
    )
    union all
    select
        school_id, source_file, source_line, column_name, value, severity, reason_code, message_lv, message_en
    from other_school_lines
),

final as (
    select
        school_id,
        source_file as file,
        nullif(source_line, 0) as line,
        column_name as "column",
        case
            when list_contains($masked_columns, column_name) then '***'
            when regexp_matches(coalesce(value, ''), $code_shape) then '***'  -- personal_code.code_shape('re2')
            else value
        end as value,
        severity,
        reason_code,
        message_lv,
        message_en
    from routed
)

select * from final
order by school_id nulls last, file, line nulls first, severity, reason_code, "column", value
