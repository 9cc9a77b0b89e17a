-- core.plans: one row per support plan (pupil × school × plan start × project).
-- A re-delivered plan that gained an end date replaces the open one.
with staged as (
    select * from staging.plans s
    where not exists (
        select 1 from quarantine.rows q
        where q.stage = 'validate' and q.kind = 'plans'
          and q.source_file = s.source_file and q.source_line = s.source_line
    )
),

ranked as (
    select *,
        row_number() over (
            partition by pupil_id, school_id, plan_start, coalesce(project_code, '')
            order by (plan_end is null), plan_end desc, source_file, source_line
        ) as pick
    from staged
),

final as (
    select source_file, source_line, row_key,
           pupil_id, school_id, school_year, plan_start, plan_end, project_code, risk_factors
    from ranked
    where pick = 1
)

select * from final
