"""No personal code or name reaches any warehouse column or the run summary, whatever the school sends."""

from __future__ import annotations

import json

from ingest_fixtures import (
    ANNA,
    BAD_CHECK,
    BERTS,
    CILDA,
    GRADES_HEADER_EN,
    NAMES,
    SCHOOL,
    ingest_dir,
    rows,
    write,
)

from pipelines.run_summary import write_run_summary


def test_no_personal_code_or_name_anywhere(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "skolēni.csv",
        ["Personas kods", "Vārds", "Uzvārds", "Iestādes kods", "Klase", "Mācību gads"],
        [
            [ANNA, "Anna", "Bērziņa", SCHOOL, "7.b", "2024/2025"],
            [BERTS, "Berts", "Kalniņš", SCHOOL, CILDA, "2024/2025"],  # a code where the class belongs: masked
            [BAD_CHECK, "Cilda", "Zariņa", SCHOOL, "7.b", "2024/2025"],
        ],
        sep=";",
        encoding="cp1257",
    )
    write(
        raw / "k.csv",
        ["date", "personal_code", "school_id", "staff_name", "minutes"],
        [
            ["15.01.2024", CILDA.replace("-", ""), SCHOOL, "Ilze Ozoliņa", "40"],
            ["15.01.2024", ANNA, SCHOOL, "Ilze Ozoliņa", "abc"],
            ["xx.01.2024", BERTS, SCHOOL, "Ilze Ozoliņa", "40"],
        ],
    )
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", CILDA, SCHOOL, "Fizika", BERTS.replace("-", ""), ""]])
    ingest_dir(con, raw)
    summary_path = tmp_path / "out" / "run_summary.json"
    write_run_summary(con, summary_path, "r1")
    assert rows(con, "select count(*) from staging.pupils") == [(1,)]
    assert rows(con, "select value from quarantine.rows where column_name = 'class'") == [("***",)]
    assert rows(con, "select count(*) from quarantine.rows") == [(5,)]

    needles = [c for code in (ANNA, BERTS, CILDA, BAD_CHECK) for c in (code, code.replace("-", ""))]
    needles += [n.lower() for n in NAMES] + ["berzina", "ozolina"]
    columns = rows(
        con,
        "select table_schema, table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_catalog = current_database()",
    )
    assert len(columns) > 40
    for schema, table, column in columns:
        values = {v for (v,) in rows(con, f'select distinct "{column}" from {schema}.{table}') if v is not None}
        for value in values:
            low = value.lower()
            leaks = [n for n in needles if n.lower() in low]
            assert not leaks, f"{schema}.{table}.{column} holds personal data"
    summary = summary_path.read_text(encoding="utf-8").lower()
    assert not [n for n in needles if n.lower() in summary]
    assert json.loads(summary)["totals"]["rows_quarantined"] == 5
