-- marts.effectiveness for the report; {cells} picks rows (`true`: all of them, which
-- queries.protected_effectiveness protects as one table before a report picks its cells).
select * from marts.effectiveness where {cells} order by all
