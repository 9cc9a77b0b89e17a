-- core.activity_participants: one row per listed participant of an activity (school × activity_id
-- × pupil), with the activity's attributes from core.activities. Head counts name nobody and are
-- not here.
with deduplicated as (
    -- validated_rows.sql for staging.activities: validated rows, each row_key once
    {validated_rows}
),

listed as (
    select school_id, activity_id, pupil_id, min(struct_pack(source_file, source_line)) as first_row
    from deduplicated
    where pupil_id is not null
    group by all
),

final as (
    select
        l.first_row.source_file as source_file,
        l.first_row.source_line as source_line,
        l.pupil_id, a.school_id, a.activity_id,
        a.date, a.school_year, a.semester, a.municipality,
        a.activity_type, a.subject, a.minutes, a.project_code
    from listed l
    join core.activities a using (school_id, activity_id)
)

select * from final
