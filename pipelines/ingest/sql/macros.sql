-- Typing helpers for one connection. A date is typed only from a 4-digit year, so `15.01.24`
-- is quarantined rather than read as the year 24; `15.01.2024.` (Latvian trailing dot) is fine.
create or replace temp macro ingest_date(x) as
    case
        when regexp_full_match(x, '\d{1,2}\.\d{1,2}\.\d{4}\.?|\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?')
        then cast(try_strptime(rtrim(x, '.'), ['%d.%m.%Y', '%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M']) as date)
    end;

-- Decimal comma or point; `inf`, `nan` and `40 min` are not numbers here, nor is a personal code
-- (`140311.21233` would be stored as a number of minutes: it is quarantined, its value masked).
create or replace temp macro ingest_number(x) as
    case
        when length(x) >= 11 and regexp_matches(x, personal_code_shape()) then null
        when regexp_full_match(x, '[+-]?\d+([.,]\d+)?') then cast(replace(x, ',', '.') as double)
    end;

-- A whole number, also written `3,0`; `3,5` is not one.
create or replace temp macro ingest_integer(x) as
    case when ingest_number(x) = floor(ingest_number(x)) then cast(ingest_number(x) as integer) end;

-- The school-year rule lives in pipelines/contract.sql (contract.school_year_of / semester_of).
create or replace temp macro ingest_school_year(d) as school_year_of(d);

create or replace temp macro ingest_semester(d) as semester_of(d);

-- Part of the text a row_key is hashed from: nulls become '' so the separator count is fixed.
create or replace temp macro ingest_part(x) as coalesce(cast(x as varchar), '');

-- The project part of a row_key: the code (as the text was keyed before codes: a canonical number
-- keeps its old key), or for an unrecognised project its keyed hash, so two unknown values differ.
create or replace temp macro ingest_project_key(code, text_hash) as
    coalesce('other:' || text_hash, upper(code), '');

-- A free-text cell kept as written (subject, role, mode, class, assessment type, grade) is stored
-- as '***' when it holds anything shaped like a personal code: personal_code_shape() is the RE2
-- rendering of personal_code.PERSONAL_CODE_SHAPE, defined by normalise.install_macros.
create or replace temp macro ingest_no_code(x) as
    case when regexp_matches(x, personal_code_shape()) then '***' else x end;

-- A subject no dictionary knows is kept as `~<normalised text>`; with anything shaped like a
-- personal code in it, as `~***` (normalised text has spaces where the code had a hyphen).
create or replace temp macro ingest_subject(x) as
    case when x is not null and ingest_no_code(x) <> x then '~***' else x end;

-- A month `2025-01`, `2025.01`, `01.2025` or `1.2025` (also with a Latvian trailing dot) as its first day;
-- a whole date (a spreadsheet's date cell) gives its month.
create or replace temp macro ingest_month_of(y, m) as
    case when m between 1 and 12 then make_date(y, m, 1) end;

create or replace temp macro ingest_month(x) as
    case
        when regexp_full_match(x, '\d{4}[-.]\d{1,2}\.?')
        then ingest_month_of(cast(regexp_extract(x, '^(\d{4})', 1) as integer),
                             cast(regexp_extract(x, '^\d{4}[-.](\d{1,2})', 1) as integer))
        when regexp_full_match(x, '\d{1,2}\.\d{4}\.?')
        then ingest_month_of(cast(regexp_extract(x, '\.(\d{4})', 1) as integer),
                             cast(regexp_extract(x, '^(\d{1,2})', 1) as integer))
        else cast(date_trunc('month', ingest_date(x)) as date)
    end;

-- An amount of money: a number as ingest_number, spaces (also non-breaking) as thousands separators
-- and a trailing `EUR` or `€` allowed: `1 234,50 €` -> 1234.5.
create or replace temp macro ingest_amount(x) as
    ingest_number(regexp_replace(regexp_replace(x, '\s*(EUR|eur|€)$', ''), '[\s\x{00a0}]', '', 'g'));
