-- One or more files' roster rows typed for staging.pupils (see grades.sql for the shape).
-- Names were dropped before this query: only the pseudonym arrives here.
with src as (
    select * from ingest_src
),

typed as (
    select *, ingest_date(raw_left_on) as left_on_value
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
            case when raw_class is null then {'column_name': 'class', 'reason_code': 'missing_required'} end,
            case when grade_level is null and course_year is null
                then {'column_name': 'class', 'reason_code': 'unparseable_class'} end,
            case when raw_gender is not null and gender_value is null
                then {'column_name': 'gender', 'reason_code': 'unknown_gender'} end,
            case when raw_school_year is null
                then {'column_name': 'school_year', 'reason_code': 'missing_required'} end,
            case when school_year_value is null
                then {'column_name': 'school_year', 'reason_code': 'unparseable_school_year'} end,
            case when raw_left_on is not null and left_on_value is null
                then {'column_name': 'left_on', 'reason_code': 'unparseable_date'} end
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
        school_year_value as school_year,
        -- class
        ingest_no_code(raw_class) as class_raw,
        grade_level,
        class_letter,
        course_year,
        -- attributes
        gender_value as gender,
        left_on_value as left_on,
        leaving_reason_code as leaving_reason,  -- a code only (contract.LEAVING_REASONS)
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'pupils', ingest_part(raw_school_id), ingest_part(pupil_id), ingest_part(school_year_value),
                  -- a course year in the grade's place (`K2`): a grade row keeps the key it always had
                  coalesce(cast(grade_level as varchar), 'K' || course_year, ''), ingest_part(class_letter), ingest_part(gender_value),
                  ingest_part(left_on_value), ingest_part(leaving_reason_code)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
