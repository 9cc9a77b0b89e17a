-- Per municipality (+ 'ALL'): costs as reported, pupils supported in any way and their support hours,
-- in one school year (or all). {costs}, {participants}, {financial}: the core tables, or empty relations.
with supported as (
    select municipality, pupil_id, minutes / 60.0 as hours
    from core.consultations where $school_year is null or school_year = $school_year
    union all
    select municipality, pupil_id, minutes / 60.0
    from {participants} where $school_year is null or school_year = $school_year
    union all
    select municipality, pupil_id, 0.0
    from {financial} where $school_year is null or school_year = $school_year
),

pupils as (
    select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'unknown') end as municipality,
           count(distinct pupil_id) as pupils, sum(hours) as hours
    from supported group by grouping sets ((municipality), ())
),

spent as (
    select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'unknown') end as municipality,
           sum(amount_eur) as eur
    from {costs} where $school_year is null or school_year = $school_year
    group by grouping sets ((municipality), ())
)

select municipality, coalesce(p.pupils, 0) as pupils, coalesce(p.hours, 0) as hours, s.eur
from pupils p full join spent s using (municipality)
order by municipality = 'ALL', municipality
