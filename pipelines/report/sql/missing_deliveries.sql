-- Schools with a teaching month without consultations or grades ({missing}: pipelines/deliveries.sql,
-- the definition `atbalsts status` uses too), with their last month delivered.
with schools as (
    select school_id, any_value(school_name) as school_name, any_value(municipality) as municipality
    from core.schools group by school_id
),

missing as ({missing}),

delivered as (
    select school_id, max(month) as last_month from validation.quality
    where coalesce(has_consultations, false) or coalesce(has_grades, false)
    group by all
),

final as (
    select s.school_name, s.municipality,
           count(*) as months_missing,
           string_agg(m.month, ', ' order by m.month) as missing_months,
           any_value(d.last_month) as last_month
    from missing m join schools s using (school_id) left join delivered d using (school_id)
    where $municipality is null or s.municipality = $municipality
    group by s.school_id, s.school_name, s.municipality
)

select * from final order by months_missing desc, school_name
