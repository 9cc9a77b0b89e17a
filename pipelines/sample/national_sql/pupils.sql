-- The pupils of one school year with everything later files need: school, class, ability,
-- leaving, and the support plan (if any). Grain: one row per pupil enrolled this year.
-- Inputs: nat_params (seed, year0, year_offset, plan_rate, n_schools), nat_code (one valid
-- personal code per pupil), nat_school, nat_lists (name lists), nat_day.
with params as (
    select * from nat_params
),

codes as (
    select * from nat_code
),

enrolled as (
    select
        c.i,
        c.pupil_code,
        c.school_idx,
        c.base_level + p.year_offset as level,
        p.seed,
        p.year0,
        p.plan_rate,
        3.0 + 6.0 * nat_u(p.seed, c.i, 0, 1) as ability
    from codes c, params p
    where c.base_level + p.year_offset between 1 and 12
),

described as (
    select
        e.*,
        s.school_id,
        s.dialect,
        chr(97 + cast(floor(nat_u(seed, i, 0, 2) * 3) as integer)) as letter,
        case when nat_u(seed, i, 0, 3) < 0.5 then 'M' else 'F' end as gender,
        nat_u(seed, i, 0, 4) < 0.02 as leaves,
        -- low ability makes a plan more likely; on average plan_rate of all pupils get one
        nat_u(seed, i, year0, 5) < plan_rate * 2.0 * (1.0 - (ability - 3.0) / 6.0) as planned,
        cast(floor(nat_u(seed, i, year0, 6) * 7) as integer) as plan_month,
        nat_u(seed, i, year0, 7) as plan_day_u,
        cast(floor(nat_u(seed, i, year0, 8) * 7) as integer) as leave_month,
        nat_u(seed, i, year0, 9) as leave_day_u,
        cast(floor(nat_u(seed, i, year0, 10) * 1000) as integer) as pick
    from enrolled e
    join nat_school s on s.school_idx = e.school_idx
),

plan_days as (
    select d.*, p.i
    from described p
    join nat_day d on d.month_index = p.plan_month and d.day_idx = cast(floor(p.plan_day_u * d.n_days) as integer)
    where p.planned
),

leave_days as (
    select d.*, p.i
    from described p
    join nat_day d
        on d.month_index = p.leave_month + 2 and d.day_idx = cast(floor(p.leave_day_u * d.n_days) as integer)
    where p.leaves
),

final as (
    select
        -- ids
        p.i,
        p.pupil_code,
        p.school_idx,
        p.school_id,
        p.dialect,
        -- who
        p.level,
        p.level || '.' || p.letter as class,
        p.gender,
        list_extract(if(p.gender = 'M', l.male, l.female), 1 + p.pick % len(l.male)) as first_name,
        list_extract(if(p.gender = 'M', l.sur_m, l.sur_f), 1 + (p.pick * 7 + p.i) % len(l.sur_m)) as last_name,
        p.ability,
        -- leaving
        ld.date as left_on,
        if(ld.date is null, null, list_extract(l.reasons, 1 + p.pick % len(l.reasons))) as leaving_reason,
        -- support plan
        pd.date as plan_start,
        pd.month_index as plan_month,
        if(pd.date is null, null,
           if(p.level <= 3, list_extract(['mathematics', 'latvian'], 1 + p.pick % 2),
              list_extract(['mathematics', 'latvian', 'english'], 1 + p.pick % 3))) as plan_subject,
        if(pd.date is null, null, list_extract(l.projects, 1 + p.pick % len(l.projects))) as project_code,
        if(pd.date is null, null, list_extract(l.risks, 1 + p.pick % len(l.risks))) as risk_factors
    from described p
    cross join nat_lists l
    left join plan_days pd on pd.i = p.i
    left join leave_days ld on ld.i = p.i
)

select * from final
