-- The headline cells' design diagnostics and sample flow ({columns}: those this warehouse has); {cells}
-- picks one municipality and year (queries.design_diagnostics) or `true`: all (queries.protected_flow).
select {columns}
from marts.effectiveness_detail
where project_code = 'ALL' and subject = 'ALL' and {cells}
