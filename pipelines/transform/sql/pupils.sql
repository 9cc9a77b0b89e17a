-- core.pupils: one row per pupil × school × school year (the roster).
-- A later export may add a leaving date to an earlier row; the row that says the pupil
-- left wins, then the last file in path order, so the choice never depends on load order.
with staged as (
    select * from staging.pupils s
    where not exists (
        select 1 from quarantine.rows q
        where q.stage = 'validate' and q.kind = 'pupils'
          and q.source_file = s.source_file and q.source_line = s.source_line
    )
),

ranked as (
    select *,
        row_number() over (
            partition by pupil_id, school_id, school_year
            order by (left_on is null), source_file desc, source_line
        ) as pick
    from staged
),

final as (
    select source_file, source_line, row_key,
           pupil_id, school_id, school_year,
           class_raw, grade_level, class_letter, course_year, gender, left_on, leaving_reason
    from ranked
    where pick = 1
)

select * from final
