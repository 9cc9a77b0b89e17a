-- Frame judged by expectations/attendance.*.json: one row per staging.attendance row (both shapes)
-- with the facts the rules compare. A fact that does not apply to the row's shape is null, which the
-- rules pass. Cumulative re-deliveries repeat a row_key: sums and overlaps count each key once.
with attendance as (
    select
        rowid as rid,
        * exclude (subject_raw, reason_raw),
        nullif(trim(subject_raw), '') as subject_raw,
        nullif(trim(reason_raw), '') as reason_raw
    from staging.attendance
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

rosters as (
    select distinct pupil_id, school_id, school_year from staging.pupils
),

-- lesson records: lessons missed per pupil and day, each row_key once
per_day as (
    select pupil_id, school_id, period_start, sum(lessons_missed) as lessons_on_day
    from (
        select distinct row_key, pupil_id, school_id, period_start, lessons_missed
        from attendance
        where shape = 'lessons'
    )
    group by all
),

-- period summaries of one pupil in one school whose dates overlap (a different row_key)
summaries as (
    select distinct row_key, pupil_id, school_id, period_start, period_end
    from attendance
    where shape = 'periods' and period_end >= period_start
),

overlapping as (
    select distinct a.row_key, a.pupil_id, a.school_id
    from summaries a
    join summaries b
        on b.pupil_id = a.pupil_id and b.school_id = a.school_id and b.row_key <> a.row_key
        and b.period_start <= a.period_end and a.period_start <= b.period_end
),

derived as (
    select
        a.*,
        -- Monday to Friday in the period: more lessons than max_lessons_per_day on each is implausible
        case when a.shape = 'periods' and a.period_end >= a.period_start then
            len(list_filter(
                generate_series(a.period_start::timestamp, a.period_end::timestamp, interval 1 day),
                lambda d: dayofweek(d) not in (0, 6)
            ))
        end as weekdays
    from attendance a
),

final as (
    select
        a.rid,
        'attendance_' || a.shape as kind,
        a.source_file, a.source_line, a.row_key, a.school_id,
        strftime(a.period_start, '%Y-%m') as month,
        a.pupil_id, a.shape, a.period_start, a.period_end, a.reason, a.reason_raw, a.subject, a.subject_raw,
        a.lessons_missed, a.excused, a.unexcused, a.illness, a.lessons_held,
        -- row-local facts
        case when a.shape = 'lessons' then a.lessons_missed end as record_missed,
        case when a.shape = 'periods' then a.period_end >= a.period_start end as period_ordered,
        -- 1 September – 31 August: shifting by 8 months puts the whole school year in one calendar year
        case when a.shape = 'periods'
            then year(a.period_end - interval 8 month) = year(a.period_start - interval 8 month) end
            as period_in_one_school_year,
        -- a day, or the start of a period, in July or August (a summary may run to 31 August)
        month(a.period_start) not in (7, 8) as in_teaching_months,
        case when a.shape = 'lessons' then dayofweek(a.period_start) in (0, 6) end as on_weekend,
        a.reason = 'unknown' and a.reason_raw is not null as reason_unrecognised,
        a.lessons_missed - a.weekdays * $max_lessons_per_day as missed_over_plausible,
        a.lessons_missed - a.lessons_held as missed_over_held,
        -- facts from other rows and tables
        d.lessons_on_day,
        case when a.shape = 'periods' then o.row_key is not null end as overlaps_other_period,
        date_diff('day', $reference_date::date, a.period_end) as days_after_reference,
        s.school_id is not null as school_known,
        r.pupil_id is not null as on_roster,
        us.source_file is not null as first_unknown_subject,
        case when us.source_file is not null
            then a.subject_raw || ' (' || us.row_count || ' rindas / rows)' end as unknown_subject_note
    from derived a
    left join schools s on s.school_id = a.school_id
    left join rosters r on r.pupil_id = a.pupil_id and r.school_id = a.school_id and r.school_year = a.school_year
    left join per_day d
        on a.shape = 'lessons' and d.pupil_id = a.pupil_id and d.school_id = a.school_id
        and d.period_start = a.period_start
    left join overlapping o on o.row_key = a.row_key and o.pupil_id = a.pupil_id and o.school_id = a.school_id
    left join validate_unknown_subjects us
        on a.shape = 'lessons' and us.kind = 'attendance_lessons'
        and us.source_file = a.source_file and us.source_line = a.source_line
)

select * from final
