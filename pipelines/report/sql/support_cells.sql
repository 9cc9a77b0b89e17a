-- The report's support tables, from marts.support_cube ({support_cube}: the mart, or an empty relation
-- before evaluate has built it): all projects together, one municipality ($municipality, or all), one
-- breakdown ($breakdown: subject, staff_role or mode). With a school year ($school_year) only its rows,
-- and its rows again as the 'ALL' margin: the report's totals are then that year's. A key not given
-- reads 'NONE', as the report's labels expect.
with cube as (
    select * from {support_cube}
    where breakdown = $breakdown and project_code = 'ALL' and municipality = coalesce($municipality, 'ALL')
),

years as (
    select * from cube where $school_year is null
    union all
    select * from cube where school_year = $school_year
    union all
    select * replace ('ALL' as school_year) from cube where school_year = $school_year
),

final as (
    select
        case when level in ('none', 'unknown') then 'NONE' else level end as level,
        case when school_year = 'unknown' then 'NONE' else school_year end as school_year,
        case when semester = 'unknown' then 'NONE' else semester end as semester,
        n_pupils_supported as pupils,
        n_consultations as consultations,
        consultation_hours as hours,
        hours_remote,
        n_staff as staff,
        n_schools as schools
    from years
)

select * from final order by level, school_year, semester
