-- validation.quality: one row per school × month (the row's date; rosters and the registry by
-- delivery month; rows rejected at ingest by their file's delivery month). Reads the per-file row
-- counts this run kept or recounted (validate_file_months), the frames only for the rows that are
-- quarantined or flagged, and the quarantine and flags it just wrote.
with summary as (
    select kind, school_id, month, school_year, row_count from validate_file_months where frame <> 'costs'
),

staged as not materialized (
    select kind, source_file, source_line, school_id, month from validate_frame_schools
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_pupils
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_plans
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_consultations
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_grades
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_activities
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_financial_support
    union all
    select kind, source_file, source_line, school_id, month from validate_frame_attendance
),

ingest_rejected as (
    select
        q.source_file, q.source_line,
        any_value(q.kind) as kind,
        any_value(q.school_id) as school_id,
        any_value(coalesce(strftime(f.ingested_at, '%Y-%m'), strftime($reference_date::date, '%Y-%m'))) as month
    from quarantine.rows q
    left join meta.files f on f.file_path = q.source_file
    where q.stage = 'ingest'
    group by q.source_file, q.source_line
),

validate_rejected as (
    select distinct source_file, source_line from quarantine.rows where stage = 'validate'
),

-- the staged rows some quarantine or flag names (few): one pass over the frames
named as materialized (
    select s.source_file, s.source_line, s.school_id, s.month
    from staged s
    semi join (
        select source_file, source_line from validate_rejected
        union
        select source_file, source_line from validation.flags
    ) k on k.source_file = s.source_file and k.source_line = s.source_line
),

received_named as (
    select source_file, source_line, school_id, month from named
    union all
    select source_file, source_line, school_id, month from ingest_rejected
),

row_counts as (
    select
        school_id, month,
        cast(sum(rows_received) as bigint) as rows_received,
        cast(sum(rows_received) - sum(rows_quarantined) as bigint) as rows_loaded,
        cast(sum(rows_quarantined) as bigint) as rows_quarantined
    from (
        select school_id, month, row_count as rows_received, 0 as rows_quarantined from summary
        union all
        select n.school_id, n.month, 0, 1
        from named n
        semi join validate_rejected v on v.source_file = n.source_file and v.source_line = n.source_line
        union all
        select school_id, month, 1, 1 from ingest_rejected
    )
    group by all
),

-- row-level flags by their row's month; school-level ones (line 0) carry the month in value
warning_counts as (
    select school_id, month, sum(n) as warnings
    from (
        select r.school_id, r.month, count(*) as n
        from validation.flags f
        join received_named r using (source_file, source_line)
        group by all
        union all
        select school_id, substr(value, 1, 7) as month, count(*) as n
        from validation.flags
        where source_line = 0
        group by all
    )
    group by all
),

school_months as (
    select school_id, month from row_counts
    union
    select school_id, month from warning_counts
),

-- delivered = rows that could be read; a line rejected at ingest has no trustworthy date or year
dated_kinds as (
    select distinct school_id, month, kind from summary where kind in ('consultations', 'grades')
),

yearly_kinds as (
    select distinct school_id, school_year, kind from summary where kind in ('pupils', 'plans')
),

final as (
    select
        sm.school_id,
        sm.month,
        coalesce(rc.rows_received, 0) as rows_received,
        coalesce(rc.rows_loaded, 0) as rows_loaded,
        coalesce(rc.rows_quarantined, 0) as rows_quarantined,
        coalesce(wc.warnings, 0) as warnings,
        exists (
            select 1 from yearly_kinds y
            where y.school_id = sm.school_id and y.kind = 'pupils' and y.school_year = sy.school_year
        ) as has_roster,
        exists (
            select 1 from yearly_kinds y
            where y.school_id = sm.school_id and y.kind = 'plans' and y.school_year = sy.school_year
        ) as has_plans,
        exists (
            select 1 from dated_kinds d
            where d.school_id = sm.school_id and d.month = sm.month and d.kind = 'consultations'
        ) as has_consultations,
        exists (
            select 1 from dated_kinds d
            where d.school_id = sm.school_id and d.month = sm.month and d.kind = 'grades'
        ) as has_grades
    from school_months sm
    left join row_counts rc
        on rc.school_id is not distinct from sm.school_id and rc.month is not distinct from sm.month
    left join warning_counts wc
        on wc.school_id is not distinct from sm.school_id and wc.month is not distinct from sm.month
    cross join lateral (select school_year_of_month(sm.month) as school_year) sy
)

select * from final
order by school_id nulls last, month nulls last
