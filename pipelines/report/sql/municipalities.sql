select distinct municipality from core.schools where municipality is not null order by 1
