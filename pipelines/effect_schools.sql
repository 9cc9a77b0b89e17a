-- Shared by export (effectiveness.csv) and report (the sample flow). Per cell of the effect estimates
-- (project × municipality × subject × school year, 'ALL' margins along every key: marts.effectiveness
-- and the sample flow of marts.effectiveness_detail), the one school whose supported pupils make it up, null where several do; for the respondent rule (pipelines/disclosure.py
-- protect_column), never shown. The pupils are the supported episodes ({episodes}: marts.episodes) and
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

select project_code, municipality, subject, school_year,
       case when count(distinct school_id) = 1 then min(school_id) end as sole_school_id
from (
    select case when m.range & 8 = 8 then 'ALL' else s.project_code end as project_code,
           case when m.range & 4 = 4 then 'ALL' else s.municipality end as municipality,
           case when m.range & 2 = 2 then 'ALL' else s.subject end as subject,
           case when m.range & 1 = 1 then 'ALL' else s.school_year end as school_year,
           s.school_id
    from labelled s
    cross join range(16) m
)
group by all
