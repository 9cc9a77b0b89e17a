-- One month of support consultations (month_index from nat_params) for pupils with a plan that
-- has started. Grain: one row per consultation: three to five a month, on different days, from the plan start.
with params as (
    select * from nat_params
),

days as (
    select d.* from nat_day d, params p where d.month_index = p.month_index
),

month_size as (
    select max(n_days) as n_days from days
),

supported as (
    select u.*, p.seed, p.month_index
    from nat_pupil u, params p
    where u.plan_start is not null and u.plan_month <= p.month_index
),

sessions as (
    select s.*, unnest(range(3 + cast(hash(s.seed, s.i, s.month_index, 21) % 3 as integer))) as k
    from supported s
),

placed as (
    select
        s.*,
        -- distinct days: a random start, then every third school day (a month has at least 15)
        cast((floor(nat_u(seed, i, month_index, 22) * m.n_days) + 3 * k) % m.n_days as integer) as day_idx,
        cast(floor(nat_u(seed, school_idx, i, 23) * 6) as integer) as staff_k,
        nat_u(seed, i, month_index * 100 + k, 24) as u
    from sessions s, month_size m
),

final as (
    select
        -- ids
        p.school_id,
        p.school_idx,
        p.dialect,
        p.pupil_code,
        -- when and who
        d.date,
        list_extract(l.male, 1 + (p.school_idx * 7 + p.staff_k) % len(l.male)) || ' '
            || list_extract(l.sur_m, 1 + (p.school_idx * 13 + p.staff_k * 5) % len(l.sur_m)) as staff_name,
        if(p.staff_k < 4, 'teacher', list_extract(['special_educator', 'psychologist'], p.staff_k - 3)) as staff_role,
        -- what
        p.plan_subject as subject,
        list_extract([40, 40, 45, 30, 60], 1 + cast(floor(p.u * 5) as integer)) as minutes,
        if(p.u < 0.85, 'in_person', 'remote') as mode,
        if(p.u < 0.7, 1, 2 + cast(floor(p.u * 10) as integer) % 3) as group_size,
        p.project_code
    from placed p
    join days d on d.day_idx = p.day_idx
    cross join nat_lists l
    where d.date >= p.plan_start and (p.left_on is null or d.date < p.left_on)
)

select * from final
