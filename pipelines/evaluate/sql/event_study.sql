-- event_study: grain group × month relative to the start of support (−6 … +6).
-- Month k covers days [30.4375·k, 30.4375·(k+1)) from the reference date: the first consultation
-- for supported pupils, the stratum's median start for their matched comparisons.
-- Comparison marks carry the matching weight of their pupil-subject.
with units as (
    select pupil_id, subject, ref_date, grp, weight from event_units
),

marks as (
    select * from scored_marks
),

relative as (
    select u.grp, u.pupil_id, u.subject, u.ref_date, u.weight, m.grade_score,
           floor(date_diff('day', u.ref_date, m.date) / 30.4375)::integer as rel_month
    from units u
    join marks m on m.pupil_id = u.pupil_id and m.subject = u.subject
    where m.date between u.ref_date - interval 183 day and u.ref_date + interval 213 day
),

final as (
    select grp as "group", rel_month,
           -- decimal sums are exact, so the mean does not depend on DuckDB's thread order
           (sum((weight * grade_score)::decimal(18, 9)) / sum(weight::decimal(18, 9)))::double as mean_grade,
           count(*)::bigint as n_marks,
           count(distinct (pupil_id, subject, ref_date))::bigint as n_pupil_subjects
    from relative
    where rel_month between -6 and 6
    group by all
)

select * from final
