-- One or more files' consultation rows typed for staging.consultations (see grades.sql for the shape).
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_date) as date_value,
        ingest_number(raw_minutes) as minutes_value,
        ingest_integer(raw_group_size) as group_size_value
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
            case when raw_minutes is null then {'column_name': 'minutes', 'reason_code': 'missing_required'} end,
            case when minutes_value is null then {'column_name': 'minutes', 'reason_code': 'unparseable_number'} end,
            case when raw_group_size is not null and group_size_value is null
                then {'column_name': 'group_size', 'reason_code': 'unparseable_number'} end
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
        staff_id,
        -- what support
        staff_role_code as staff_role,
        ingest_no_code(raw_staff_role) as staff_role_raw,
        ingest_subject(subject_code) as subject,
        ingest_no_code(raw_subject) as subject_raw,
        -- measures
        minutes_value as minutes,
        mode_code as mode,
        ingest_no_code(raw_mode) as mode_raw,
        group_size_value as group_size,
        project_code_value as project_code,
        project_text_hash,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'consultations', ingest_part(raw_school_id), ingest_part(date_value), ingest_part(pupil_id),
                  ingest_part(staff_id), ingest_part(staff_role_key), ingest_part(subject_key),
                  ingest_part(minutes_value), ingest_part(mode_key), ingest_part(group_size_value),
                  ingest_project_key(project_code_value, project_text_hash)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
