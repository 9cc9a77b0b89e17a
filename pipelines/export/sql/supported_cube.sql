-- Pupils supported in any way (a consultation, an activity they are listed in, or financial
-- support) per project × municipality × school year, with 'ALL' margins (GROUP BY CUBE), counted
-- distinct from row-level data in every margin; their support hours (consultation hours plus
-- activity participant-hours, head counts included); the schools and municipalities where it
-- happened; and how many of them the rosters show still enrolled at the end of that school year
-- (a roster row of that year without a leaving date, at any school), and how many left by the end of a
-- school year of the cell (every roster row of that year has a leaving date). Feeds esf_indicators.csv and
-- the per-pupil figures of costs.csv.
-- {activity_participants}, {activities}, {financial_support}, {pupils}: those core tables, or empty
-- relations where the warehouse lacks them (programme.cube_sql).
with supported as (
    select project_code, municipality, school_year, pupil_id, school_id, minutes / 60.0 as hours
    from core.consultations
    union all
    select project_code, municipality, school_year, pupil_id, school_id, minutes / 60.0
    from {activity_participants}
    union all
    select project_code, municipality, school_year, null, school_id, (n_participants - n_listed) * minutes / 60.0
    from {activities}
    where n_participants > n_listed
    union all
    select project_code, municipality, school_year, pupil_id, school_id, 0.0
    from {financial_support}
),

enrolment as (
    select pupil_id, school_year, bool_or(left_on is null) as enrolled_at_end
    from {pupils}
    group by all
),

rows as (
    select
        coalesce(s.project_code, 'none') as project_code,
        coalesce(s.municipality, 'unknown') as municipality,
        coalesce(s.school_year, 'unknown') as school_year,
        s.pupil_id, s.school_id, s.hours, e.enrolled_at_end
    from supported s
    left join enrolment e using (pupil_id, school_year)
),

cube as (
    select
        project_code, municipality, school_year,
        grouping(project_code) as all_project,
        grouping(municipality) as all_municipality,
        grouping(school_year) as all_school_year,
        count(distinct pupil_id) as n_pupils_any,
        count(distinct school_id) as n_schools,
        count(distinct municipality) as n_municipalities,
        coalesce(cast(sum(cast(hours as decimal(18, 6))) as double), 0) as support_hours,  -- order-free sum
        count(distinct pupil_id) filter (where enrolled_at_end is not null) as n_on_roster,
        count(distinct pupil_id) filter (where enrolled_at_end) as n_enrolled_at_end,
        -- left by the end of a school year of the cell: a distinct count (a cell's leavers are its
        -- margin's), so the LP audit can treat it as one; on roster − enrolled is not, across years
        count(distinct pupil_id) filter (where not enrolled_at_end) as n_left_year_end
    from rows
    group by cube (project_code, municipality, school_year)
),

final as (
    select
        case when all_project = 1 then 'ALL' else project_code end as project_code,
        case when all_municipality = 1 then 'ALL' else municipality end as municipality,
        case when all_school_year = 1 then 'ALL' else school_year end as school_year,
        n_pupils_any, n_schools, n_municipalities, support_hours, n_on_roster, n_enrolled_at_end,
        n_left_year_end
    from cube
)

select * from final
