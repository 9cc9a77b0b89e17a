-- early_warning_features: grain pupil × snapshot (one row per pupil enrolled on the snapshot's date).
-- A snapshot (ew_snapshots: school_year, as_of, year_start, prev_year) is a date at which the indicators
-- are read: only data dated on/before as_of (and the roster's leaving dates) are used, so a training
-- snapshot sees what a school would have seen that day. Marks count from the school year's start.
-- Parameters: $recent_days (the "recent" part of the year for the fall in the mean mark).
-- ew_deliverers (source_file, school_id): the school that delivered each file (validation.file_deliverers,
-- found by the validate stage). A row's list school (`list_school_id`) is its file's deliverer, else (unknown
-- deliverer) the school the row names: a row naming school A in school B's file goes to B's list, never A's.
with snapshots as (
    select school_year, as_of, year_start, prev_year from ew_snapshots
),

deliverers as (
    select source_file, school_id as deliverer from ew_deliverers where school_id is not null
),

enrolled as (
    -- on the year's roster and not left by as_of; a pupil on two rosters keeps the school still attended,
    -- then a row naming the school that delivered it before one naming another school (a typo, or a
    -- pupil the other school reports: the named school's own row wins, the deliverer of the other sees
    -- nothing)
    select s.school_year, s.as_of, s.year_start, s.prev_year,
           p.pupil_id, p.school_id, coalesce(d.deliverer, p.school_id) as list_school_id,
           p.grade_level, p.course_year, p.gender, p.class_raw,
           p.source_file, p.source_line,
           row_number() over (
               partition by s.as_of, p.pupil_id
               order by (p.left_on is null) desc, (coalesce(d.deliverer, p.school_id) = p.school_id) desc,
                        p.left_on desc, p.source_file desc, p.source_line desc
           ) as pick
    from core.pupils p
    join snapshots s on p.school_year = s.school_year
    left join deliverers d using (source_file)
    where p.left_on is null or p.left_on > s.as_of
),

current_school as (
    select * exclude (pick) from enrolled where pick = 1
),

schools as (
    select school_id, municipality from core.schools
),

marks as (
    -- as scored_marks.sql, plus nv: term and year marks summarise marks already counted
    select pupil_id, date, grade_kind, grade_score
    from core.grades
    where date is not null
      and coalesce(assessment_type, 'unknown') not in ('term', 'year')
),

mark_indicators as (
    select c.as_of, c.pupil_id,
           count(*) filter (where m.grade_kind = 'score' and m.grade_score between 1 and 10) as n_scored,
           count(*) filter (where m.grade_kind = 'score' and m.grade_score between 1 and 3) as n_failing,
           count(*) filter (where m.grade_kind = 'no_grade') as n_nv,
           count(*) as n_marks,
           avg(m.grade_score) filter (where m.grade_kind = 'score' and m.grade_score between 1 and 10) as mean_mark,
           avg(m.grade_score) filter (
               where m.grade_kind = 'score' and m.grade_score between 1 and 10
                 and m.date <= c.as_of - to_days(cast($recent_days as integer))
           ) as mean_earlier,
           avg(m.grade_score) filter (
               where m.grade_kind = 'score' and m.grade_score between 1 and 10
                 and m.date > c.as_of - to_days(cast($recent_days as integer))
           ) as mean_recent
    from current_school c
    join marks m on m.pupil_id = c.pupil_id and m.date between c.year_start and c.as_of
    group by all
),

history as (
    -- the previous school year's rosters and this year's other schools (left by as_of)
    select c.as_of, c.pupil_id,
           -- a grade, or a vocational course year, again (a course year is never compared with a grade)
           bool_or(
               p.school_year = c.prev_year
               and (p.grade_level >= c.grade_level or p.course_year >= c.course_year)
           ) as repeated_grade,
           bool_or(
               p.school_id <> c.school_id
               -- after grade 9, secondary school or a vocational school's first course is no change
               and not (
                   p.school_year = c.prev_year and p.grade_level = 9
                   and (c.grade_level = 10 or c.course_year = 1)
               )
           ) as school_change
    from current_school c
    join core.pupils p
      on p.pupil_id = c.pupil_id
     and (p.school_year = c.prev_year or (p.school_year = c.school_year and p.left_on <= c.as_of))
    group by all
),

plan_schools as (
    -- a plan is the school's that delivered its file (else, deliverer unknown, the school it names)
    select pl.*, coalesce(d.deliverer, pl.school_id) as plan_school
    from core.plans pl
    left join deliverers d using (source_file)
),

plans as (
    -- the model reads every school's plans (the pupil's whole record); the school's own list shows only
    -- its own (school_has_plan, school_risk_codes): a plan and its risk factors stay with the school
    -- that made them (docs/method.md, "Where it goes")
    select c.as_of, c.pupil_id,
           bool_or(pl.plan_end is null or pl.plan_end >= c.as_of) as has_plan,
           list_distinct(flatten(list(string_split(coalesce(pl.risk_factors, ''), ';')))) as risk_codes,
           coalesce(
               bool_or(pl.plan_end is null or pl.plan_end >= c.as_of)
                   filter (where pl.plan_school = c.list_school_id),
               false
           ) as school_has_plan,
           list_distinct(flatten(
               list(string_split(coalesce(pl.risk_factors, ''), ';')) filter (where pl.plan_school = c.list_school_id)
           )) as school_risk_codes
    from current_school c
    join plan_schools pl on pl.pupil_id = c.pupil_id and pl.plan_start <= c.as_of
    group by all
),

final as (
    select c.school_year, c.as_of,
           c.pupil_id, c.school_id, c.list_school_id, s.municipality,
           c.grade_level, c.course_year, c.gender, c.class_raw,
           c.source_file, c.source_line,
           coalesce(m.n_scored, 0) as n_scored,
           coalesce(m.n_failing, 0) as n_failing,
           coalesce(m.n_nv, 0) as n_nv,
           coalesce(m.n_marks, 0) as n_marks,
           m.mean_mark,
           m.mean_earlier - m.mean_recent as mark_fall,
           coalesce(h.repeated_grade, false) as repeated_grade,
           coalesce(h.school_change, false) as school_change,
           coalesce(pl.has_plan, false) as has_plan,
           coalesce(list_filter(pl.risk_codes, lambda x: x <> ''), []) as risk_codes,
           coalesce(pl.school_has_plan, false) as school_has_plan,
           coalesce(list_filter(pl.school_risk_codes, lambda x: x <> ''), []) as school_risk_codes
    from current_school c
    left join schools s using (school_id)
    left join mark_indicators m using (as_of, pupil_id)
    left join history h using (as_of, pupil_id)
    left join plans pl using (as_of, pupil_id)
)

select * from final
