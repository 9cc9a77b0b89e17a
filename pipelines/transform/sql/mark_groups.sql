-- transform_mark_groups: the pupil × subject × school year × semester groups of core.grades rows
-- with a rebuilt row_key, run after the insert of the new rows (the old rows' groups come from their
-- delete, sql/deleted_mark_groups.sql): the groups of core.marks_by_school to recount.
insert into transform_mark_groups
select distinct pupil_id, subject, school_year, semester
from core.grades
where row_key in (select row_key from transform_keys)
