-- Frame judged by expectations/schools.*.json: one row per staging.schools row.
-- The registry is dated by delivery (the month its file was ingested).
with schools as (
    select rowid as rid, * from staging.schools
),

files as (
    select file_path, ingested_at from meta.files
),

final as (
    select
        s.rid,
        'schools' as kind,
        s.source_file, s.source_line, s.row_key, s.school_id,
        coalesce(strftime(f.ingested_at, '%Y-%m'), strftime($reference_date::date, '%Y-%m')) as month,
        s.school_type, nullif(trim(s.school_type_raw), '') as school_type_raw,
        -- a type written but none of contract.SCHOOL_TYPES' spellings (stored as null)
        s.school_type is null and nullif(trim(s.school_type_raw), '') is not null as school_type_unrecognised
    from schools s
    left join files f on f.file_path = s.source_file
)

select * from final
