-- Files and their rows by load status.
select status, count(*) as files, sum(rows_read) as rows_read, sum(rows_loaded) as rows_loaded,
       sum(rows_quarantined) as rows_quarantined
from meta.files
group by status
order by files desc
