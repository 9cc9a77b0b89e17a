-- Rows per school × kind × month for frame_monthly_volume.sql, built first as its own temp table
-- (validate_monthly_counts). Rows dated after the reference date and schools missing from the
-- registry are left out. A re-delivered row counts once: distinct hashes of row_key, one table
-- at a time. Counting distinct 70-character keys over both tables at once ran out of the 4 GB
-- memory limit at national scale. Two keys of one school-month with the same 64-bit hash (odds
-- about 1e-9) would make that month look one row smaller, which this warning cannot notice.
with registry as (
    select distinct school_id from staging.schools
),

consultations as (
    select
        'consultations' as kind, school_id, date_trunc('month', date) as month_start,
        count(distinct hash(row_key)) as row_count,
        min(source_file) as source_file
    from staging.consultations
    where school_id in (select school_id from registry) and date <= $reference_date::date
    group by all
),

grades as (
    select
        'grades' as kind, school_id, date_trunc('month', date) as month_start,
        count(distinct hash(row_key)) as row_count,
        min(source_file) as source_file
    from staging.grades
    where school_id in (select school_id from registry) and date <= $reference_date::date
    group by all
)

select * from consultations
union all
select * from grades
