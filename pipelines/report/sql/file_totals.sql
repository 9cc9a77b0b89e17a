-- Files behind the warehouse (loaded now or earlier and unchanged) and their loaded rows.
select count(*) as files, coalesce(sum(rows_loaded), 0) as rows_loaded
from meta.files
where status in ('loaded', 'unchanged')
