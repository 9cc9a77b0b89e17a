-- The headline cell's design diagnostics and sample flow ({columns}: those this warehouse has).
select {columns}
from marts.effectiveness_detail
where project_code = 'ALL' and subject = 'ALL'
  and municipality = coalesce($municipality, 'ALL') and school_year = coalesce($school_year, 'ALL')
