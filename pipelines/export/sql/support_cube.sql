-- The support files' rows: marts.support_cube (built once by evaluate) for one breakdown, `subject`
-- or `staff_role` ($breakdown), its `level` under the breakdown's own name ({breakdown}, named by
-- the code). One row per project × municipality × school year × semester × level, 'ALL' margins.
with cube as (
    select * from marts.support_cube where breakdown = $breakdown
),

final as (
    select
        project_code,
        municipality,
        school_year,
        semester,
        level as {breakdown},
        n_pupils_supported,
        n_consultations,
        consultation_hours,
        n_staff,
        n_schools,
        share_remote
    from cube
)

select * from final
