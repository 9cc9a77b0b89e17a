-- core.grades: one row per mark. Cumulative re-deliveries repeat the same row_key and are
-- kept once; two identical marks on one day in one file have different keys and stay two.
-- {scope}: `true` to rebuild the table, else the row_keys to rebuild (see transform/__init__.py).
with staged as not materialized (
    select * from staging.grades s
    where {scope}
      and not exists (
          select 1 from quarantine.rows q
          where q.stage = 'validate' and q.kind = 'grades'
            and q.source_file = s.source_file and q.source_line = s.source_line
      )
),

-- Only keys that occur more than once need the window (tens of millions of rows otherwise
-- sorted for nothing). A 64-bit hash finds them; a collision only sends a few more rows through
-- the window, which compares the keys themselves.
repeated as (
    select hash(row_key) as key_hash from staged group by key_hash having count(*) > 1
),

deduplicated as (
    select * from staged where hash(row_key) not in (select key_hash from repeated)
    union all
    select * exclude (pick) from (
        select *, row_number() over (partition by row_key order by source_file, source_line) as pick
        from staged
        where hash(row_key) in (select key_hash from repeated)
    )
    where pick = 1
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
