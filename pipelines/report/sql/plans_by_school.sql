-- New plans (distinct pupils whose plan starts) per school and school year, with 'ALL' margins.
with schools as (
    select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
    from core.schools group by 1
),

plans as (
    select coalesce(s.school_name, p.school_id) as school_name, s.municipality, p.school_year, p.pupil_id
    from core.plans p left join schools s using (school_id)
)

select case when grouping(school_name) = 1 then 'ALL' else coalesce(school_name, 'NONE') end as school_name,
       case when grouping(school_year) = 1 then 'ALL' else coalesce(school_year, 'NONE') end as school_year,
       count(distinct pupil_id) as plans
from plans
where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
group by cube (school_name, school_year)
order by all
