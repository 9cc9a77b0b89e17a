-- The report's support tables, from marts.support_cube ({support_cube}: the mart, or an empty relation
-- before evaluate has built it): all projects together, every municipality and its 'ALL' margin, every
-- school year and semester, one breakdown ($breakdown: subject, staff_role or mode). The whole table is
-- protected once (queries.protected_support) before any report picks its municipality or year: a cell
-- withheld in one report must not be the overview's minus the other reports'.
-- `sole_school_id`: the one school whose consultations ({consultations}: core.consultations, or an empty
-- relation) make up the row, null where several do; for the respondent rule (pipelines/disclosure.py
-- protect_column), never shown. Its keys are those of evaluate/sql/support_cube.sql (the same coalesces),
-- over the cube's 16 grouping sets under project 'ALL'.
with cube as (
    select * from {support_cube}
    where breakdown = $breakdown and project_code = 'ALL'
),

school_cells as (
    select distinct
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        case $breakdown
            when 'subject' then case when subject like '~%' then 'other' else coalesce(subject, 'none') end
            when 'staff_role' then coalesce(staff_role, 'unknown')
            else coalesce(mode, 'unknown')
        end as level,
        school_id
    from {consultations}
),

sole as (
    select case when grouping(municipality) = 1 then 'ALL' else municipality end as municipality,
           case when grouping(school_year) = 1 then 'ALL' else school_year end as school_year,
           case when grouping(semester) = 1 then 'ALL' else semester end as semester,
           case when grouping(level) = 1 then 'ALL' else level end as level,
           case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
    from school_cells
    group by cube (municipality, school_year, semester, level)
),

final as (
    select
        municipality,
        school_year,
        semester,
        level,
        n_pupils_supported as pupils,
        n_consultations as consultations,
        consultation_hours as hours,
        hours_remote,
        n_staff as staff,
        n_schools as schools,
        sole.sole_school_id
    from cube
    left join sole using (municipality, school_year, semester, level)
)

select * from final order by municipality, level, school_year, semester
