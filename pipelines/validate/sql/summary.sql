-- Counts for the console: data rows quarantined and warnings, per school, stage and reason.
with quarantined as (
    select
        school_id, stage, 'error' as severity, reason_code,
        count(distinct (source_file, source_line)) as row_count
    from quarantine.rows
    group by all
),

warned as (
    select school_id, 'validate' as stage, severity, reason_code, count(*) as row_count
    from validation.flags
    group by all
),

final as (
    select * from quarantined
    union all
    select * from warned
)

select * from final
order by school_id nulls last, stage, severity, reason_code
