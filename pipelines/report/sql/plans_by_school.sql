-- New plans (distinct pupils whose plan starts) per municipality × school × school year, with 'ALL'
-- margins along all three (a school's row under 'ALL' municipalities repeats it: the overview shows
-- those). Protected as one table (queries.protected_plans) before a report picks its rows.
-- `sole_school_id`: the one school whose plans make up the row (null where several do): it wrote them, so
-- it knows the row even where withheld (the respondent rule, pipelines/disclosure.py); never shown.
with schools as (
    select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
    from core.schools group by 1
),

plans as (
    select coalesce(s.school_name, p.school_id) as school_name, s.municipality, p.school_year, p.pupil_id,
           p.school_id
    from core.plans p left join schools s using (school_id)
)

select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'NONE') end as municipality,
       case when grouping(school_name) = 1 then 'ALL' else coalesce(school_name, 'NONE') end as school_name,
       case when grouping(school_year) = 1 then 'ALL' else coalesce(school_year, 'NONE') end as school_year,
       count(distinct pupil_id) as plans,
       case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
from plans
group by cube (municipality, school_name, school_year)
order by all
