"""Validate stage: each rule on a row that breaks it and a row that passes it, where rows end up,
meta.files balance, feedback CSVs and idempotency. One scenario warehouse, validated once."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date

import pytest
from validate_fixtures import NOT_IN_REGISTRY, REFERENCE_DATE, SCHOOL_A, SCHOOL_B, SCHOOL_C, register_files, stage

from pipelines.config import Settings, ValidateSettings
from pipelines.validate.stage import run_validate
from pipelines.warehouse import connect, ensure_schema

ROSTER = "A/skolēni.csv"
PLANS = "A/plāni.csv"
CONS = "A/konsultācijas.csv"
CONS_AGAIN = "A/konsultācijas_v2.csv"
GRADES = "A/vērtējumi.csv"
REGISTRY = "skolas.csv"
ROSTER_B = "B/skolēni.csv"
GRADES_B = "B/vērtējumi.csv"
# school B's grade rows per month: December falls to a quarter of the months before it
B_MONTHLY = {
    date(2024, 9, 10): 12,
    date(2024, 10, 10): 12,
    date(2024, 11, 10): 12,
    date(2024, 12, 10): 3,
    date(2025, 1, 10): 12,
}


def build_scenario(con) -> None:
    stage(
        con,
        "schools",
        REGISTRY,
        [{"school_id": SCHOOL_A}, {"school_id": SCHOOL_B}, {"school_id": "ABC"}, {"school_id": SCHOOL_C}],
    )
    stage(
        con,
        "pupils",
        ROSTER,
        [
            {"pupil_id": "p1", "class_raw": "2.a", "grade_level": 2},  # 2
            {"pupil_id": "p2"},  # 3 passes
            {"pupil_id": "p3", "left_on": date(2024, 5, 10)},  # 4 left before the year began
            {"pupil_id": "p4", "left_on": date(2025, 6, 1)},  # 5 future, same year
            {"pupil_id": "p5", "school_year": "2024/2026"},  # 6
            {"pupil_id": "p6", "school_year": "2024-25"},  # 7
            {"pupil_id": "p7", "class_raw": "13.a", "grade_level": 13},  # 8
            {"pupil_id": "p8", "school_id": NOT_IN_REGISTRY},  # 9
            {"pupil_id": "p9", "left_on": date(2025, 1, 10)},  # 10 passes
        ],
    )
    stage(
        con,
        "plans",
        PLANS,
        [
            {},  # 2 passes: p2, Oct–Dec 2024
            {"plan_start": date(2025, 1, 10), "plan_end": date(2024, 12, 1)},  # 3 reversed
            {"plan_start": date(2025, 4, 1), "plan_end": None},  # 4 starts in the future
            {"pupil_id": "pX", "plan_end": None},  # 5 not on roster
            {"school_id": NOT_IN_REGISTRY},  # 6
        ],
    )
    stage(
        con,
        "consultations",
        CONS,
        [
            {"date": date(2024, 11, 5)},  # 2 passes
            {"date": date(2024, 11, 6), "minutes": 0.0},  # 3
            {"date": date(2024, 11, 7), "minutes": 241.0},  # 4
            {"date": date(2024, 11, 8), "minutes": 240.0},  # 5 passes (boundary)
            {"date": date(2024, 11, 9), "group_size": 0},  # 6
            {"date": date(2025, 4, 1)},  # 7 future
            {"date": date(2024, 11, 12), "mode": None, "mode_raw": "pa telefonu"},  # 8
            {"date": date(2024, 11, 13), "school_id": NOT_IN_REGISTRY},  # 9
            {"date": date(2024, 11, 14), "pupil_id": "pX"},  # 10 not on roster, inside pX's open plan
            {"date": date(2025, 2, 3)},  # 11 outside p2's plan
            {"date": date(2024, 11, 20)},  # 12 duplicate of 13
            {"date": date(2024, 11, 20)},  # 13
            {"date": date(2024, 11, 20), "staff_id": "s2"},  # 14 other staff member: not a duplicate
            {"date": date(2024, 11, 21), "subject": None, "subject_raw": "Astroloģija"},  # 15 as stored before
            {"date": date(2024, 11, 22), "subject": None, "subject_raw": None, "mode": None, "mode_raw": None},  # 16
        ],
    )
    # a cumulative re-delivery repeats line 2's key: not a same-day duplicate
    stage(con, "consultations", CONS_AGAIN, [{"date": date(2024, 11, 5), "row_key": f"{CONS}#2"}])
    stage(
        con,
        "grades",
        GRADES,
        [
            {"pupil_id": "p1", "grade_raw": "A", "grade_kind": "level", "grade_score": None, "grade_level_code": "A"},
            {"pupil_id": "p1", "grade_raw": "7", "grade_score": 7},  # 3 score in grade 2
            {},  # 4 passes: 8 in grade 7
            {"grade_raw": "T", "grade_kind": "level", "grade_score": None, "grade_level_code": "T"},  # 5
            {"pupil_id": "p1", "grade_raw": "11", "grade_score": 11},  # 6 breaks two rules: scale and range
            {"grade_raw": "x", "grade_kind": None, "grade_score": None},  # 7
            {"grade_raw": "120%", "grade_kind": "percent", "grade_score": None, "grade_percent": 120.0},  # 8
            {"grade_raw": "nv", "grade_kind": "no_grade", "grade_score": None},  # 9 passes
            {"pupil_id": "pX", "grade_raw": "9", "grade_score": 9},  # 10 not on roster
            {"date": date(2025, 4, 2)},  # 11 future
            {"subject": "~astrologija", "subject_raw": "ASTROLOĢIJA"},  # 12 as ingest keeps it now
            {"school_id": NOT_IN_REGISTRY},  # 13
        ],
    )
    # what ingest left: two lines of the grades file it could not parse (one without a school)
    con.executemany(
        """insert into quarantine.rows (source_file, source_line, kind, school_id, stage, column_name, value,
                                        reason_code, message_lv, message_en, run_id)
           values (?, ?, 'grades', ?, 'ingest', ?, ?, ?, 'LV', 'EN', 'ingest-run')""",
        [
            (GRADES, 14, SCHOOL_A, "date", "31.02.2025", "unparseable_date"),
            (GRADES, 15, None, "pupil_code", "***", "invalid_personal_code"),
        ],
    )
    stage(con, "pupils", ROSTER_B, [{"pupil_id": "b1", "school_id": SCHOOL_B}])
    b_grades = [{"pupil_id": "b1", "school_id": SCHOOL_B, "date": d} for d, n in B_MONTHLY.items() for _ in range(n)]
    stage(con, "grades", GRADES_B, b_grades)
    con.execute(
        """insert into quarantine.rows (source_file, source_line, kind, school_id, stage, column_name, value,
                                        reason_code, message_lv, message_en, run_id)
           values (?, 99, 'grades', null, 'ingest', 'pupil_code', '***', 'invalid_personal_code', 'LV', 'EN', 'i')""",
        [GRADES_B],
    )
    register_files(con, {GRADES: 2, GRADES_B: 1})


@pytest.fixture(scope="module")
def outcome(tmp_path_factory, runner):
    tmp = tmp_path_factory.mktemp("scenario")
    settings = replace(Settings(out_dir=tmp / "out"), validate=ValidateSettings(today=REFERENCE_DATE))
    con = connect(tmp / "w.duckdb")
    ensure_schema(con)
    build_scenario(con)
    result = run_validate(con, settings, "run-1", runner=runner)
    yield con, settings, result
    con.close()


def where(con, file: str, line: int) -> dict[str, set[str]]:
    """Reason codes for one data row, by destination."""
    q = con.execute(
        "select reason_code from quarantine.rows where stage = 'validate' and source_file = ? and source_line = ?",
        [file, line],
    ).fetchall()
    f = con.execute(
        "select reason_code from validation.flags where source_file = ? and source_line = ?", [file, line]
    ).fetchall()
    return {"quarantine": {r[0] for r in q}, "flags": {r[0] for r in f}}


CLEAN = {"quarantine": set(), "flags": set()}


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        # errors: quarantined, not flagged
        (REGISTRY, 4, {"quarantine": {"invalid_school_id"}, "flags": set()}),
        (ROSTER, 4, {"quarantine": {"date_outside_school_year"}, "flags": set()}),
        (ROSTER, 5, {"quarantine": {"date_in_future"}, "flags": set()}),
        (ROSTER, 6, {"quarantine": {"invalid_school_year"}, "flags": set()}),
        (ROSTER, 7, {"quarantine": {"invalid_school_year"}, "flags": set()}),
        (ROSTER, 8, {"quarantine": {"invalid_class"}, "flags": set()}),
        (ROSTER, 9, {"quarantine": {"unknown_school"}, "flags": set()}),
        (PLANS, 3, {"quarantine": {"plan_end_before_start"}, "flags": set()}),
        (PLANS, 4, {"quarantine": {"date_in_future"}, "flags": set()}),
        (PLANS, 6, {"quarantine": {"unknown_school"}, "flags": set()}),
        (CONS, 3, {"quarantine": {"minutes_out_of_range"}, "flags": set()}),
        (CONS, 4, {"quarantine": {"minutes_out_of_range"}, "flags": set()}),
        (CONS, 6, {"quarantine": {"group_size_invalid"}, "flags": set()}),
        (CONS, 7, {"quarantine": {"date_in_future"}, "flags": set()}),
        (CONS, 8, {"quarantine": {"mode_not_allowed"}, "flags": set()}),
        (CONS, 9, {"quarantine": {"unknown_school"}, "flags": set()}),  # warnings are dropped on quarantined rows
        (GRADES, 3, {"quarantine": {"grade_not_allowed_for_level"}, "flags": set()}),
        (GRADES, 5, {"quarantine": {"grade_not_allowed_for_level"}, "flags": set()}),
        (GRADES, 6, {"quarantine": {"grade_not_allowed_for_level"}, "flags": set()}),
        (GRADES, 7, {"quarantine": {"grade_not_allowed_for_level"}, "flags": set()}),
        (GRADES, 8, {"quarantine": {"grade_not_allowed_for_level"}, "flags": set()}),
        (GRADES, 11, {"quarantine": {"date_in_future"}, "flags": set()}),
        (GRADES, 13, {"quarantine": {"unknown_school"}, "flags": set()}),
        # warnings: kept and flagged
        (PLANS, 5, {"quarantine": set(), "flags": {"pupil_not_on_roster"}}),
        (CONS, 10, {"quarantine": set(), "flags": {"pupil_not_on_roster"}}),
        (CONS, 11, {"quarantine": set(), "flags": {"consultation_outside_plan"}}),
        (CONS, 12, {"quarantine": set(), "flags": {"duplicate_consultation_same_day"}}),
        (CONS, 13, {"quarantine": set(), "flags": {"duplicate_consultation_same_day"}}),
        (CONS, 15, {"quarantine": set(), "flags": {"unknown_subject"}}),
        (GRADES, 10, {"quarantine": set(), "flags": {"pupil_not_on_roster"}}),
        # the same unknown subject at the same school: warned once, on its first row (CONS 15)
        (GRADES, 12, CLEAN),
        # rows that pass every rule
        (REGISTRY, 2, CLEAN),
        (ROSTER, 2, CLEAN),
        (ROSTER, 3, CLEAN),
        (ROSTER, 10, CLEAN),
        (PLANS, 2, CLEAN),
        (CONS, 2, CLEAN),
        (CONS_AGAIN, 2, CLEAN),
        (CONS, 5, CLEAN),
        (CONS, 14, CLEAN),
        (CONS, 16, CLEAN),
        (GRADES, 2, CLEAN),
        (GRADES, 4, CLEAN),
        (GRADES, 9, CLEAN),
    ],
)
def test_each_rule_sends_the_row_where_its_severity_says(outcome, file, line, expected):
    con, _, _ = outcome
    assert where(con, file, line) == expected


def test_quarantine_rows_carry_identity_message_and_no_personal_value(outcome):
    con, _, _ = outcome
    row = con.execute(
        """select kind, school_id, row_key, column_name, value, message_lv, message_en, run_id
           from quarantine.rows where source_file = ? and source_line = 4""",
        [CONS],
    ).fetchall()
    assert row == [
        (
            "consultations",
            SCHOOL_A,
            f"{CONS}#4",
            "minutes",
            "241",
            "Konsultācijas ilgumam jābūt vairāk par 0 un ne vairāk kā 240 minūtēm.",
            "The duration must be more than 0 and at most 240 minutes.",
            "run-1",
        )
    ]
    flag = con.execute(
        "select severity, column_name, value from validation.flags where source_file = ? and source_line = 10",
        [GRADES],
    ).fetchall()
    assert flag == [("warning", "pupil_code", "***")]
    values = {
        r[0]
        for r in con.execute("select value from validation.flags union select value from quarantine.rows").fetchall()
    }
    assert not values & {"p1", "p2", "pX", "s1"}


def test_a_row_breaking_several_rules_has_a_row_per_rule_but_counts_once(outcome):
    con, _, result = outcome
    # 11 for a 2nd-grade pupil: a 10-point mark below grade 4, and outside 1–10
    messages = con.execute(
        """select message_en from quarantine.rows
           where stage = 'validate' and source_file = ? and source_line = 6 order by all""",
        [GRADES],
    ).fetchall()
    assert messages == [
        ("A grade on the 10-point scale must be from 1 to 10.",),
        ("Grades 1–3 are assessed in learning levels (S, T, A, P), not on the 10-point scale.",),
    ]
    files = con.execute(
        "select file_path, rows_read, rows_loaded, rows_quarantined from meta.files order by file_path"
    ).fetchall()
    assert all(read == loaded + quarantined for _, read, loaded, quarantined in files)
    by_file = {f: (loaded, quarantined) for f, _, loaded, quarantined in files}
    assert by_file[GRADES] == (12 - 7, 2 + 7)  # 12 staged, 7 fail validation; 2 failed at ingest
    assert by_file[CONS] == (15 - 6, 6)
    assert by_file[CONS_AGAIN] == (1, 0)
    assert by_file[REGISTRY] == (3, 1)
    assert result.has_errors is True
    assert result.n_quarantined == 1 + 6 + 3 + 6 + 7  # registry, roster, plans, consultations, grades
    # not on roster 3, outside plan 1, same-day pair 2, unknown subject 1 (one value, two rows), volume drops 3
    assert result.n_warnings == 3 + 1 + 2 + 1 + 3


def test_result_counts_per_school_and_reason(outcome):
    _, _, result = outcome
    counts = {(c["school_id"], c["stage"], c["reason_code"]): c["row_count"] for c in result.counts}
    assert counts[(SCHOOL_A, "validate", "pupil_not_on_roster")] == 3  # plan 5, consultation 10, grade 10
    assert counts[(NOT_IN_REGISTRY, "validate", "unknown_school")] == 4  # roster, plan, consultation, grade
    assert counts[(SCHOOL_A, "validate", "grade_not_allowed_for_level")] == 5  # distinct rows, not rules
    assert counts[(SCHOOL_A, "ingest", "unparseable_date")] == 1
    assert counts[(SCHOOL_B, "validate", "monthly_volume_drop")] == 1
    assert (NOT_IN_REGISTRY, "validate", "monthly_volume_drop") not in counts


def test_unknown_subject_is_one_warning_per_school_and_value_with_its_row_count(outcome):
    con, _, _ = outcome
    flags = con.execute(
        """select kind, source_file, source_line, value, row_count from validation.flags
           where reason_code = 'unknown_subject'"""
    ).fetchall()
    assert flags == [("consultations", CONS, 15, "Astroloģija (2 rindas / rows)", 2)]


def test_monthly_volume_drop_flags_the_school_month_not_its_rows(outcome):
    con, _, _ = outcome
    flags = con.execute(
        """select kind, source_file, source_line, column_name, value from validation.flags
           where reason_code = 'monthly_volume_drop' and school_id = ?""",
        [SCHOOL_B],
    ).fetchall()
    # December (3 rows) against September–November (12 a month); October and November pass,
    # January is not judged (its baseline of 9 a month is below the suite's minimum of 10)
    assert flags == [("grades", GRADES_B, 0, "month", "2024-12: 3 (iepriekš vidēji / previous average 12.0)")]


def test_quality_summary_per_school_and_month(outcome):
    con, _, _ = outcome

    def quality(school: str, month: str) -> tuple:
        rows = con.execute(
            """select rows_received, rows_loaded, rows_quarantined, warnings,
                      has_roster, has_plans, has_consultations, has_grades
               from validation.quality where school_id = ? and month = ?""",
            [school, month],
        ).fetchall()
        assert len(rows) == 1
        return rows[0]

    # school A, November 2024: consultations 2–6, 8, 10, 12–16 and the re-delivered line (13 rows,
    # 4 quarantined) and grades 2–10, 12 (10 rows, 5 quarantined); flags on cons 10, 12, 13, 15
    # and grade 10 (grade 12's unknown subject is warned once, on cons 15)
    assert quality(SCHOOL_A, "2024-11") == (23, 14, 9, 5, True, True, True, True)
    # December: nothing delivered, two volume warnings (consultations and grades)
    assert quality(SCHOOL_A, "2024-12") == (0, 0, 0, 2, True, True, False, False)
    # March 2025 (delivery month): registry lines 2, 4, 5 (ABC is its own school), roster lines
    # except the unknown school's, plus the line ingest rejected (its other one has no school)
    assert quality(SCHOOL_A, "2025-03") == (1 + 8 + 1, 1 + 3 + 0, 0 + 5 + 1, 0, True, True, False, False)
    # school B has no plans
    assert quality(SCHOOL_B, "2024-12") == (3, 3, 0, 1, True, False, False, True)


def test_feedback_csv_lists_file_line_reason_and_no_personal_code(outcome):
    _, settings, _ = outcome
    path = settings.feedback_dir / f"{SCHOOL_A}.csv"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    assert list(rows[0]) == ["file", "line", "column", "value", "severity", "reason_code", "message_lv", "message_en"]
    keys = [(r["file"], r["line"], r["column"], r["value"], r["severity"], r["reason_code"]) for r in rows]
    assert (CONS, "4", "minutes", "241", "error", "minutes_out_of_range") in keys
    assert (CONS, "8", "mode", "pa telefonu", "error", "mode_not_allowed") in keys
    assert (GRADES, "10", "pupil_code", "***", "warning", "pupil_not_on_roster") in keys
    assert (GRADES, "14", "date", "31.02.2025", "error", "unparseable_date") in keys  # from ingest
    assert (GRADES, "", "month", "2024-12: 0 (iepriekš vidēji / previous average 10.0)", "warning",
            "monthly_volume_drop") in keys  # fmt: skip
    assert [k for k in keys if k[0] == CONS][:3] == [
        (CONS, "", "month", "2024-12: 0 (iepriekš vidēji / previous average 12.0)", "warning", "monthly_volume_drop"),
        (CONS, "3", "minutes", "0", "error", "minutes_out_of_range"),
        (CONS, "4", "minutes", "241", "error", "minutes_out_of_range"),
    ]
    text = raw.decode("utf-8-sig")
    assert not any(code in text for code in ("p1", "p2", "pX", "s1"))
    assert {r["value"] for r in rows if r["column"] == "pupil_code"} == {"***"}
    assert all(r["message_lv"] and r["message_en"] for r in rows)


def test_feedback_goes_to_the_school_that_delivered_the_file(outcome):
    _, settings, result = outcome
    feedback = settings.feedback_dir
    names = sorted(p.name for p in result.feedback_files)
    # the rows naming a school not in the registry sit in folder A's files: their problems go to A,
    # not to a file of their own; the registry at the top names several schools and no folder, so its
    # rows' problems go to the school each names (ABC: not a 10-digit code)
    assert names == sorted(f"{s}.csv" for s in (SCHOOL_A, SCHOOL_B, SCHOOL_C, "ABC"))
    # a line without a school in a single-school file goes to that school ...
    assert "B/vērtējumi.csv;99;pupil_code;***;error;invalid_personal_code" in (feedback / f"{SCHOOL_B}.csv").read_text(
        encoding="utf-8-sig"
    )
    # ... and in a file naming two schools, to the one school of its folder, told of the other id
    to_a = (feedback / f"{SCHOOL_A}.csv").read_text(encoding="utf-8-sig")
    assert f"{GRADES};15;pupil_code;***;error;invalid_personal_code" in to_a
    assert f"{GRADES};13;school_id;{NOT_IN_REGISTRY} (1 rindas / rows);warning;school_id_other_school" in to_a
    assert f"{GRADES};13;school_id;{NOT_IN_REGISTRY};error;unknown_school" in to_a
    # a registry school with nothing to fix gets the header only
    assert (feedback / f"{SCHOOL_C}.csv").read_text(encoding="utf-8-sig") == (
        "file;line;column;value;severity;reason_code;message_lv;message_en\n"
    )


def test_revalidating_gives_identical_tables(outcome, runner):
    con, settings, _ = outcome

    def snapshot() -> dict[str, list]:
        return {
            "quarantine": con.execute("select * exclude (run_id) from quarantine.rows order by all").fetchall(),
            "flags": con.execute("select * exclude (run_id) from validation.flags order by all").fetchall(),
            "quality": con.execute("select * from validation.quality order by all").fetchall(),
            "files": con.execute("select * from meta.files order by all").fetchall(),
        }

    before = snapshot()
    feedback = (settings.feedback_dir / f"{SCHOOL_A}.csv").read_bytes()
    run_validate(con, settings, "run-2", runner=runner)
    assert snapshot() == before
    assert (settings.feedback_dir / f"{SCHOOL_A}.csv").read_bytes() == feedback
    assert con.execute("select count(*) from quarantine.rows where stage = 'ingest'").fetchall()[0][0] == 3
