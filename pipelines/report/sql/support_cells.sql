-- The report's support tables, from marts.support_cube ({support_cube}: the mart, or an empty relation
-- before evaluate has built it): all projects together, every municipality and its 'ALL' margin, every
-- school year and semester, one breakdown ($breakdown: subject, staff_role or mode). The whole table is
-- protected once (queries.protected_support) before any report picks its municipality or year: a cell
-- withheld in one report must not be the overview's minus the other reports'.
with cube as (
    select * from {support_cube}
    where breakdown = $breakdown and project_code = 'ALL'
),

final as (
    select
        municipality,
        school_year,
        semester,
        level,
        n_pupils_supported as pupils,
        n_consultations as consultations,
        consultation_hours as hours,
        hours_remote,
        n_staff as staff,
        n_schools as schools
    from cube
)

select * from final order by municipality, level, school_year, semester
