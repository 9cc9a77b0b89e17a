-- School days of the year: weekdays from 1 September to 31 May without the autumn, winter and
-- spring breaks. Grain: one row per school day, numbered within its month (month_index 0 = September).
with params as (
    select * from nat_params
),

calendar as (
    select cast(d as date) as date, p.year0
    from params p, range(make_date(p.year0, 9, 1), make_date(p.year0 + 1, 6, 1), interval 1 day) t(d)
),

open_days as (
    select *
    from calendar
    where isodow(date) <= 5
        and not date between make_date(year0, 10, 26) and make_date(year0, 11, 1)
        and not date between make_date(year0, 12, 22) and make_date(year0 + 1, 1, 4)
        and not date between make_date(year0 + 1, 3, 16) and make_date(year0 + 1, 3, 20)
),

final as (
    select
        date,
        (year(date) - year0) * 12 + month(date) - 9 as month_index,
        cast(row_number() over (partition by year(date), month(date) order by date) - 1 as integer) as day_idx,
        cast(count(*) over (partition by year(date), month(date)) as integer) as n_days
    from open_days
)

select * from final
