-- Pupils with a support plan, in one municipality and school year (or all).
with schools as (select school_id, any_value(municipality) as municipality from core.schools group by 1),

plans as (
    select p.* from core.plans p join schools s using (school_id)
    where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
)

select count(distinct pupil_id) as plans from plans
