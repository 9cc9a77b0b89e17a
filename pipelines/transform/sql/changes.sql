-- What changed since the last transform, for the tables rebuilt by key (consultations, grades).
-- transform_files: each file with rows in their staging tables, with its version (sha256 and
-- ingested_at from meta.files; a file without a record there counts as changed every run).
create or replace temp table transform_files as
with present as (
    select distinct 'consultations' as kind, source_file from staging.consultations
    union all
    select distinct 'grades' as kind, source_file from staging.grades
),

final as (
    select p.kind, p.source_file, m.sha256, m.ingested_at
    from present p
    left join meta.files m on m.file_path = p.source_file
)

select * from final;

-- transform_changed_files: files whose version differs from the one last read, or that are gone.
create or replace temp table transform_changed_files as
with current_files as (
    select * from transform_files
),

last_read as (
    select * from meta.transform_files
),

final as (
    select cur.kind, cur.source_file from current_files cur
    where cur.sha256 is null or not exists (
        select 1 from last_read prev
        where prev.kind = cur.kind and prev.source_file = cur.source_file
          and prev.sha256 = cur.sha256 and prev.ingested_at is not distinct from cur.ingested_at
    )
    union
    select prev.kind, prev.source_file from last_read prev
    where not exists (
        select 1 from current_files cur
        where cur.kind = prev.kind and cur.source_file = prev.source_file
          and cur.sha256 = prev.sha256 and cur.ingested_at is not distinct from prev.ingested_at
    )
)

select * from final;

-- transform_quarantine: rows validation quarantines now; transform_changed_lines: rows it
-- quarantined then and not now, or now and not then.
create or replace temp table transform_quarantine as
select distinct kind, source_file, source_line
from quarantine.rows
where stage = 'validate' and kind in ('consultations', 'grades');

create or replace temp table transform_changed_lines as
(select * from transform_quarantine except select * from meta.transform_quarantine)
union
(select * from meta.transform_quarantine except select * from transform_quarantine);
