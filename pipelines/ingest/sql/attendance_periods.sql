-- One or more files' period summaries (one row per pupil × month or semester) typed for
-- staging.attendance (see grades.sql for the shape). A count not sent stays null; lessons_missed is
-- the sum of the counts sent.
with src as (
    select * from ingest_src
),

typed as (
    select
        *,
        ingest_date(raw_period_start) as start_value,
        ingest_date(raw_period_end) as end_value,
        ingest_integer(raw_excused) as excused_value,
        ingest_integer(raw_unexcused) as unexcused_value,
        ingest_integer(raw_illness) as illness_value,
        ingest_integer(raw_lessons_held) as held_value
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
            case when raw_period_start is null
                then {'column_name': 'period_start', 'reason_code': 'missing_required'} end,
            case when start_value is null then {'column_name': 'period_start', 'reason_code': 'unparseable_date'} end,
            case when raw_period_end is null then {'column_name': 'period_end', 'reason_code': 'missing_required'} end,
            case when end_value is null then {'column_name': 'period_end', 'reason_code': 'unparseable_date'} end,
            case when raw_unexcused is null then {'column_name': 'unexcused', 'reason_code': 'missing_required'} end,
            case when unexcused_value is null
                then {'column_name': 'unexcused', 'reason_code': 'not_whole_number'} end,
            case when raw_excused is not null and excused_value is null
                then {'column_name': 'excused', 'reason_code': 'not_whole_number'} end,
            case when raw_illness is not null and illness_value is null
                then {'column_name': 'illness', 'reason_code': 'not_whole_number'} end,
            case when raw_lessons_held is not null and held_value is null
                then {'column_name': 'lessons_held', 'reason_code': 'not_whole_number'} end
        ) as error
    from typed
),

final as (
    select
        source_file,
        source_line,
        'periods' as shape,
        -- ids
        pupil_id,
        raw_school_id as school_id,
        -- the period
        start_value as period_start,
        end_value as period_end,
        ingest_school_year(start_value) as school_year,
        ingest_semester(start_value) as semester,
        -- no reason or subject in a summary
        cast(null as varchar) as reason,
        cast(null as varchar) as reason_raw,
        cast(null as varchar) as subject,
        cast(null as varchar) as subject_raw,
        -- lessons missed, by reason
        coalesce(excused_value, 0) + coalesce(unexcused_value, 0) + coalesce(illness_value, 0) as lessons_missed,
        excused_value as excused,
        unexcused_value as unexcused,
        illness_value as illness,
        cast(null as integer) as unknown_reason,
        held_value as lessons_held,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'attendance_periods', ingest_part(raw_school_id), ingest_part(pupil_id),
                  ingest_part(start_value), ingest_part(end_value), ingest_part(excused_value),
                  ingest_part(unexcused_value), ingest_part(illness_value), ingest_part(held_value)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
