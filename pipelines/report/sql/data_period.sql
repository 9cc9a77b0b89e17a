-- First and last date of any consultation or grade ({consultations} and {grades}: the core tables, or
-- empty relations in a warehouse that lacks one).
with dates as (
    select date from {consultations}
    union all
    select date from {grades}
)

select min(date) as lo, max(date) as hi from dates
