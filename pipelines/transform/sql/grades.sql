-- core.grades: one row per mark. Cumulative re-deliveries repeat the same row_key and are
-- kept once; two identical marks on one day in one file have different keys and stay two.
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
           d.pupil_id, d.school_id, s.municipality,
           d.subject, d.subject_raw,
           d.grade_raw, d.grade_kind, d.grade_score, d.grade_level_code, d.passed, d.grade_percent,
           d.assessment_type, d.assessment_type_raw
    from deduplicated d
    left join schools s using (school_id)
)

select * from final
