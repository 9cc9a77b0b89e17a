-- One row: activities held, pupils listed in them and participant-hours (head counts included); pupils
-- with financial support and the EUR paid. {activities}, {participants}, {financial}: the core tables,
-- or empty relations in a warehouse from before them.
with activities as (
    select * from {activities}
    where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
),

participants as (
    select * from {participants}
    where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
),

financial as (
    select * from {financial}
    where ($municipality is null or municipality = $municipality) and ($school_year is null or school_year = $school_year)
)

select (select count(*) from activities) as activities,
       (select count(distinct pupil_id) from participants) as activity_pupils,
       (select coalesce(sum(n_participants * minutes), 0) / 60 from activities) as activity_hours,
       (select count(distinct pupil_id) from financial) as financial_pupils,
       (select coalesce(sum(amount_eur), 0) from financial) as financial_eur
