-- early_warning_attendance: grain pupil × snapshot, from core.attendance_monthly (read only when that
-- table exists). Months counted: those starting on/after the school year's start and on/before as_of
-- (the month of as_of counts, partly elapsed). Rates are lessons missed per month with data, so a
-- snapshot in October and one in May are on the same scale; the trend is the mean of the last two
-- months minus the mean of the months before them (null with fewer than three months).
with snapshots as (
    select school_year, as_of, year_start from ew_snapshots
),

by_month as (
    -- a pupil's months at two schools (a move) add up
    select s.as_of, a.pupil_id, a.month,
           sum(coalesce(a.unexcused, 0)) as unexcused,
           sum(coalesce(a.total_missed, 0)) as total_missed
    from core.attendance_monthly a
    join snapshots s on a.month >= date_trunc('month', s.year_start) and a.month <= s.as_of
    group by all
),

monthly as (
    select *, row_number() over (partition by as_of, pupil_id order by month desc) as back
    from by_month
),

final as (
    select as_of, pupil_id,
           count(*) as n_attendance_months,
           avg(unexcused) as unexcused_per_month,
           avg(total_missed) as absences_per_month,
           case when count(*) >= 3
                then avg(total_missed) filter (where back <= 2) - avg(total_missed) filter (where back > 2)
           end as absence_trend
    from monthly
    group by all
)

select * from final
