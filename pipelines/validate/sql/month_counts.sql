-- Rows per school × kind × calendar month dated $first_day to $last_day (constants, so DuckDB
-- skips the row groups of other dates), for the school-months in
-- validate_count_months only (stage.py: the months a new, changed or removed file touches, or the
-- month of the reference date); the others keep their counts in validation.month_counts.
-- A re-delivered row counts once: distinct hashes of row_key, one table at a time. Counting
-- distinct 70-character keys over both tables at once ran out of the 4 GB memory limit at
-- national scale. Two keys of one school-month with the same 64-bit hash (odds about 1e-9) would
-- make that month look one row smaller, which the monthly volume warning cannot notice.
with wanted as (
    select kind, school_id, month_start from validate_count_months
),

consultations as (
    select
        'consultations' as kind, c.school_id, date_trunc('month', c.date) as month_start,
        count(distinct hash(c.row_key)) as row_count,
        min(c.source_file) as source_file
    from staging.consultations c
    semi join (select * from wanted where kind = 'consultations') w
        on w.school_id = c.school_id and w.month_start = date_trunc('month', c.date)
    where c.date between $first_day and $last_day
    group by all
),

grades as (
    select
        'grades' as kind, g.school_id, date_trunc('month', g.date) as month_start,
        count(distinct hash(g.row_key)) as row_count,
        min(g.source_file) as source_file
    from staging.grades g
    semi join (select * from wanted where kind = 'grades') w
        on w.school_id = g.school_id and w.month_start = date_trunc('month', g.date)
    where g.date between $first_day and $last_day
    group by all
)

select * from consultations
union all
select * from grades
