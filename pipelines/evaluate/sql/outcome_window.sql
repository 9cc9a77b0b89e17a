-- outcome_window: grain pupil × subject × school year × semester (one row per window asked for).
-- Outcome: mean of the marks in that semester dated on/after window_start (the first consultation
-- for a supported pupil; the median start of the supported pupils in the stratum for a comparison).
-- Placebo A: mean of the same semester's marks dated before window_start, which support cannot
-- have changed (docs/method.md, "Design diagnostics").
with windows as (
    select pupil_id, subject, school_year, semester, window_start from outcome_windows
),

marks as (
    select * from scored_marks
),

final as (
    select w.pupil_id, w.subject, w.school_year, w.semester,
           count(*) filter (where m.date >= w.window_start)::bigint as n_outcome_marks,
           avg(m.grade_score) filter (where m.date >= w.window_start)::double as outcome,
           count(*) filter (where m.date < w.window_start)::bigint as n_pre_window_marks,
           avg(m.grade_score) filter (where m.date < w.window_start)::double as pre_window
    from windows w
    join marks m
      on m.pupil_id = w.pupil_id and m.subject = w.subject
     and m.school_year = w.school_year and m.semester = w.semester
    group by all
)

select * from final
