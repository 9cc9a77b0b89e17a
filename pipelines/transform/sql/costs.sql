-- core.costs: one row per reported cost line (project × municipality × month × category), each
-- row_key once. The municipality is written as in the school registry when it is one of the
-- registry's (compared without case and diacritics), else `unknown`: what a project typed there is
-- free text (it may name a person) and never reaches a published file; validation tells the project.
with deduplicated as (
    -- validated_rows.sql for staging.costs: validated rows, each row_key once
    {validated_rows}
),

registry as (
    select lower(strip_accents(trim(municipality))) as municipality_key, min(municipality) as municipality
    from core.schools
    where municipality is not null
    group by all
),

final as (
    select d.source_file, d.source_line, d.row_key,
           d.month, d.school_year,
           d.project_code,
           coalesce(r.municipality, 'unknown') as municipality,
           r.municipality is not null as municipality_known,
           d.cost_category, d.amount_eur
    from deduplicated d
    left join registry r on r.municipality_key = lower(strip_accents(trim(d.municipality)))
)

select * from final
