-- other_subjects_window: grain pupil × subject × school year × semester (one row per window asked for
-- that has such marks). The negative-control outcome (placebo C, docs/method.md "Design diagnostics"):
-- the mean of the pupil's marks in the same semester, dated on/after the row's window start, in the
-- subjects where the pupil has no support episode at all (never the row's own subject). Support in one
-- subject should not move those marks much; a pupil-level hidden factor (motivation, a family change)
-- or a school-wide shift would.
with windows as (
    select pupil_id, subject, school_year, semester, window_start from outcome_windows
),

unsupported as (
    select m.pupil_id, m.subject, m.school_year, m.semester, m.date, m.grade_score
    from scored_marks m
    anti join supported_subjects s on s.pupil_id = m.pupil_id and s.subject = m.subject
),

final as (
    select w.pupil_id, w.subject, w.school_year, w.semester,
           count(*)::bigint as n_other_subject_marks,
           avg(u.grade_score)::double as other_subjects
    from windows w
    join unsupported u
      on u.pupil_id = w.pupil_id and u.school_year = w.school_year and u.semester = w.semester
     and u.subject <> w.subject and u.date >= w.window_start
    group by all
)

select * from final
