-- One or more files' support-plan rows typed for staging.plans (see grades.sql for the shape).
-- A plan's school year is the one its start date falls in.
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_plan_start) as plan_start_value,
        ingest_date(raw_plan_end) as plan_end_value
    from src
),

checked as (
    select
        *,
        coalesce(
            case when pupil_error is not null then {'column_name': 'pupil_code', 'reason_code': pupil_error} end,
            case when raw_school_id is null then {'column_name': 'school_id', 'reason_code': 'missing_required'} end,
            case when school_id_error is not null
                then {'column_name': 'school_id', 'reason_code': school_id_error} end,
            case when raw_plan_start is null then {'column_name': 'plan_start', 'reason_code': 'missing_required'} end,
            case when plan_start_value is null
                then {'column_name': 'plan_start', 'reason_code': 'unparseable_date'} end,
            case when raw_plan_end is not null and plan_end_value is null
                then {'column_name': 'plan_end', 'reason_code': 'unparseable_date'} end
        ) as error
    from typed
),

final as (
    select
        source_file,
        source_line,
        -- ids
        pupil_id,
        raw_school_id as school_id,
        -- dates
        plan_start_value as plan_start,
        plan_end_value as plan_end,
        -- attributes
        project_code_value as project_code,
        project_text_hash,
        risk_factor_codes as risk_factors,
        ingest_school_year(plan_start_value) as school_year,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'plans', ingest_part(raw_school_id), ingest_part(pupil_id), ingest_part(plan_start_value),
                  ingest_part(plan_end_value), ingest_project_key(project_code_value, project_text_hash),
                  ingest_part(risk_factor_codes)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
