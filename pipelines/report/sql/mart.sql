select * from marts.{table}
