-- Risk summary: one row per municipality × school year × semester × risk band of the early-warning
-- scores (marts.early_warning: one row per pupil enrolled at the latest data date, so each pupil is in
-- exactly one cell), plus 'ALL' margins along every key (GROUP BY CUBE). Semester of the scoring day.
-- `sole_school_id`: the one school whose pupils make up the row (it has them on its early-warning list;
-- null where several do), for the respondent rule (pipelines/disclosure.py protect_column); never published.
with scores as (
    select
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester_of(as_of) as varchar), 'unknown') as semester,
        risk_band,
        pupil_id,
        list_school_id as school_id,  -- the school whose list shows the pupil
        has_plan
    from marts.early_warning
),

cube as (
    select
        municipality, school_year, semester, risk_band,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        grouping(semester) as all_semester,
        grouping(risk_band) as all_risk_band,
        count(distinct pupil_id) as n_pupils,
        count(distinct pupil_id) filter (where has_plan) as n_with_plan,
        case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
    from scores
    group by cube (municipality, school_year, semester, risk_band)
),

final as (
    select
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        case when all_semester = 1 then 'ALL' else semester end as semester,
        case when all_risk_band = 1 then 'ALL' else risk_band end as risk_band,
        n_pupils,
        n_with_plan,
        n_with_plan / nullif(n_pupils, 0) as share_with_plan,
        sole_school_id
    from cube
)

select * from final
