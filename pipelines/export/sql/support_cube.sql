-- The support files' rows: marts.support_cube (built once by evaluate) for one breakdown, `subject`
-- or `staff_role` ($breakdown), its `level` under the breakdown's own name ({breakdown}, named by
-- the code). One row per project × municipality × school year × semester × level, 'ALL' margins.
-- `sole_school_id`: the one school whose consultations make up the row (null where several do), for the
-- respondent rule (pipelines/disclosure.py protect_column); never published. Its keys are those of
-- evaluate/sql/support_cube.sql (the same coalesces), over the same cube (32 grouping sets).
with cube as (
    select * from marts.support_cube where breakdown = $breakdown
),

school_cells as (
    select distinct
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        case
            when $breakdown = 'subject' then
                case when subject like '~%' then 'other' else coalesce(subject, 'none') end
            else coalesce(staff_role, 'unknown')
        end as level,
        school_id
    from core.consultations
),

sole as (
    select case when grouping(project_code) = 1 then 'ALL' else project_code end as project_code,
           case when grouping(municipality) = 1 then 'ALL' else municipality end as municipality,
           case when grouping(school_year) = 1 then 'ALL' else school_year end as school_year,
           case when grouping(semester) = 1 then 'ALL' else semester end as semester,
           case when grouping(level) = 1 then 'ALL' else level end as level,
           case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
    from school_cells
    group by cube (project_code, municipality, school_year, semester, level)
),

final as (
    select
        project_code,
        municipality,
        school_year,
        semester,
        level as {breakdown},
        n_pupils_supported,
        n_consultations,
        consultation_hours,
        n_staff,
        n_schools,
        share_remote,
        sole.sole_school_id
    from cube
    left join sole using (project_code, municipality, school_year, semester, level)
)

select * from final
