-- One month of marks (month_index from nat_params). Grain: one row per mark. About 30 marks a
-- pupil a month on school days of the month, in the subjects of the pupil's grade level: levels
-- S/T/A/P in grades 1–3, the 10-point scale from grade 4. A supported pupil's marks in the plan
-- subject rise by `effect` from two weeks after the plan start.
with params as (
    select * from nat_params
),

days as (
    select d.* from nat_day d, params p where d.month_index = p.month_index
),

month_size as (
    select max(n_days) as n_days from days
),

marks as (
    select
        u.*,
        p.seed,
        p.month_index,
        p.effect,
        unnest(range(26 + cast(hash(p.seed, u.i, p.month_index, 11) % 9 as integer))) as k
    from nat_pupil u, params p
),

placed as (
    select
        m.*,
        cast(floor(nat_u(seed, i, month_index * 1000 + k, 12) * s.n_days) as integer) as day_idx,
        if(level <= 3, ['mathematics', 'latvian', 'english', 'science'],
           if(level <= 6, ['mathematics', 'latvian', 'literature', 'english', 'science'],
              ['mathematics', 'latvian', 'literature', 'english', 'biology', 'geography', 'history', 'physics',
               'chemistry'])) as subjects,
        nat_u(seed, i, month_index * 1000 + k, 13) as subject_u,
        nat_n(seed, i, month_index * 1000 + k, 14) as noise,
        nat_u(seed, i, month_index * 1000 + k, 15) < 0.7 as formative
    from marks m, month_size s
),

dated as (
    select p.*, d.date, list_extract(subjects, 1 + cast(floor(subject_u * len(subjects)) as integer)) as subject
    from placed p
    join days d on d.day_idx = p.day_idx
    where p.left_on is null or d.date < p.left_on
),

final as (
    select
        -- ids
        school_id,
        school_idx,
        dialect,
        pupil_code,
        -- what and when
        date,
        subject,
        formative,
        -- the mark
        case
            when level <= 3 then list_extract(['S', 'T', 'A', 'P'],
                1 + least(3, greatest(0, cast(floor((ability - 3.0) / 1.5 + noise * 0.5) as integer))))
            else cast(least(10, greatest(1, round(ability + noise
                + if(plan_subject = subject and date >= plan_start + 14, effect, 0.0)))) as integer)::varchar
        end as grade
    from dated
)

select * from final
