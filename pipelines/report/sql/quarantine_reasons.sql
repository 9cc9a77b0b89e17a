-- Quarantined rows by stage, kind, reason and column, with the (templated) message schools get in
-- the report's language ({message}: message_lv or message_en). Never a row's value.
with schools as (select school_id, any_value(municipality) as municipality from core.schools group by 1)

select stage, kind, reason_code, column_name, min({message}) as message,
       count(*) as n_rows, count(distinct source_file) as files
from quarantine.rows left join schools using (school_id)
where $municipality is null or municipality = $municipality
group by stage, kind, reason_code, column_name
order by n_rows desc, reason_code
