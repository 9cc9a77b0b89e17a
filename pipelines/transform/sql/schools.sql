-- core.schools: one row per school (registry). Grain: school_id.
with staged as (
    select * from staging.schools s
    where school_id is not null
      and not exists (
        select 1 from quarantine.rows q
        where q.stage = 'validate' and q.kind = 'schools'
          and q.source_file = s.source_file and q.source_line = s.source_line
      )
),

ranked as (
    select *, row_number() over (partition by school_id order by source_file, source_line) as pick
    from staged
),

final as (
    select source_file, source_line, row_key, school_id, school_name, municipality, school_type
    from ranked
    where pick = 1
)

select * from final
