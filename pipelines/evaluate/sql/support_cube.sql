-- marts.support_cube: the consultations counted once for every reader (export's support_by_subject.csv
-- and support_by_role.csv, the report's support tables). One row per breakdown (`subject`, `staff_role`
-- or `mode`) × project × municipality × school year × semester × level of that breakdown, plus 'ALL'
-- margins along every key (GROUP BY CUBE within each breakdown). Every distinct count is computed
-- from row-level data for every margin, never summed from cells: a pupil can be in several cells.
-- core.consultations already holds each consultation row once, so cumulative re-deliveries are
-- counted once. A key that is not given is 'unknown' ('none' for project and subject); a subject no
-- dictionary knows (`~text`) is 'other', never the text.
with consultations as (
    select
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        case when subject like '~%' then 'other' else coalesce(subject, 'none') end as subject,
        coalesce(staff_role, 'unknown') as staff_role,
        coalesce(mode, 'unknown') as mode_level,
        pupil_id,
        staff_id,
        school_id,
        minutes,
        mode
    from core.consultations
),

by_breakdown as (
    select 'subject' as breakdown, subject as level, * exclude (subject, staff_role, mode_level)
    from consultations
    union all
    select 'staff_role', staff_role, * exclude (subject, staff_role, mode_level)
    from consultations
    union all
    select 'mode', mode_level, * exclude (subject, staff_role, mode_level)
    from consultations
),

cube as (
    select
        breakdown, project_code, municipality, school_year, semester, level,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(semester) as all_semester,
        grouping(level) as all_level,
        count(distinct pupil_id) as n_pupils_supported,
        count(*) as n_consultations,
        coalesce(sum(minutes), 0) / 60.0 as consultation_hours,
        coalesce(sum(minutes) filter (where mode = 'remote'), 0) / 60.0 as hours_remote,
        count(distinct staff_id) as n_staff,
        count(distinct school_id) as n_schools,
        count(*) filter (where mode = 'remote') / nullif(count(mode), 0) as share_remote
    from by_breakdown
    group by breakdown, cube (project_code, municipality, school_year, semester, level)
),

final as (
    select
        breakdown,
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_semester = 1 then 'ALL' else semester end as semester,
        case when all_level = 1 then 'ALL' else level end as level,
        n_pupils_supported,
        n_consultations,
        consultation_hours,
        hours_remote,
        n_staff,
        n_schools,
        share_remote
    from cube
)

select * from final
