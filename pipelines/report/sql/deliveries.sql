-- Rows received per school and month (long form), for one municipality and school year (or all).
with schools as (
    select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
    from core.schools group by school_id
),

quality as (
    select q.*, s.school_name, s.municipality, school_year_of_month(q.month) as school_year
    from validation.quality q left join schools s using (school_id)
)

select coalesce(school_name, school_id) as school_name, municipality, month,
       sum(rows_received) as rows_received, sum(rows_loaded) as rows_loaded,
       sum(rows_quarantined) as rows_quarantined, sum(warnings) as warnings
from quality
where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
group by all
order by school_name, month
