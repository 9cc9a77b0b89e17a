-- Reported costs per project × municipality × school year × cost category, with 'ALL' margins
-- (GROUP BY CUBE). Disclosure control (the compensations line is pupils' payments) is in programme.py.
-- {costs}: core.costs, or an empty relation where the warehouse lacks it (programme.cube_sql).
with costs as (
    select
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cost_category, 'unknown') as cost_category,
        amount_eur
    from {costs}
),

cube as (
    select
        project_code, municipality, school_year, cost_category,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(cost_category) as all_category,
        -- summed as decimals: a sum of doubles depends on the order of parallel threads, and a run must
        -- publish the same cents as a re-run
        cast(sum(cast(amount_eur as decimal(18, 2))) as double) as amount_eur
    from costs
    group by cube (project_code, municipality, school_year, cost_category)
),

final as (
    select
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_category = 1 then 'ALL' else cost_category end as cost_category,
        amount_eur
    from cube
)

select * from final
