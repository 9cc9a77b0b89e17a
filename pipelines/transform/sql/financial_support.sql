-- core.financial_support: one row per payment of financial support. Cumulative re-deliveries
-- repeat the same row_key and are kept once (the earliest file/line keeps the lineage).
with deduplicated as (
    -- validated_rows.sql for staging.financial_support: validated rows, each row_key once
    {validated_rows}
),

schools as (
    select school_id, municipality from core.schools
),

final as (
    select d.source_file, d.source_line, d.row_key,
           d.date, d.school_year, d.semester,
           d.pupil_id, d.school_id, s.municipality,
           d.support_type, d.amount_eur, d.project_code
    from deduplicated d
    left join schools s using (school_id)
)

select * from final
