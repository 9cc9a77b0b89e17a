-- Rows per school × kind × month for frame_monthly_volume.sql, built first as its own temp table
-- (validate_monthly_counts). Rows dated after the reference date and schools missing from the
-- registry are left out. The months before the reference date's month are the whole-month counts
-- kept in validate_month_counts (month_counts.sql, recounted only where files changed); the
-- reference date's own month is counted up to that day (validate_reference_month).
with registry as (
    select distinct school_id from staging.schools
),

counts as (
    select kind, school_id, month_start, row_count, source_file
    from validate_month_counts
    where month_start < date_trunc('month', $reference_date::date)
    union all
    select kind, school_id, month_start, row_count, source_file
    from validate_reference_month
),

final as (
    select kind, school_id, month_start, row_count, source_file
    from counts
    where school_id in (select school_id from registry)
)

select * from final
