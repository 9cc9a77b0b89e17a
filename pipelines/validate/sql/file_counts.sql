-- Per file: rows in staging that passed validation, and rows quarantined at ingest or
-- validation, each data row once (a row breaking three rules is one quarantined row), so
-- rows_read = rows_loaded + rows_quarantined holds for every file.
-- Staged rows per file come from the per-file counts this run kept or recounted (validate_file_months).
with staged as (
    select source_file, sum(row_count) as n
    from validate_file_months
    group by all
),

validate_rejected as (
    select source_file, count(distinct source_line) as n
    from quarantine.rows where stage = 'validate'
    group by all
),

ingest_rejected as (
    select source_file, count(distinct source_line) as n
    from quarantine.rows where stage = 'ingest'
    group by all
),

files as (
    select source_file from staged
    union
    select source_file from ingest_rejected
),

final as (
    select
        f.source_file,
        coalesce(s.n, 0) - coalesce(v.n, 0) as rows_loaded,
        coalesce(i.n, 0) + coalesce(v.n, 0) as rows_quarantined
    from files f
    left join staged s using (source_file)
    left join validate_rejected v using (source_file)
    left join ingest_rejected i using (source_file)
)

select * from final
