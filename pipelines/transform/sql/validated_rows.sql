-- The validated rows of staging.{table} within {scope}, each row_key once: rows validation did
-- not quarantine; of a key that occurs more than once (cumulative re-deliveries), the earliest
-- file/line, so the lineage never depends on load order. Shared by consultations.sql and grades.sql.
-- {scope}: `true` to rebuild the table, else the row_keys to rebuild (see transform/__init__.py).
with staged as not materialized (
    select * from staging.{table} s
    where {scope}
      and not exists (
          select 1 from quarantine.rows q
          where q.stage = 'validate' and q.kind = '{table}'
            and q.source_file = s.source_file and q.source_line = s.source_line
      )
),

-- Only keys that occur more than once need the window (tens of millions of rows otherwise
-- sorted for nothing). A 64-bit hash finds them; a collision only sends a few more rows through
-- the window, which compares the keys themselves.
repeated as (
    select hash(row_key) as key_hash from staged group by key_hash having count(*) > 1
),

final as (
    select * from staged where hash(row_key) not in (select key_hash from repeated)
    union all
    select * exclude (pick) from (
        select *, row_number() over (partition by row_key order by source_file, source_line) as pick
        from staged
        where hash(row_key) in (select key_hash from repeated)
    )
    where pick = 1
)

select * from final
