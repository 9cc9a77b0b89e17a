-- Every file with rows in the frames, and whether its row-local rules must be judged this run:
-- yes unless validation.judged_files holds the same version (sha256 and ingested_at, as ingest
-- recorded them in meta.files) judged with the same rules and parameters ($fingerprint).
-- A file without a meta.files record is always judged. The grades frame (a view, one row per
-- staging.grades row) is read as staging.grades: listing files needs none of the view's joins.
with present as (
    select source_file from validate_frame_schools
    union
    select source_file from validate_frame_pupils
    union
    select source_file from validate_frame_plans
    union
    select source_file from validate_frame_consultations
    union
    select source_file from staging.grades
    union
    select source_file from validate_frame_activities
    union
    select source_file from validate_frame_financial_support
    union
    select source_file from validate_frame_costs
    union
    select source_file from validate_frame_attendance
),

versions as (
    select p.source_file, m.sha256, m.ingested_at
    from present p
    left join meta.files m on m.file_path = p.source_file
),

final as (
    select
        v.source_file,
        v.sha256,
        v.ingested_at,
        j.file_path is null or not $incremental as to_judge
    from versions v
    left join validation.judged_files j
        on j.file_path = v.source_file
        and j.sha256 = v.sha256
        and j.ingested_at = v.ingested_at
        and j.fingerprint = $fingerprint
)

select * from final
