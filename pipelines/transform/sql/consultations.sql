-- core.consultations: one row per consultation. Cumulative re-deliveries repeat the same
-- row_key and are kept once (the earliest file/line keeps the lineage).
with deduplicated as (
    -- validated_rows.sql for this table: validated rows, each row_key once
    {validated_rows}
),

schools as (
    select school_id, municipality from core.schools
),

final as (
    select d.source_file, d.source_line, d.row_key,
           d.date, d.school_year, d.semester,
           d.pupil_id, d.school_id, s.municipality, d.staff_id, d.staff_role, d.staff_role_raw,
           d.subject, d.subject_raw,
           d.minutes, d.mode, d.mode_raw, d.group_size, d.project_code
    from deduplicated d
    left join schools s using (school_id)
)

select * from final
