"""`run_export` end to end on a small seeded warehouse: protection, exact totals, determinism, descriptors."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from export_checks import ALL, assert_additive, assert_protected, build_support_cube

from pipelines.config import ExportSettings, Settings
from pipelines.contract import school_year_of, semester_of
from pipelines.errors import UserError
from pipelines.export.files import write_atomic
from pipelines.export.stage import load_support_cube, run_export
from pipelines.export.tables import DOCS_PATH, EFFECTIVENESS, TABLES, render_dictionary
from pipelines.warehouse import connect

SUBJECTS = ["mathematics", "latvian", "english", None]
ROLES = ["teacher", "teaching_assistant", "psychologist", None]
PROJECTS = ["8.3.4.0/16/I/001", "4.2.3.1/1/24/I/001", None]


def consultations(seed: int = 7, n: int = 400) -> pd.DataFrame:
    """Small seeded consultation log: schools of very different sizes so counts fall around k."""
    rng = np.random.default_rng(seed)
    schools = {
        "9000000001": ("Rīga", 40),
        "9000000002": ("Rīga", 12),
        "9000000003": ("Cēsu novads", 6),
        "9000000004": ("Ludzas novads", 2),
    }
    rows = []
    weights = np.array([s[1] for s in schools.values()], dtype=float)
    for _ in range(n):
        school_id = rng.choice(list(schools), p=weights / weights.sum())
        municipality, size = schools[school_id]
        day = date(2024, 9, 2) + timedelta(days=int(rng.integers(0, 300)))
        rows.append(
            {
                "date": day,
                "school_year": school_year_of(day),
                "semester": semester_of(day),
                "pupil_id": f"p{school_id[-1]}{int(rng.integers(0, size)):03d}",
                "school_id": school_id,
                "municipality": municipality,
                "staff_id": f"s{school_id[-1]}{int(rng.integers(0, 3))}",
                "staff_role": ROLES[int(rng.integers(0, len(ROLES)))],
                "subject": SUBJECTS[int(rng.integers(0, len(SUBJECTS)))],
                "minutes": float(rng.choice([20, 40, 45, 90])),
                "mode": rng.choice(["in_person", "remote", None]),
                "group_size": None,
                "project_code": PROJECTS[int(rng.integers(0, len(PROJECTS)))],
            }
        )
    return pd.DataFrame(rows)


def effectiveness() -> pd.DataFrame:
    rows = [
        (
            "8.3.4.0/16/I/001",
            "Rīga",
            "mathematics",
            "2024/2025",
            30,
            90,
            0.41,
            0.256,
            0.1,
            0.41,
            0.3,
            0.05,
            11.8,
            36,  # 6 supported pupils without a comparable peer (1–4 would withhold it)
            "school_bootstrap",
            -0.03,
            -0.2,
            0.14,
            0.081,
            False,
            *(0.7, 0.97, 0.81, 0.31, 0.05, 0.57),  # mdes, prob_positive, prob_above_threshold, pooled + CI
            False,
        ),
        (
            "8.3.4.0/16/I/001",
            "Cēsu novads",
            "mathematics",
            "2024/2025",
            3,
            9,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            3,
            "none",
            None,
            None,
            None,
            None,
            None,
            *(None,) * 6,
            True,
        ),
        (
            "8.3.4.0/16/I/001",
            "Ludzas novads",
            "mathematics",
            "2024/2025",
            12,
            4,
            0.2,
            0.1,
            -0.2,
            0.4,
            0.1,
            0.0,
            4.0,
            15,
            "cluster_robust",
            -0.4,
            -0.7,
            -0.1,
            0.05,
            True,
            *(0.9, 0.8, 0.5, 0.21, -0.1, 0.5),
            False,
        ),
        (
            *("8.3.4.0/16/I/001", ALL, "mathematics", "2024/2025", 45, 103, 0.35, 0.21, 0.05, 0.37, 0.25, 0.04, 9.9),
            *(52, "school_bootstrap", 0.01, -0.1, 0.12, 0.21, False, 0.45, 0.99, 0.9, None, None, None, False),
        ),
    ]
    columns = [c.name for c in EFFECTIVENESS.columns if c.name not in ("estimate_withheld", "suppressed")]
    return pd.DataFrame(rows, columns=[*columns, "suppressed"])


def risk_scores(seed: int = 5) -> pd.DataFrame:
    """marts.early_warning as the evaluate stage leaves it (the columns export reads): one row per pupil,
    municipalities of very different sizes, so risk bands fall around k."""
    rng = np.random.default_rng(seed)
    rows = []
    for municipality, size in (("Rīga", 160), ("Cēsu novads", 40), ("Ludzas novads", 9)):
        for i in range(size):
            band = rng.choice(["high", "medium", "low"], p=[0.06, 0.14, 0.8])
            rows.append((f"{municipality[:3]}{i}", municipality, "2025/2026", band, bool(rng.random() < 0.3)))
    frame = pd.DataFrame(rows, columns=["pupil_id", "municipality", "school_year", "risk_band", "has_plan"])
    frame["as_of"] = pd.Timestamp("2026-03-31")
    # the school whose list shows the pupil: Rīga has two, the others one each (the respondent rule)
    frame["school_id"] = frame["municipality"] + np.where(frame["pupil_id"].str[-1].isin(list("02468")), "-1", "-2")
    frame.loc[frame["municipality"] != "Rīga", "school_id"] = frame["municipality"] + "-1"
    frame["list_school_id"] = frame["school_id"]
    return frame


def warehouse(path: Path, with_effectiveness: bool = True):
    con = connect(path)
    con.register("scores", risk_scores())
    con.execute("create table marts.early_warning as select * from scores")
    frame = consultations()
    con.register("frame", frame)
    con.execute(
        "create table core.consultations as select * exclude (semester), cast(semester as integer) as semester "
        "from frame"
    )
    build_support_cube(con)
    if with_effectiveness:
        con.register("eff", effectiveness())
        con.execute("create table marts.effectiveness as select * from eff")
    return con


def settings(tmp_path: Path, k: int = 5) -> Settings:
    return replace(Settings(out_dir=tmp_path / "out"), export=ExportSettings(k=k))


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", np.nan)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    tmp = tmp_path_factory.mktemp("export")
    con = warehouse(tmp / "w.duckdb")
    raw_subject = load_support_cube(con, "subject")
    raw_role = load_support_cube(con, "staff_role")
    result = run_export(con, settings(tmp), "run-1", excel=True)
    con.close()
    assert len(result.files) == 12
    return tmp / "out" / "exports", raw_subject, raw_role


def test_every_file_is_protected(exported) -> None:
    out, _, _ = exported
    for spec in TABLES:
        frame = read(out / spec.file)
        assert list(frame.columns) == spec.column_names
        assert not set(frame.columns) & {"pupil_id", "staff_id", "school_id", "pupil_code", "staff_name"}
        for column in spec.counts:
            assert_protected(frame, spec.keys, column, 5)
        # suppressed flag is true exactly where something in the row is blank
        blank = frame[list(spec.counts)].isna().any(axis=1)
        assert (frame["suppressed"].eq("true") >= blank).all()


def test_support_files_have_small_cells_and_withhold_them(exported) -> None:
    out, raw_subject, _ = exported
    small = raw_subject["n_pupils_supported"].between(1, 4).sum()
    assert small > 10  # the fixture really exercises primary suppression
    frame = read(out / "support_by_subject.csv")
    withheld = frame["n_pupils_supported"].isna()
    assert withheld.sum() > small  # complementary cells too
    assert frame.loc[withheld, ["consultation_hours", "share_remote", "n_staff"]].isna().all().all()
    assert set(frame["subject"]) <= {"mathematics", "latvian", "english", "none", ALL}


def test_published_values_are_exact_and_margins_add_up(exported) -> None:
    out, raw_subject, raw_role = exported
    keys_s = ["project_code", "municipality", "school_year", "semester", "subject"]
    frame = read(out / "support_by_subject.csv")
    truth = raw_subject.assign(**{k: raw_subject[k].astype(str) for k in keys_s})
    truth = truth.set_index(keys_s).loc[frame.set_index(keys_s).index].reset_index()
    assert_additive(truth, frame, keys_s, "n_consultations")
    grand = frame[(frame[keys_s] == ALL).all(axis=1)].iloc[0]
    raw = consultations()
    assert int(grand["n_consultations"]) == len(raw)
    assert int(grand["n_pupils_supported"]) == raw["pupil_id"].nunique()  # distinct, not a sum of cells
    assert pd.isna(grand["n_schools"]) and grand["suppressed"] == "true"  # only 4 schools: below k
    assert grand["consultation_hours"] == f"{raw['minutes'].sum() / 60:.1f}"
    known = raw["mode"].notna()
    assert grand["share_remote"] == f"{(raw.loc[known, 'mode'] == 'remote').mean():.3f}"
    semester_one = frame[(frame[keys_s[:3]] == ALL).all(axis=1) & frame["semester"].eq("1") & frame["subject"].eq(ALL)]
    assert int(semester_one["n_pupils_supported"].iloc[0]) == raw.loc[raw["semester"] == 1, "pupil_id"].nunique()
    assert len(raw_role) > 0


def test_summary_matches_the_all_rows_of_both_breakdowns(exported) -> None:
    out, _, _ = exported
    summary = read(out / "support_summary.csv")
    # the summary adds activities and financial support (none in this warehouse) beside the consultations
    programme = ["n_pupils_activities", "activity_hours", "n_pupils_financial_support", "financial_support_eur"]
    assert (summary[programme].astype(float) == 0).all().all()
    summary = summary.drop(columns=programme)
    for name, dim in (("support_by_subject.csv", "subject"), ("support_by_role.csv", "staff_role")):
        part = read(out / name)
        part = part[part[dim] == ALL].drop(columns=dim).reset_index(drop=True)
        pd.testing.assert_frame_equal(part, summary)


def test_effectiveness_is_protected_and_estimates_blanked(exported) -> None:
    out, _, _ = exported
    frame = read(out / "effectiveness.csv").set_index("municipality")
    assert frame.loc["Rīga", "effect"] == "0.26" and frame.loc["Rīga", "n_pupils"] == "30"
    assert pd.isna(frame.loc["Cēsu novads", "n_pupils"])  # 3 pupils
    assert frame.loc["Cēsu novads", "estimate_withheld"] == "true"
    assert pd.isna(frame.loc["Ludzas novads", "n_comparison"])  # 4 comparison pupils
    # The complementary partner of Cēsu's 3 pupils is the smallest other cell (Ludzas, 12, not Rīga, 30).
    assert pd.isna(frame.loc["Ludzas novads", "n_pupils"]) and pd.isna(frame.loc["Ludzas novads", "effect"])
    assert frame.loc[ALL, "n_pupils"] == "45" and frame.loc[ALL, "hedges_g"] == "0.25"
    assert frame.loc[ALL, "improvement_index"] == "9.90" and frame.loc[ALL, "suppressed"] == "false"


def test_effectiveness_diagnostics_follow_the_suppression_of_their_estimate(exported) -> None:
    out, _, _ = exported
    frame = read(out / "effectiveness.csv").set_index("municipality")
    columns = list(frame.reset_index().columns)
    added = columns[columns.index("improvement_index") + 1 : columns.index("estimate_withheld")]
    assert added == [
        "n_supported_total", "interval_method", "placebo_effect", "placebo_ci_low", "placebo_ci_high",
        "robustness_value", "design_warning",
        "mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled",
    ]  # fmt: skip
    riga = frame.loc["Rīga"]
    assert (riga["n_supported_total"], riga["interval_method"], riga["placebo_effect"]) == (
        "36",
        "school_bootstrap",
        "-0.03",
    )
    assert (riga["robustness_value"], riga["design_warning"]) == ("0.081", "false")
    # Ludzas is withheld as Cēsu's complementary cell: its warning and method would describe hidden pupils
    ludzas = frame.loc["Ludzas novads"]
    assert ludzas[["n_supported_total", "interval_method", "placebo_effect", "design_warning"]].isna().all()
    assert frame.loc["Cēsu novads"][["n_supported_total", "design_warning"]].isna().all()
    # the figures for decisions are the estimate's too: published with it, withheld with it
    assert (riga["mdes"], riga["prob_positive"], riga["effect_pooled"]) == ("0.70", "0.970", "0.31")
    decision = ["mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled"]
    assert ludzas[decision].isna().all()


def test_manifest_hashes_and_row_counts(exported) -> None:
    out, _, _ = exported
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == "run-1" and manifest["k"] == 5
    names = {f["path"] for f in manifest["files"]}
    assert names == {
        "support_summary.csv",
        "support_by_subject.csv",
        "support_by_role.csv",
        "effectiveness.csv",
        "effectiveness_subgroups.csv",
        "costs.csv",
        "esf_indicators.csv",
        "risk_summary.csv",
        "datapackage.json",
        "data-dictionary.md",
        "atbalsts.xlsx",
    }
    for entry in manifest["files"]:
        data = (out / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        if entry["path"].endswith(".csv"):
            with open(out / entry["path"], encoding="utf-8", newline="") as handle:
                assert entry["rows"] == sum(1 for _ in csv.reader(handle)) - 1
    assert not list(out.glob(".*.tmp"))


def test_rerun_is_byte_identical(exported, tmp_path: Path) -> None:
    out, _, _ = exported
    con = warehouse(tmp_path / "w.duckdb")
    run_export(con, settings(tmp_path), "run-2", excel=True)
    again = tmp_path / "out" / "exports"
    for path in sorted(out.iterdir()):
        if path.name != "manifest.json":
            assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    first = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    second = json.loads((again / "manifest.json").read_text(encoding="utf-8"))
    assert {**first, "run_id": None} == {**second, "run_id": None}
    # Without --excel the stale workbook goes, and the manifest no longer lists it.
    run_export(con, settings(tmp_path), "run-3")
    assert not (again / "atbalsts.xlsx").exists()
    con.close()


def test_datapackage_validates_against_the_files(exported) -> None:
    import frictionless

    out, _, _ = exported
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["path"] for r in descriptor["resources"]} == {spec.file for spec in TABLES}
    assert descriptor["disclosureControl"]["k"] == 5


def test_committed_dictionary_is_current_and_copied(exported) -> None:
    out, _, _ = exported
    assert DOCS_PATH.read_text(encoding="utf-8") == render_dictionary(5), (
        "docs/data-dictionary.md is stale: run pipelines.export.tables.write_docs()"
    )
    assert (out / "data-dictionary.md").read_text(encoding="utf-8") == render_dictionary(5)
    for spec in TABLES:
        for column in spec.column_names:
            assert f"`{column}`" in render_dictionary(5)


def test_larger_k_and_missing_effectiveness(tmp_path: Path) -> None:
    con = warehouse(tmp_path / "w.duckdb", with_effectiveness=False)
    run_export(con, settings(tmp_path, k=10), "run-k10")
    con.close()
    out = tmp_path / "out" / "exports"
    for spec in TABLES[:3]:
        frame = read(out / spec.file)
        for column in spec.counts:
            assert_protected(frame, spec.keys, column, 10)
    assert (out / "effectiveness.csv").read_text(encoding="utf-8").count("\n") == 1  # header only
    import frictionless

    assert frictionless.validate(str(out / "datapackage.json")).valid


def test_missing_core_table_is_a_user_error(tmp_path: Path) -> None:
    con = connect(tmp_path / "empty.duckdb")
    with pytest.raises(UserError, match="transform"):
        run_export(con, settings(tmp_path), "run-x")
    con.close()


def test_write_atomic_keeps_the_old_file_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.csv"
    write_atomic(target, b"old\n")

    def boom(*_args: object) -> None:
        raise OSError("killed")

    monkeypatch.setattr("pipelines.export.files.os.replace", boom)
    with pytest.raises(OSError):
        write_atomic(target, b"new,half")
    assert target.read_bytes() == b"old\n"
    assert list(tmp_path.iterdir()) == [target]
