-- One or more files' financial-support rows typed for staging.financial_support (see grades.sql
-- for the shape): one row per payment to (or for) one pupil.
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_date) as date_value,
        ingest_amount(raw_amount_eur) as amount_value
    from src
),

checked as (
    select
        *,
        coalesce(
            case when raw_date is null then {'column_name': 'date', 'reason_code': 'missing_required'} end,
            case when date_value is null then {'column_name': 'date', 'reason_code': 'unparseable_date'} end,
            case when pupil_error is not null then {'column_name': 'pupil_code', 'reason_code': pupil_error} end,
            case when raw_school_id is null then {'column_name': 'school_id', 'reason_code': 'missing_required'} end,
            case when school_id_error is not null
                then {'column_name': 'school_id', 'reason_code': school_id_error} end,
            case when raw_support_type is null
                then {'column_name': 'support_type', 'reason_code': 'missing_required'} end,
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
        -- dates
        date_value as date,
        ingest_school_year(date_value) as school_year,
        ingest_semester(date_value) as semester,
        -- ids
        pupil_id,
        raw_school_id as school_id,
        -- what was paid
        support_type_code as support_type,
        ingest_no_code(raw_support_type) as support_type_raw,
        amount_value as amount_eur,
        project_code_value as project_code,
        project_text_hash,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'financial_support', ingest_part(raw_school_id), ingest_part(date_value),
                  ingest_part(pupil_id), ingest_part(support_type_key), ingest_part(amount_value),
                  ingest_project_key(project_code_value, project_text_hash)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
