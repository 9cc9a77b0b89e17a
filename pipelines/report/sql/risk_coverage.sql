-- Pupils per risk band (and 'ALL') on the latest data date, with how many have an open plan.
select coalesce(risk_band, 'ALL') as risk_band, count(*) as n_pupils,
       count(*) filter (where has_plan) as n_with_plan,
       count(*) filter (where has_plan) / count(*) as share_with_plan
from marts.early_warning
where $municipality is null or municipality = $municipality
group by rollup (risk_band)
