-- core.marks_by_school: grain pupil × subject × school year × semester × school (with its municipality).
-- The 10-point marks every evaluation baseline is built from (the filter of evaluate's scored_marks.sql),
-- counted and summed, so evaluate's baseline panel reads a few rows per pupil and subject instead of
-- every mark. Scores are integers, so the sums are exact in any order.
-- {scope}: which marks of core.grades g are aggregated: all of them, or the groups transform rebuilt.
with grades as (
    select g.pupil_id, g.subject, g.school_year, g.semester, g.school_id, g.municipality, g.grade_score
    from core.grades g
    where {scope}
      and g.grade_kind = 'score'
      and g.grade_score between 1 and 10
      and g.subject is not null
      and g.date is not null and g.school_year is not null and g.semester is not null
      and coalesce(g.assessment_type, 'unknown') not in ('term', 'year')
),

final as (
    select pupil_id, subject, school_year, semester, school_id, municipality,
           count(*)::bigint as n_marks,
           sum(grade_score)::bigint as sum_marks
    from grades
    group by all
)

select * from final
