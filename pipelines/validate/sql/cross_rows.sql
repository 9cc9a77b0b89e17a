-- The grades rows whose cross-table rules are judged again this run when the earlier run's hits are
-- kept (stage.py, KEPT_CROSS_FRAME): the rows of the files judged now, and the rows whose registry
-- entry, roster entry (pupil × school × school year, with its grade level: frame_grades.sql), unknown
-- subject standing (validate_unknown_subjects) or side of the reference date changed since the
-- inputs kept in validation.cross_* were current. Every other row's cross-table facts are what they
-- were, so its hits in validation.cross_hits stand. The reference date moves from $window_start to
-- $window_end (equal when it did not move).
with registry as (
    select distinct school_id from staging.schools where school_id is not null
),

registry_changed as (
    (select school_id from registry except select school_id from validation.cross_registry)
    union
    (select school_id from validation.cross_registry except select school_id from registry)
),

rosters as (
    select pupil_id, school_id, school_year, max(grade_level) as grade_level
    from staging.pupils
    group by all
),

rosters_changed as (
    (select * from rosters except select * from validation.cross_rosters)
    union
    (select * from validation.cross_rosters except select * from rosters)
),

subjects as (
    select source_file, source_line, row_count from validate_unknown_subjects where kind = 'grades'
),

subjects_changed as (
    (select * from subjects except select * from validation.cross_unknown_subjects)
    union
    (select * from validation.cross_unknown_subjects except select * from subjects)
),

final as (
    select g.rowid as rid
    from staging.grades g
    semi join (select source_file from validate_files where to_judge) f on f.source_file = g.source_file
    union
    select g.rowid from staging.grades g
    semi join registry_changed r on r.school_id = g.school_id
    union
    select g.rowid from staging.grades g
    semi join rosters_changed r
        on r.pupil_id = g.pupil_id and r.school_id = g.school_id and r.school_year = g.school_year
    union
    select g.rowid from staging.grades g
    semi join subjects_changed s on s.source_file = g.source_file and s.source_line = g.source_line
    union
    select g.rowid from staging.grades g
    where g.date > $window_start and g.date <= $window_end
)

select * from final
