-- Pupils per municipality × risk band (with 'ALL' margins both ways) on the latest data date, with how
-- many have an open plan. Protected as one table (queries.risk_coverage) before a report picks its
-- municipality: the overview's band minus the other municipalities' must not give a withheld one away.
select coalesce(municipality, 'ALL') as municipality, coalesce(risk_band, 'ALL') as risk_band,
       count(*) as n_pupils,
       count(*) filter (where has_plan) as n_with_plan,
       count(*) filter (where has_plan) / count(*) as share_with_plan,
       -- the one school whose pupils make up the row (null where several): never shown, for the insider rule
       case when count(distinct list_school_id) = 1 then min(list_school_id) end as sole_school_id
from marts.early_warning
group by cube (municipality, risk_band)
