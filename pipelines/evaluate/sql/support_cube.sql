-- marts.support_cube: the consultations counted once for every reader (export's support_by_subject.csv
-- and support_by_role.csv, the report's support tables). One row per breakdown (`subject`, `staff_role`
-- or `mode`) × project × municipality × school year × semester × level of that breakdown, plus 'ALL'
-- margins along every key (GROUP BY CUBE within each breakdown). Every distinct count is computed
-- from row-level data for every margin, never summed from cells: a pupil can be in several cells.
-- core.consultations already holds each consultation row once, so cumulative re-deliveries are
-- counted once. A key that is not given is 'unknown' ('none' for project and subject); a subject no
-- dictionary knows (`~text`) is 'other', never the text.
with consultations as (
    select
        coalesce(project_code, 'none') as project_code,
        coalesce(municipality, 'unknown') as municipality,
        coalesce(school_year, 'unknown') as school_year,
        coalesce(cast(semester as varchar), 'unknown') as semester,
        case when subject like '~%' then 'other' else coalesce(subject, 'none') end as subject,
        coalesce(staff_role, 'unknown') as staff_role,
        coalesce(mode, 'unknown') as mode_level,
        pupil_id,
        staff_id,
        school_id,
        minutes,
        mode
    from core.consultations
),

by_breakdown as (
    select 'subject' as breakdown, subject as level, * exclude (subject, staff_role, mode_level)
    from consultations
    union all
    select 'staff_role', staff_role, * exclude (subject, staff_role, mode_level)
    from consultations
    union all
    select 'mode', mode_level, * exclude (subject, staff_role, mode_level)
    from consultations
),

margins as (
    -- the 32 grouping sets of the cube as bit masks (16 project, 8 municipality, 4 school year,
    -- 2 semester, 1 level); a key totalled over is 'ALL' (the margin tells it from a value 'ALL')
    select range as margin from range(32)
),

finest_ids as (
    -- who is counted in each finest cell: a distinct count over a margin is a distinct count over
    -- these (far fewer rows than consultations)
    select distinct breakdown, project_code, municipality, school_year, semester, level, 'pupil' as kind, pupil_id as id
    from by_breakdown
    union all
    select distinct breakdown, project_code, municipality, school_year, semester, level, 'staff', staff_id
    from by_breakdown
    union all
    select distinct breakdown, project_code, municipality, school_year, semester, level, 'school', school_id
    from by_breakdown
),

distinct_counts as (
    select breakdown, margin, project_code, municipality, school_year, semester, level,
           count(distinct id) filter (where kind = 'pupil') as n_pupils_supported,
           count(distinct id) filter (where kind = 'staff') as n_staff,
           count(distinct id) filter (where kind = 'school') as n_schools
    from (
        select f.breakdown, m.margin,
               case when m.margin & 16 = 16 then 'ALL' else f.project_code end as project_code,
               case when m.margin & 8 = 8 then 'ALL' else f.municipality end as municipality,
               case when m.margin & 4 = 4 then 'ALL' else f.school_year end as school_year,
               case when m.margin & 2 = 2 then 'ALL' else f.semester end as semester,
               case when m.margin & 1 = 1 then 'ALL' else f.level end as level,
               f.kind, f.id
        from finest_ids f
        cross join margins m
    )
    group by all
),

sums as (
    select breakdown, margin, project_code, municipality, school_year, semester, level,
           count(*) as n_consultations,
           coalesce(sum(minutes), 0) / 60.0 as consultation_hours,
           coalesce(sum(minutes) filter (where mode = 'remote'), 0) / 60.0 as hours_remote,
           count(*) filter (where mode = 'remote') / nullif(count(mode), 0) as share_remote
    from (
        select b.breakdown, m.margin,
               case when m.margin & 16 = 16 then 'ALL' else b.project_code end as project_code,
               case when m.margin & 8 = 8 then 'ALL' else b.municipality end as municipality,
               case when m.margin & 4 = 4 then 'ALL' else b.school_year end as school_year,
               case when m.margin & 2 = 2 then 'ALL' else b.semester end as semester,
               case when m.margin & 1 = 1 then 'ALL' else b.level end as level,
               b.minutes, b.mode
        from by_breakdown b
        cross join margins m
    )
    group by all
),

final as (
    select
        breakdown, project_code, municipality, school_year, semester, level,
        d.n_pupils_supported,
        s.n_consultations,
        s.consultation_hours,
        s.hours_remote,
        d.n_staff,
        d.n_schools,
        s.share_remote
    from sums s
    join distinct_counts d using (breakdown, margin, project_code, municipality, school_year, semester, level)
)

select * from final
