-- transform_keys: the row_keys of core.{table} whose validated staging rows may have changed:
-- keys of rows in changed files (new versions in staging, old versions through core's lineage)
-- and keys of rows whose quarantine changed. Every other key keeps the same rows, so its pick
-- (the earliest file/line) cannot change.
create or replace temp table transform_keys as
with changed_files as (
    select source_file from transform_changed_files where kind = '{table}'
),

changed_lines as (
    select source_file, source_line from transform_changed_lines where kind = '{table}'
),

final as (
    select s.row_key from staging.{table} s semi join changed_files using (source_file)
    union
    select c.row_key from core.{table} c semi join changed_files using (source_file)
    union
    select s.row_key from staging.{table} s semi join changed_lines using (source_file, source_line)
)

select * from final
