-- outcome_window: grain pupil × subject × school year × semester (one row per window asked for).
-- Outcome: mean of the marks in that semester dated on/after window_start (the first consultation
-- for a supported pupil; the median start of the supported pupils in the stratum for a comparison).
-- Placebo A: mean of the same semester's marks dated before window_start, which support cannot
-- have changed (docs/method.md, "Design diagnostics").
-- n_nv_outcome_marks: the window's `nv` (no grade) marks, for the check on outcomes missing not at
-- random (attrition.py): they join the scored marks with a null score, so they count nowhere else.
with windows as (
    select pupil_id, subject, school_year, semester, window_start from outcome_windows
),

marks as (
    select date, school_year, semester, pupil_id, subject, grade_score, false as is_nv from scored_marks
    union all
    select date, school_year, semester, pupil_id, subject, null as grade_score, true as is_nv
    from core.grades
    where grade_kind = 'no_grade'
      and subject is not null
      and date is not null and school_year is not null and semester is not null
      and coalesce(assessment_type, 'unknown') not in ('term', 'year')
),

final as (
    select w.pupil_id, w.subject, w.school_year, w.semester,
           count(*) filter (where m.date >= w.window_start and not m.is_nv)::bigint as n_outcome_marks,
           avg(m.grade_score) filter (where m.date >= w.window_start)::double as outcome,
           count(*) filter (where m.date < w.window_start and not m.is_nv)::bigint as n_pre_window_marks,
           avg(m.grade_score) filter (where m.date < w.window_start)::double as pre_window,
           count(*) filter (where m.date >= w.window_start and m.is_nv)::bigint as n_nv_outcome_marks
    from windows w
    join marks m
      on m.pupil_id = w.pupil_id and m.subject = w.subject
     and m.school_year = w.school_year and m.semester = w.semester
    group by all
)

select * from final
