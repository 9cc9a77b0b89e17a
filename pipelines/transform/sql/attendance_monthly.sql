-- core.attendance_monthly: one row per pupil × school × calendar month in which the school sent
-- attendance (either shape, for any pupil). Lesson records count in their day's month. A period
-- summary spanning months is apportioned by weekdays (Monday–Friday: the warehouse knows no school
-- holidays): a month gets the share of the period's weekdays that fall in it (docs/method.md,
-- "Attendance"). Where one pupil has both shapes in a month, the lesson records are used. A pupil on
-- the school's roster with no absence in such a month gets a row of zeros; a month after the pupil
-- left gets none. Counts are DOUBLE because apportioned shares are fractions.
with attendance as (
    select * from core.attendance
),

lessons as (
    select
        pupil_id, school_id, date_trunc('month', period_start)::date as month,
        sum(excused) as excused, sum(unexcused) as unexcused, sum(illness) as illness,
        sum(unknown_reason) as unknown_reason, cast(null as double) as lessons_held
    from attendance
    where shape = 'lessons'
    group by all
),

-- each summary's weekdays (and days, for a period of weekend days only), month by month
summary_days as (
    select
        a.row_key, date_trunc('month', d)::date as month,
        count(*) filter (where dayofweek(d) not in (0, 6)) as weekdays, count(*) as days
    from attendance a, unnest(generate_series(a.period_start::timestamp, a.period_end::timestamp, interval 1 day)) t(d)
    where a.shape = 'periods'
    group by all
),

summary_shares as (
    select
        row_key, month,
        case when sum(weekdays) over (partition by row_key) > 0
            then weekdays / sum(weekdays) over (partition by row_key)
            else days / sum(days) over (partition by row_key) end as share
    from summary_days
),

summaries as (
    select
        a.pupil_id, a.school_id, s.month,
        sum(a.excused * s.share) as excused, sum(a.unexcused * s.share) as unexcused,
        sum(a.illness * s.share) as illness, sum(coalesce(a.unknown_reason, 0) * s.share) as unknown_reason,
        sum(a.lessons_held * s.share) as lessons_held
    from attendance a
    join summary_shares s using (row_key)
    group by all
),

counted as (
    select * from lessons
    union all
    select * from summaries s
    where not exists (
        select 1 from lessons l where l.pupil_id = s.pupil_id and l.school_id = s.school_id and l.month = s.month
    )
),

-- months in which a school sent attendance for anyone: its pupils without a row missed nothing
delivered as (
    select distinct school_id, month from counted
),

enrolled as (
    select d.school_id, d.month, p.pupil_id
    from delivered d
    join core.pupils p
        on p.school_id = d.school_id
        and p.school_year = school_year_of(d.month)  -- contract.sql
        and (p.left_on is null or p.left_on >= d.month)
),

keys as (
    select pupil_id, school_id, month from counted
    union
    select pupil_id, school_id, month from enrolled
),

final as (
    select
        -- ids
        k.pupil_id,
        k.school_id,
        -- when
        k.month,
        school_year_of(k.month) as school_year,  -- contract.sql
        semester_of(k.month) as semester,
        -- lessons missed
        coalesce(c.excused, 0)::double as excused,
        coalesce(c.unexcused, 0)::double as unexcused,
        coalesce(c.illness, 0)::double as illness,
        coalesce(c.unknown_reason, 0)::double as unknown_reason,
        (coalesce(c.excused, 0) + coalesce(c.unexcused, 0) + coalesce(c.illness, 0)
         + coalesce(c.unknown_reason, 0))::double as total_missed,
        c.lessons_held::double as lessons_held
    from keys k
    left join (
        select pupil_id, school_id, month, sum(excused) as excused, sum(unexcused) as unexcused,
               sum(illness) as illness, sum(unknown_reason) as unknown_reason, sum(lessons_held) as lessons_held
        from counted group by all
    ) c using (pupil_id, school_id, month)
)

select * from final
order by school_id, pupil_id, month
