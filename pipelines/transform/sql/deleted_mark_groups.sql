-- {delete} (of the rebuilt keys' old core.grades rows), and transform_mark_groups gains the
-- pupil × subject × school year × semester groups of the rows it deleted: groups of
-- core.marks_by_school to recount. Taken from the delete's RETURNING rows, so finding them costs no
-- pass over core.grades of its own. (The new rows' groups: sql/mark_groups.sql. An insert with
-- RETURNING is not used for them: DuckDB then writes the rows at commit, ~1.3 CPU s dearer on the
-- 18k increment than the pass it saves.)
with deleted as (
    {delete}
    returning pupil_id, subject, school_year, semester
)

insert into transform_mark_groups
select distinct pupil_id, subject, school_year, semester
from deleted
