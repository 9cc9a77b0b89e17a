-- Per municipality and 'ALL': activities held, pupils listed in them and participant-hours (head
-- counts included); pupils with financial support, the EUR paid and the two largest pupils' payments
-- (for the p% dominance rule), in one school year ($school_year, or all). The placeholders activities,
-- participants and financial are the core tables, or empty relations in a warehouse from before them.
-- `activity_school`, `financial_school`: the one school whose participant lists / payments make up the
-- row's pupils (null where several do): it delivered them, so it knows the count even where withheld
-- (the respondent rule, pipelines/disclosure.py); never shown.
with held as (
    select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'unknown') end as municipality,
           count(*) as activities,
           coalesce(sum(n_participants * minutes), 0) / 60 as activity_hours
    from {activities} where ($school_year is null or school_year = $school_year)
    group by grouping sets ((municipality), ())
),

listed as (
    select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'unknown') end as municipality,
           count(distinct pupil_id) as activity_pupils,
           case when count(distinct school_id) = 1 then min(school_id) end as activity_school
    from {participants} where ($school_year is null or school_year = $school_year)
    group by grouping sets ((municipality), ())
),

per_pupil as (
    -- a payment at a school the registry does not know has no municipality: 'unknown', its own cell
    -- (not folded into 'ALL', which would count it twice there)
    select case when grouping(municipality) = 1 then 'ALL' else coalesce(municipality, 'unknown') end as municipality,
           pupil_id, sum(amount_eur) as eur, list(distinct school_id) as schools
    from {financial} where ($school_year is null or school_year = $school_year)
    group by grouping sets ((municipality, pupil_id), (pupil_id))
),

paid as (
    select municipality,
           count(*) as financial_pupils, coalesce(sum(eur), 0) as financial_eur,
           coalesce(max(eur), 0) as financial_top1_eur,
           coalesce(list_sort(list(eur), 'DESC')[2], 0) as financial_top2_eur,
           case when len(list_distinct(flatten(list(schools)))) = 1 then flatten(list(schools))[1] end
               as financial_school
    from per_pupil group by 1
),

keys as (
    select municipality from held union select municipality from listed union select municipality from paid
    union select 'ALL'
)

select municipality,
       coalesce(h.activities, 0) as activities,
       coalesce(l.activity_pupils, 0) as activity_pupils,
       coalesce(h.activity_hours, 0) as activity_hours,
       coalesce(p.financial_pupils, 0) as financial_pupils,
       coalesce(p.financial_eur, 0) as financial_eur,
       coalesce(p.financial_top1_eur, 0) as financial_top1_eur,
       coalesce(p.financial_top2_eur, 0) as financial_top2_eur,
       l.activity_school,
       p.financial_school
from keys
left join held h using (municipality)
left join listed l using (municipality)
left join paid p using (municipality)
order by municipality = 'ALL', municipality
