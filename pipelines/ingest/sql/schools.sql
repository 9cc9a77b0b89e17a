-- One or more files' school-registry rows typed for staging.schools (see grades.sql for the shape).
with src as (
    select * from ingest_src
),

checked as (
    select
        *,
        coalesce(
            case when raw_school_id is null then {'column_name': 'school_id', 'reason_code': 'missing_required'} end,
            case when school_id_error is not null
                then {'column_name': 'school_id', 'reason_code': school_id_error} end,
            case when raw_school_name is null
                then {'column_name': 'school_name', 'reason_code': 'missing_required'} end,
            case when raw_municipality is null
                then {'column_name': 'municipality', 'reason_code': 'missing_required'} end
        ) as error
    from src
),

final as (
    select
        source_file,
        source_line,
        raw_school_id as school_id,
        raw_school_name as school_name,
        raw_municipality as municipality,
        school_type_value as school_type,
        ingest_no_code(raw_school_type) as school_type_raw,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'schools', ingest_part(raw_school_id), ingest_part(lower(raw_school_name)),
                  ingest_part(lower(raw_municipality))
                  -- the type only when given, so a registry row without one keeps its old key
                  || coalesce(chr(31) || school_type_value, '')) as key_text,
        columns('^raw_')
    from checked
)

select * from final
