-- One or more files' activity rows typed for staging.activities (see grades.sql for the shape).
-- A row names one participant (pupil_code) or gives the activity's head count (participants).
-- The title is free text and never reaches this query (normalise.map_values drops it).
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_date) as date_value,
        ingest_number(raw_minutes) as minutes_value,
        ingest_integer(raw_participants) as participants_value
    from src
),

checked as (
    select
        *,
        coalesce(
            case when raw_date is null then {'column_name': 'date', 'reason_code': 'missing_required'} end,
            case when date_value is null then {'column_name': 'date', 'reason_code': 'unparseable_date'} end,
            case when raw_school_id is null then {'column_name': 'school_id', 'reason_code': 'missing_required'} end,
            case when school_id_error is not null
                then {'column_name': 'school_id', 'reason_code': school_id_error} end,
            case when raw_activity_id is null
                then {'column_name': 'activity_id', 'reason_code': 'missing_required'} end,
            case when raw_activity_type is null
                then {'column_name': 'activity_type', 'reason_code': 'missing_required'} end,
            case when raw_minutes is null then {'column_name': 'minutes', 'reason_code': 'missing_required'} end,
            case when minutes_value is null then {'column_name': 'minutes', 'reason_code': 'unparseable_number'} end,
            case when project_code_value is null
                then {'column_name': 'project_code', 'reason_code': 'missing_required'} end,
            -- an empty personal code is fine when the row gives a head count instead
            case when pupil_error is not null and pupil_error <> 'missing_required'
                then {'column_name': 'pupil_code', 'reason_code': pupil_error} end,
            case when raw_participants is not null and participants_value is null
                then {'column_name': 'participants', 'reason_code': 'unparseable_number'} end,
            case when pupil_id is null and participants_value is null
                then {'column_name': 'participants', 'reason_code': 'missing_participants'} end
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
        raw_school_id as school_id,
        ingest_no_code(raw_activity_id) as activity_id,
        pupil_id,
        -- what the activity was
        activity_type_code as activity_type,
        ingest_no_code(raw_activity_type) as activity_type_raw,
        ingest_subject(subject_code) as subject,
        ingest_no_code(raw_subject) as subject_raw,
        -- measures
        minutes_value as minutes,
        participants_value as participants,
        project_code_value as project_code,
        project_text_hash,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'activities', ingest_part(raw_school_id), ingest_part(date_value),
                  ingest_part(raw_activity_id), ingest_part(activity_type_key), ingest_part(subject_key),
                  ingest_part(minutes_value), ingest_project_key(project_code_value, project_text_hash),
                  ingest_part(pupil_id), ingest_part(participants_value)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
