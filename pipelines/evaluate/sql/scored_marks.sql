-- scored_marks: the marks every outcome and baseline is built from (grain: one row per mark).
-- Only 10-point scores (grade_kind 'score', 1–10). Never nv, pass/fail (i/ni), learning levels
-- (S/T/A/P) or percentages; and never term/year marks, which summarise marks already counted.
-- Marks whose assessment type is not stated are kept (a school that does not export the
-- type would otherwise drop out entirely).
with grades as (
    select date, school_year, semester, pupil_id, school_id, municipality, subject,
           grade_kind, grade_score, assessment_type
    from core.grades
),

final as (
    select date, school_year, semester, pupil_id, school_id, municipality, subject, grade_score
    from grades
    where grade_kind = 'score'
      and grade_score between 1 and 10
      and subject is not null
      and date is not null and school_year is not null and semester is not null
      and coalesce(assessment_type, 'unknown') not in ('term', 'year')
)

select * from final
