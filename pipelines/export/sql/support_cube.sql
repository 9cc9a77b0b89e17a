-- The support files' rows: marts.support_cube (built once by evaluate) for one breakdown, `subject`
-- or `staff_role` ($breakdown), its `level` under the breakdown's own name ({breakdown}, named by
-- the code). One row per project × municipality × school year × semester × level, 'ALL' margins.
-- `sole_school_id`: the one school whose consultations make up the row (null where several do), for the
-- respondent rule (pipelines/disclosure.py protect_column); never published. Its keys are those of
-- evaluate/sql/support_cube.sql (the same coalesces), over the same 32 grouping sets.
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
    select project_code, municipality, school_year, semester, level,
           case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
    from (
        select case when m.range & 16 = 16 then 'ALL' else f.project_code end as project_code,
               case when m.range & 8 = 8 then 'ALL' else f.municipality end as municipality,
               case when m.range & 4 = 4 then 'ALL' else f.school_year end as school_year,
               case when m.range & 2 = 2 then 'ALL' else f.semester end as semester,
               case when m.range & 1 = 1 then 'ALL' else f.level end as level,
               f.school_id
        from school_cells f
        cross join range(32) m
    )
    group by all
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
