-- marks_by_semester: grain pupil × subject × school year × semester (the baseline panel).
-- The school is the one where the pupil got most of those marks (ties: lowest school id).
with marks as (
    select * from scored_marks
),

by_school as (
    select pupil_id, subject, school_year, semester, school_id, municipality,
           count(*) as n_marks, sum(grade_score) as sum_marks
    from marks
    group by all
),

final as (
    select pupil_id, subject, school_year, semester,
           first(school_id order by n_marks desc, school_id) as school_id,
           first(municipality order by n_marks desc, school_id) as municipality,
           sum(n_marks)::bigint as n_marks,
           sum(sum_marks)::double as sum_marks
    from by_school
    group by all
)

select * from final
