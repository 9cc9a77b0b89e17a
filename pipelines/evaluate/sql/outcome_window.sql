-- outcome_window: grain pupil × subject × school year × semester (one row per window asked for).
-- Mean of the marks in that semester dated on/after window_start (the first consultation for a
-- supported pupil; the median start of the supported pupils in the stratum for a comparison).
with windows as (
    select pupil_id, subject, school_year, semester, window_start from outcome_windows
),

marks as (
    select * from scored_marks
),

final as (
    select w.pupil_id, w.subject, w.school_year, w.semester,
           count(*)::bigint as n_outcome_marks,
           avg(m.grade_score)::double as outcome
    from windows w
    join marks m
      on m.pupil_id = w.pupil_id and m.subject = w.subject
     and m.school_year = w.school_year and m.semester = w.semester
     and m.date >= w.window_start
    group by all
)

select * from final
