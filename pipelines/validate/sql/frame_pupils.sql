-- Frame judged by expectations/pupils.*.json: one row per staging.pupils row with the facts
-- the rules compare (registry membership, the school year of the leaving date, days ahead).
-- Rosters are dated by delivery (the month their file was ingested).
with pupils as (
    select rowid as rid, * from staging.pupils
),

schools as (
    select distinct school_id from staging.schools where school_id is not null
),

files as (
    select file_path, ingested_at from meta.files
),

derived as (
    select
        p.*,
        -- 1 September – 31 August: shifting by 8 months puts the whole school year in one calendar year
        year(p.left_on - interval 8 month) as left_on_start_year,
        try_cast(split_part(p.school_year, '/', 2) as integer)
            - try_cast(split_part(p.school_year, '/', 1) as integer) as school_year_span,
        f.ingested_at
    from pupils p
    left join files f on f.file_path = p.source_file
),

final as (
    select
        d.rid,
        'pupils' as kind,
        d.source_file, d.source_line, d.row_key, d.school_id,
        coalesce(strftime(d.ingested_at, '%Y-%m'), strftime($reference_date::date, '%Y-%m')) as month,
        d.school_year, d.school_year_span, d.class_raw, d.grade_level, d.course_year, d.left_on,
        cast(d.left_on_start_year as varchar) || '/' || cast(d.left_on_start_year + 1 as varchar)
            as left_on_school_year,
        date_diff('day', $reference_date::date, d.left_on) as days_after_reference,
        s.school_id is not null as school_known
    from derived d
    left join schools s on s.school_id = d.school_id
)

select * from final
