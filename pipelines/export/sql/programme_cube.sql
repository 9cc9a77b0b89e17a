-- Activities and financial support on the support summary's keys: one row per project ×
-- municipality × school year × semester, with 'ALL' margins (GROUP BY CUBE). Pupils are counted
-- distinct from row-level data in every margin. activity_hours are participant-hours: listed
-- participants' minutes, plus head counts × minutes for participants who were counted, not listed.
-- financial_top1_eur / financial_top2_eur: the largest and second-largest pupil's payments in the cell
-- (for the dominance rule; dropped before anything is written).
-- {activity_participants}, {activities}, {financial_support}: core.activity_participants,
-- core.activities and core.financial_support, or empty relations where the warehouse lacks them
-- (programme.cube_sql).
-- activity_school / financial_school: the one school whose listed participants / paid pupils make up the
-- cell (null where several do), for the respondent rule (pipelines/disclosure.py protect_column); never
-- published.
with listed as (
    select project_code, municipality, school_year, semester, pupil_id, school_id,
           'activity' as source, minutes / 60.0 as hours, 0.0 as amount_eur
    from {activity_participants}
),

counted as (
    select project_code, municipality, school_year, semester, null as pupil_id, school_id,
           'activity' as source, (n_participants - n_listed) * minutes / 60.0 as hours, 0.0 as amount_eur
    from {activities}
    where n_participants > n_listed
),

paid as (
    select project_code, municipality, school_year, semester, pupil_id, school_id,
           'financial' as source, 0.0 as hours, amount_eur
    from {financial_support}
),

rows as (
    select
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        pupil_id, school_id, source, hours, amount_eur
    from (select * from listed union all select * from counted union all select * from paid)
),

cube as (
    select
        project_code, municipality, school_year, semester,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(semester) as all_semester,
        count(distinct pupil_id) filter (where source = 'activity') as n_pupils_activities,
        -- decimals: a sum of doubles depends on the order of parallel threads (re-runs must agree)
        coalesce(cast(sum(cast(hours as decimal(18, 6))) filter (where source = 'activity') as double), 0) as activity_hours,
        count(distinct pupil_id) filter (where source = 'financial') as n_pupils_financial_support,
        coalesce(cast(sum(cast(amount_eur as decimal(18, 2))) filter (where source = 'financial') as double), 0)
            as financial_support_eur,
        case when count(distinct school_id) filter (where source = 'activity') = 1
            then min(school_id) filter (where source = 'activity') end as activity_school,
        case when count(distinct school_id) filter (where source = 'financial') = 1
            then min(school_id) filter (where source = 'financial') end as financial_school
    from rows
    group by cube (project_code, municipality, school_year, semester)
),

-- each pupil's financial support in each cell (margins too): the two largest feed the dominance
-- rule (programme.dominated); they are never published
pupil_cube as (
    select
        case when grouping(project_code) = 1 then 'ALL' else project_code end as project_code,
        case when grouping(municipality) = 1 then 'ALL' else municipality end as municipality,
        case when grouping(school_year) = 1 then 'ALL' else school_year end as school_year,
        case when grouping(semester) = 1 then 'ALL' else semester end as semester,
        pupil_id,
        sum(cast(amount_eur as decimal(18, 2))) as pupil_eur
    from rows
    where source = 'financial'
    group by pupil_id, cube (project_code, municipality, school_year, semester)
),

top_two as (
    select project_code, municipality, school_year, semester,
           cast(max(pupil_eur) as double) as financial_top1_eur,
           cast(coalesce(list_sort(list(pupil_eur), 'DESC')[2], 0) as double) as financial_top2_eur
    from pupil_cube
    group by all
),

labelled as (
    select
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_semester = 1 then 'ALL' else semester end as semester,
        n_pupils_activities, activity_hours, n_pupils_financial_support, financial_support_eur,
        activity_school, financial_school
    from cube
),

final as (
    select l.*,
           coalesce(t.financial_top1_eur, 0) as financial_top1_eur,
           coalesce(t.financial_top2_eur, 0) as financial_top2_eur
    from labelled l
    left join top_two t using (project_code, municipality, school_year, semester)
)

select * from final
