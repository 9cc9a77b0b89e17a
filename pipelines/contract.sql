-- The school-year rule in SQL: the same as contract.school_year_of / semester_of (tests/test_contract.py
-- checks they agree). Temp macros, installed on every connection by contract.install_sql_macros.
-- The school year runs 1 September – 31 August: 2024-10-01 -> '2024/2025'.
create or replace temp macro school_year_of(d) as
    case when month(d) >= 9 then year(d) || '/' || (year(d) + 1) else (year(d) - 1) || '/' || year(d) end;

-- Semester 1 is September–December, semester 2 January–August.
create or replace temp macro semester_of(d) as
    case when month(d) >= 9 then 1 else 2 end;

-- The same for a 'YYYY-MM' month (null when it is not one).
create or replace temp macro school_year_of_month(m) as school_year_of(try_cast(m || '-01' as date));
