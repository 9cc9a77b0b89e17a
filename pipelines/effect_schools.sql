-- Shared by export (effectiveness.csv) and report (the sample flow). Per cell of the effect estimates
-- (project × municipality × subject × school year, 'ALL' margins along every key: marts.effectiveness
-- and the sample flow of marts.effectiveness_detail), the one school whose supported pupils make it up,
-- null where several do; for the respondent rule (pipelines/disclosure.py protect_column), never shown. The pupils are the supported episodes ({episodes}: marts.episodes) and
-- the supported rows of the analysis sample ({sample}: marts.evaluation_sample, whose keys are the
-- cells'), so a school counts wherever either puts one of its pupils. Empty relations before evaluate.
with supported as (
    select project_code, municipality, school_year, subject, school_id from {episodes}
    union
    select project_code, municipality, school_year, subject, school_id from {sample} where treated
),

labelled as (
    select project_code, municipality, school_year,
           case when subject like '~%' then 'other' else subject end as subject, school_id
    from supported
)

select case when grouping(project_code) = 1 then 'ALL' else project_code end as project_code,
       case when grouping(municipality) = 1 then 'ALL' else municipality end as municipality,
       case when grouping(subject) = 1 then 'ALL' else subject end as subject,
       case when grouping(school_year) = 1 then 'ALL' else school_year end as school_year,
       case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
from labelled
group by cube (project_code, municipality, subject, school_year)
