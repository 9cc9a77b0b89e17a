-- One or more files' lesson records (one row per pupil × day × reason, or per lesson) typed for
-- staging.attendance (see grades.sql for the shape). A lesson record is a period of one day: the
-- lessons missed go to the column of their reason (excused / unexcused / illness / unknown_reason), so
-- both attendance shapes share one table.
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_date) as date_value,
        ingest_integer(raw_lessons_missed) as missed_value,
        coalesce(reason_code, 'unknown') as reason_value
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
            case when raw_lessons_missed is null
                then {'column_name': 'lessons_missed', 'reason_code': 'missing_required'} end,
            case when missed_value is null
                then {'column_name': 'lessons_missed', 'reason_code': 'not_whole_number'} end
        ) as error
    from typed
),

final as (
    select
        source_file,
        source_line,
        'lessons' as shape,
        -- ids
        pupil_id,
        raw_school_id as school_id,
        -- the period: one day
        date_value as period_start,
        date_value as period_end,
        ingest_school_year(date_value) as school_year,
        ingest_semester(date_value) as semester,
        -- why and in what
        reason_value as reason,
        ingest_no_code(raw_reason) as reason_raw,
        ingest_subject(subject_code) as subject,
        ingest_no_code(raw_subject) as subject_raw,
        -- lessons missed, by reason
        missed_value as lessons_missed,
        case when reason_value = 'excused' then missed_value else 0 end as excused,
        case when reason_value = 'unexcused' then missed_value else 0 end as unexcused,
        case when reason_value = 'illness' then missed_value else 0 end as illness,
        case when reason_value = 'unknown' then missed_value else 0 end as unknown_reason,
        cast(null as integer) as lessons_held,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'attendance_lessons', ingest_part(raw_school_id), ingest_part(date_value),
                  ingest_part(pupil_id), ingest_part(reason_key), ingest_part(subject_key),
                  ingest_part(missed_value)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
