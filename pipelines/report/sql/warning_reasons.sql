-- Warnings (rows kept) by kind, reason and column, with their message ({message}: message_lv or message_en).
with schools as (select school_id, any_value(municipality) as municipality from core.schools group by 1)

select kind, reason_code, column_name, min({message}) as message,
       count(*) as n_rows, count(distinct source_file) as files
from validation.flags left join schools using (school_id)
where $municipality is null or municipality = $municipality
group by kind, reason_code, column_name
order by n_rows desc, reason_code
