-- Support cube: one row per project × municipality × school year × semester × breakdown
-- (subject or staff role, chosen by $breakdown), plus 'ALL' margins along every key
-- (GROUP BY CUBE). Every distinct count is computed from row-level data for every margin,
-- never summed from cells: a pupil can be in several cells. core.consultations already
-- holds each consultation row once, so cumulative re-deliveries are counted once.
with consultations as (
    select
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        case
            -- a subject no dictionary knows (`~text`) is published as 'other', never as the text
            when $breakdown = 'subject' then case when subject like '~%' then 'other' else coalesce(subject, 'none') end
            else coalesce(staff_role, 'unknown')
        end as breakdown,
        pupil_id,
        staff_id,
        school_id,
        minutes,
        mode
    from core.consultations
),

cube as (
    select
        project_code, municipality, school_year, semester, breakdown,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(semester) as all_semester,
        grouping(breakdown) as all_breakdown,
        count(distinct pupil_id) as n_pupils_supported,
        count(*) as n_consultations,
        coalesce(sum(minutes), 0) / 60.0 as consultation_hours,
        count(distinct staff_id) as n_staff,
        count(distinct school_id) as n_schools,
        count(*) filter (where mode = 'remote') / nullif(count(mode), 0) as share_remote
    from consultations
    group by cube (project_code, municipality, school_year, semester, breakdown)
),

final as (
    select
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_semester = 1 then 'ALL' else semester end as semester,
        case when all_breakdown = 1 then 'ALL' else breakdown end as breakdown,
        n_pupils_supported,
        n_consultations,
        consultation_hours,
        n_staff,
        n_schools,
        share_remote
    from cube
)

select * from final
