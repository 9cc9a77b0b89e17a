-- One or more files' grade rows typed for staging.grades. Input: ingest_src (text cells `raw_*`,
-- already-mapped pseudonyms and dictionary codes). Output: staging columns, the first
-- error of the row (or null) and key_text, the normalised content the row_key is hashed from.
with src as (
    select * from ingest_src
),

-- a month of marks has a few dozen distinct dates: parse each once (−25 % of this query)
dates as (
    select raw_date, ingest_date(raw_date) as date_value
    from (select distinct raw_date from src)
),

typed as (
    select src.*, dates.date_value
    from src
    left join dates on dates.raw_date is not distinct from src.raw_date
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
            case when raw_subject is null then {'column_name': 'subject', 'reason_code': 'missing_required'} end,
            case when raw_grade is null then {'column_name': 'grade', 'reason_code': 'missing_required'} end,
            case when grade_error is not null then {'column_name': 'grade', 'reason_code': grade_error} end
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
        date_value as date,
        ingest_school_year(date_value) as school_year,
        ingest_semester(date_value) as semester,
        -- what was assessed
        ingest_subject(subject_code) as subject,
        ingest_no_code(raw_subject) as subject_raw,
        assessment_type_code as assessment_type,
        ingest_no_code(raw_assessment_type) as assessment_type_raw,
        -- the mark
        ingest_no_code(raw_grade) as grade_raw,
        grade_kind,
        grade_score,
        grade_level_code,
        passed,
        grade_percent,
        -- quality and identity
        error.column_name as error_column,
        error.reason_code as error_reason,
        concat_ws(chr(31), 'grades', ingest_part(raw_school_id), ingest_part(date_value), ingest_part(pupil_id),
                  ingest_part(subject_key), ingest_part(grade_key), ingest_part(assessment_type_key)) as key_text,
        columns('^raw_')
    from checked
)

select * from final
