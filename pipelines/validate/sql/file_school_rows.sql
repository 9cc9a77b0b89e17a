-- file_school_rows: grain file × school named in its rows. Every staged row (the frames) and every row
-- quarantined at ingest, with the school it names: how many rows, the first line, and whether they are
-- rows of the school registry. Read by file_deliverers.sql (who delivered each file) and feedback.sql
-- (the `school_id_other_school` lines).
with file_rows as (
    select source_file, source_line, school_id, true as registry from validate_frame_schools
    union all
    select source_file, source_line, school_id, false from validate_frame_pupils
    union all
    select source_file, source_line, school_id, false from validate_frame_plans
    union all
    select source_file, source_line, school_id, false from validate_frame_consultations
    union all
    select source_file, source_line, school_id, false from validate_frame_grades
    union all
    select source_file, source_line, school_id, false from validate_frame_activities
    union all
    select source_file, source_line, school_id, false from validate_frame_financial_support
    union all
    select source_file, source_line, school_id, false from validate_frame_attendance
    union all
    -- rows quarantined at ingest never reach the frames (those of validation are in them already)
    select distinct source_file, source_line, school_id, kind = 'schools' from quarantine.rows where stage = 'ingest'
),

final as (
    select source_file, school_id,
           count(*) as n_rows,  -- each staged row once
           min(source_line) as first_line,
           bool_and(registry) as registry
    from file_rows
    where school_id is not null
    group by all
)

select * from final
