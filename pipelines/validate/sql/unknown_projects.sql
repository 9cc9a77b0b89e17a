-- Where each school first wrote each project value that is no known project (project_code 'other'):
-- the school is warned once per distinct value (told apart by its keyed hash; the text is not kept),
-- at its first row across the kinds with a project. Read by the frames of those kinds. Costs name no
-- school: their unknown values are told apart per value only.
with unknown as (
    select 'consultations' as kind, source_file, source_line, school_id, project_text_hash
    from staging.consultations
    where project_text_hash is not null
    union all
    select 'plans', source_file, source_line, school_id, project_text_hash
    from staging.plans
    where project_text_hash is not null
    union all
    select 'activities', source_file, source_line, school_id, project_text_hash
    from staging.activities
    where project_text_hash is not null
    union all
    select 'financial_support', source_file, source_line, school_id, project_text_hash
    from staging.financial_support
    where project_text_hash is not null
    union all
    select 'costs', source_file, source_line, null, project_text_hash
    from staging.costs
    where project_text_hash is not null
),

final as (
    select kind, source_file, source_line
    from unknown
    qualify row_number() over (
        partition by school_id, project_text_hash order by kind, source_file, source_line
    ) = 1
)

select * from final
