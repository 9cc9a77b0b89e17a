-- Rows of marts.effectiveness for one breakdown; {cells} picks them (built from fixed conditions in
-- queries.effectiveness, values as $municipality and $school_year).
select * from marts.effectiveness where {cells} order by effect desc nulls last
