-- core.grades: one row per mark. Cumulative re-deliveries repeat the same row_key and are
-- kept once; two identical marks on one day in one file have different keys and stay two.
-- {scope}: `true` to rebuild the table, else the row_keys to rebuild (see transform/__init__.py).
with staged as (
    select * from staging.grades s
    where {scope}
      and not exists (
          select 1 from quarantine.rows q
          where q.stage = 'validate' and q.kind = 'grades'
            and q.source_file = s.source_file and q.source_line = s.source_line
      )
),

deduplicated as (
    select *, row_number() over (partition by row_key order by source_file, source_line) as pick
    from staged
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
    where d.pick = 1
)

select * from final
