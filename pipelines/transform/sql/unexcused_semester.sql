-- core.unexcused_semester: one row per pupil × school × school year × semester with attendance.
-- `above_threshold`: more than $threshold lessons missed without a valid reason in the semester, the
-- point at which Cabinet Regulation No. 89 (2011), point 5.3, has the school inform the municipality
-- (docs/method.md, "Attendance"). Apportioned period summaries can give fractional counts.
with monthly as (
    select * from core.attendance_monthly
),

final as (
    select
        pupil_id, school_id, school_year, semester,
        sum(unexcused) as unexcused,
        sum(total_missed) as total_missed,
        $threshold::integer as threshold,
        sum(unexcused) > $threshold as above_threshold
    from monthly
    group by all
)

select * from final
order by school_id, pupil_id, school_year, semester
