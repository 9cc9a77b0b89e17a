-- Frame judged by expectations/cross_table.warning.json: one row per school × kind × school
-- month (September–May; the summer break would always look like a drop) from the school's
-- first month to the last month any school delivered, so a school that stops delivering shows
-- up as months with 0 rows. volume_ratio compares a month with the mean of the school's three
-- previous months of the same school year (support starts slowly each September, so months of
-- the year before are no baseline); it is null without a baseline and for the month of the reference
-- date, which is still incomplete. Rows dated after the reference date are left out (they are
-- quarantined as date_in_future and would stretch the calendar), and so are schools missing
-- from the registry (their rows are quarantined as unknown_school).
with monthly as (
    select * from validate_monthly_counts
),

school_span as (
    select kind, school_id, min(month_start) as first_month, max(source_file) as last_file
    from monthly
    group by all
),

kind_span as (
    select kind, max(month_start) as last_month from monthly group by all
),

calendar as (
    select
        s.kind, s.school_id, s.last_file,
        cast(unnest(generate_series(s.first_month, k.last_month, interval 1 month)) as date) as month_start
    from school_span s
    join kind_span k using (kind)
),

school_months as (
    select
        c.kind, c.school_id, c.month_start,
        coalesce(m.row_count, 0) as row_count,
        coalesce(m.source_file, c.last_file) as source_file
    from calendar c
    left join monthly m using (kind, school_id, month_start)
    where month(c.month_start) not in (6, 7, 8)
),

with_baseline as (
    select
        *,
        avg(row_count) over (
            partition by kind, school_id, year(month_start - interval 8 month)
            order by month_start rows between 3 preceding and 1 preceding
        ) as baseline
    from school_months
),

final as (
    select
        row_number() over (order by kind, school_id, month_start) as rid,
        kind,
        source_file,
        0 as source_line,
        cast(null as varchar) as row_key,
        school_id,
        strftime(month_start, '%Y-%m') as month,
        row_count,
        baseline,
        case
            when baseline > 0 and month_start < date_trunc('month', $reference_date::date)
                then row_count / baseline
        end as volume_ratio,
        strftime(month_start, '%Y-%m') || ': ' || row_count || ' (iepriekš vidēji / previous average '
            || round(baseline, 1) || ')' as volume_text
    from with_baseline
)

select * from final
