-- One or more files' cost rows typed for staging.costs (see grades.sql for the shape): one row
-- per project × municipality × month × cost category as the project reports it. Not personal data.
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_month(raw_month) as month_value,
        ingest_amount(raw_amount_eur) as amount_value
    from src
),

checked as (
    select
        *,
        coalesce(
            case when raw_month is null then {'column_name': 'month', 'reason_code': 'missing_required'} end,
            case when month_value is null then {'column_name': 'month', 'reason_code': 'unparseable_month'} end,
            case when project_code_value is null
                then {'column_name': 'project_code', 'reason_code': 'missing_required'} end,
            case when raw_municipality is null
                then {'column_name': 'municipality', 'reason_code': 'missing_required'} end,
            case when raw_cost_category is null
                then {'column_name': 'cost_category', 'reason_code': 'missing_required'} end,
            case when raw_amount_eur is null
                then {'column_name': 'amount_eur', 'reason_code': 'missing_required'} end,
            case when amount_value is null
                then {'column_name': 'amount_eur', 'reason_code': 'unparseable_number'} end
        ) as error
    from typed
),

final as (
    select
        source_file,
        source_line,
        -- when
        month_value as month,
        ingest_school_year(month_value) as school_year,
        -- what
        project_code_value as project_code,
        project_text_hash,
        ingest_no_code(raw_municipality) as municipality,
        cost_category_code as cost_category,
        ingest_no_code(raw_cost_category) as cost_category_raw,
        amount_value as amount_eur,
        -- the school a row concerns: none (costs are reported per municipality); feedback needs the column
        cast(null as varchar) as raw_school_id,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'costs', ingest_part(month_value), ingest_project_key(project_code_value, project_text_hash),
                  ingest_part(lower(strip_accents(raw_municipality))), ingest_part(cost_category_key),
                  ingest_part(amount_value)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
