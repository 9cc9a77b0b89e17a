-- marks_by_semester: grain pupil × subject × school year × semester (the baseline panel).
-- The school is the one where the pupil got most of those marks (ties: lowest school id).
-- {by_school}: the scored marks counted per pupil × subject × school year × semester × school:
-- core.marks_by_school, kept by transform, or counted here from scored_marks when a warehouse has none.
with by_school as (
    {by_school}
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
