-- file_deliverers: grain file (every file with a staged, quarantined or flagged row, and every file
-- rejected or skipped at ingest). The school that DELIVERED the file, so that what a file tells goes
-- back to that school only, never to a school a row names (a typo, a pupil's former school): the
-- validate stage's feedback (feedback.sql) and the evaluate stage's early-warning lists read it from
-- validation.file_deliverers. In order:
--   path:   the one known school id that appears as a whole number in the file's path (its folder,
--           e.g. `madonas-novads/7013971576/`); one that appears only in the file's own name counts
--           only if the file's rows name that school too (or name none): `parcelti_uz_<id>.csv` over
--           rows that all name another school is not that school's delivery (probe5 N2);
--   rows:   else the one school its rows name (a rejected or skipped file's: recorded at ingest);
--   folder: else the one school of the other files in its folder (or archive).
-- Otherwise unknown (school_id null; e.g. a municipality's file with several schools' rows in a folder
-- naming none): readers then fall back to the school each row names.
-- Reads validate_file_school_rows (file_school_rows.sql), meta.files, quarantine.rows, validation.flags.
with not_loaded as (
    select file_path as source_file, school_id
    from meta.files
    where status in ('rejected', 'skipped')
),

school_rows as (
    select source_file, school_id from validate_file_school_rows
),

named as (
    -- every school a file's rows name (staged, quarantined, or recorded for a rejected/skipped file)
    select source_file, school_id from school_rows where school_id is not null
    union
    select source_file, school_id from not_loaded where school_id is not null
),

file_schools as (
    select source_file, min(school_id) as school_id
    from (
        select source_file, school_id from school_rows
        union all
        select source_file, school_id from not_loaded where school_id is not null
    )
    group by all
    having count(distinct school_id) = 1
),

known_schools as (
    select distinct school_id from staging.schools where regexp_full_match(school_id, '[0-9]{5,}')
    union
    select distinct school_id from file_schools where regexp_full_match(school_id, '[0-9]{5,}')
),

all_files as (
    select source_file from school_rows
    union
    select source_file from quarantine.rows
    union
    select source_file from validation.flags
    union
    select source_file from not_loaded
),

path_numbers as (
    -- every whole number in the path (a school id counts only when not part of a longer number)
    select source_file, unnest(regexp_extract_all(source_file, '[0-9]+')) as number
    from all_files
),

path_schools as (
    select p.source_file, min(k.school_id) as school_id
    from path_numbers p
    join known_schools k on k.school_id = p.number
    group by all
    having count(distinct k.school_id) = 1
),

path_confirmed as (
    -- in a folder name the school's own (its delivery folder); in the file name only where the rows agree
    select p.source_file, p.school_id
    from path_schools p
    where list_contains(regexp_extract_all(regexp_replace(p.source_file, '/[^/]*$', ''), '[0-9]+'), p.school_id)
       or p.source_file not in (select source_file from named)
       or exists (select 1 from named n where n.source_file = p.source_file and n.school_id = p.school_id)
),

folder_schools as (
    select regexp_replace(source_file, '/[^/]*$', '') as folder, min(school_id) as school_id
    from file_schools
    where contains(source_file, '/')
    group by all
    having count(distinct school_id) = 1
),

final as (
    select
        f.source_file,
        coalesce(p.school_id, s.school_id, d.school_id) as school_id,
        case
            when p.school_id is not null then 'path'
            when s.school_id is not null then 'rows'
            when d.school_id is not null then 'folder'
        end as found_by
    from all_files f
    left join path_confirmed p using (source_file)
    left join file_schools s using (source_file)
    left join folder_schools d
      on contains(f.source_file, '/') and d.folder = regexp_replace(f.source_file, '/[^/]*$', '')
)

select * from final
