"""costs.csv under the same disclosure control as the pupil figures it touches.

* The compensations line is the financial support paid to pupils: withheld wherever support_summary.csv
  withholds that financial support, with complementary cells in costs.csv's own totals, so neither a
  subtraction nor an LP over the file (with the financial support published elsewhere put in) gives back
  two pupils' payments (probe B1).
* EUR per supported pupil and per support hour would give amount ÷ ratio = the exact pupils and hours of
  every project × municipality × year, a count no other file publishes, never checked against k or the
  month-to-month rule: the ratios are published only where esf_indicators.csv publishes (and protects) the
  same pupils, so no count derivable from any file moves by 1..k-1 between two runs (probe B2).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from export_checks import build_support_cube
from lp_attack import table_intervals

from pipelines.changes import record_exports
from pipelines.config import ExportSettings, Settings
from pipelines.export.stage import run_export
from pipelines.warehouse import connect

K = 5
YEAR = "2024/2025"
COST_KEYS = ("project_code", "municipality", "school_year", "cost_category")
# consultation pupils and paid pupils per municipality; Balvu pays two pupils 45.00 and 75.50
PUPILS = {"Balvu": (10, [45.00, 75.50]), "Madonas": (20, None), "Rēzeknes": (12, None), "Rīga": (30, None)}
PAID = {"Madonas": 15, "Rēzeknes": 8, "Rīga": 12}
# PF only pays three of Rīga's pupils (50, 60, 70 EUR) and reports just those compensations
PF_PAID = [50.0, 60.0, 70.0]


def consultations(extra: int = 0) -> pd.DataFrame:
    rows = []
    for municipality, (n, _) in PUPILS.items():
        n += extra if municipality == "Madonas" else 0
        rows += [
            {
                "date": pd.Timestamp("2024-10-01").date(),
                "school_year": YEAR,
                "semester": 1,
                "pupil_id": f"{municipality[:3]}{i:03d}",
                "school_id": f"90000000{len(municipality):02d}",
                "municipality": municipality,
                "staff_id": "s1",
                "staff_role": "teacher",
                "subject": "mathematics",
                "minutes": 40.0 + i,
                "mode": "in_person",
                "group_size": None,
                "project_code": "PA",
            }
            for i in range(n)
        ]
    return pd.DataFrame(rows)


def payments() -> pd.DataFrame:
    rows = []
    for municipality, (_, amounts) in PUPILS.items():
        amounts = amounts or [100.0 + 7.31 * i for i in range(PAID[municipality])]
        rows += [
            {
                "project_code": "PA",
                "municipality": municipality,
                "school_year": YEAR,
                "semester": 1,
                "school_id": f"90000000{len(municipality):02d}",
                "pupil_id": f"{municipality[:3]}{i:03d}",
                "amount_eur": round(amount, 2),
            }
            for i, amount in enumerate(amounts)
        ]
    rows += [
        {**rows[-1], "project_code": "PF", "municipality": "Rīga", "pupil_id": f"Rīg{i:03d}", "amount_eur": amount}
        for i, amount in enumerate(PF_PAID)
    ]
    return pd.DataFrame(rows)


def costs(paid: pd.DataFrame) -> pd.DataFrame:
    """Each municipality's staff and administration, and compensations = the financial support paid there."""
    rows = []
    for j, municipality in enumerate(PUPILS):
        here = (paid["municipality"] == municipality) & (paid["project_code"] == "PA")
        compensations = round(float(paid.loc[here, "amount_eur"].sum()), 2)
        for category, amount in (
            ("remuneration", 5000.0 + 130 * j),
            ("compensations", compensations),
            ("administration", 300.0 + 17 * j),
        ):
            rows.append(
                {
                    "project_code": "PA",
                    "municipality": municipality,
                    "school_year": YEAR,
                    "cost_category": category,
                    "amount_eur": amount,
                }
            )
    rows.append(
        {
            "project_code": "PF",
            "municipality": "Rīga",
            "school_year": YEAR,
            "cost_category": "compensations",
            "amount_eur": sum(PF_PAID),
        }
    )
    return pd.DataFrame(rows)


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, pd.DataFrame]]:
    """Two monthly runs; between them one more pupil in Madonas has a 40-minute consultation."""
    tmp = tmp_path_factory.mktemp("costs")
    settings = replace(Settings(out_dir=tmp / "out"), export=ExportSettings(k=K))
    con = connect(tmp / "w.duckdb")
    paid = payments()
    for name, frame in (("consultations", consultations()), ("financial_support", paid), ("costs", costs(paid))):
        con.register("frame", frame)
        con.execute(f"create table core.{name} as select * from frame")
        con.unregister("frame")
    out = []
    for run, extra in (("20250101T000000-run1", 0), ("20250201T000000-run2", 1)):
        if extra:
            con.register("frame", consultations(extra))
            con.execute(
                "insert into core.consultations select * from frame anti join core.consultations using (pupil_id)"
            )
        build_support_cube(con)
        run_export(con, settings, run)
        record_exports(settings.exports_dir, settings.history_dir, run)
        out.append(
            {
                name: read(settings.exports_dir / f"{name}.csv")
                for name in ("costs", "support_summary", "esf_indicators")
            }
        )
    con.close()
    return out


def test_two_pupils_payments_cannot_be_read_off_costs(runs) -> None:
    files = runs[0]
    summary = files["support_summary"]
    whole = summary[summary["semester"] == "ALL"].set_index(["project_code", "municipality", "school_year"])
    balvu = whole.loc[("PA", "Balvu", YEAR)]
    assert balvu["financial_support_eur"] == ""  # two pupils: withheld in support_summary ...
    frame = files["costs"].copy()
    # ... and an attacker who knows compensations are the financial support puts in every published one
    for i, row in frame.iterrows():
        key = (row["project_code"], row["municipality"], row["school_year"])
        if row["cost_category"] == "compensations" and row["amount_eur"] == "" and key in whole.index:
            frame.loc[i, "amount_eur"] = whole.loc[key, "financial_support_eur"]
    intervals = table_intervals(frame, COST_KEYS, "amount_eur", exact=True)
    low, high = intervals[("PA", "Balvu", YEAR, "compensations")]
    assert low <= 120.50 <= high
    assert high - low >= max(3.0, 0.2 * 120.50), f"two pupils' payments known to lie in [{low}, {high}]"
    # the ratios do not give the amount back either
    row = files["costs"].set_index(list(COST_KEYS)).loc[("PA", "Balvu", YEAR, "compensations")]
    assert row["cost_per_supported_pupil"] == "" and row["cost_per_support_hour"] == ""


def derived_counts(files: dict[str, pd.DataFrame]) -> dict[tuple, float]:
    """Every pupil count anyone can read off: esf_indicators' n_pupils_any, and amount ÷ EUR per pupil."""
    out: dict[tuple, float] = {}
    esf = files["esf_indicators"]
    for row in esf[esf["n_pupils_any"] != ""].itertuples(index=False):
        out[(row.project_code, "ALL", row.school_year)] = float(row.n_pupils_any)
    costs = files["costs"]
    both = costs[(costs["amount_eur"] != "") & (costs["cost_per_supported_pupil"] != "")]
    for row in both.itertuples(index=False):
        count = float(row.amount_eur) / float(row.cost_per_supported_pupil)
        key = (row.project_code, row.municipality, row.school_year)
        assert key not in out or abs(out[key] - count) < 0.5  # the same pupils wherever they are published
        out[key] = round(count)
    return out


def test_no_derived_pupil_count_moves_by_one_between_runs(runs) -> None:
    first, second = derived_counts(runs[0]), derived_counts(runs[1])
    assert first  # the files publish pupil counts at all
    for key in first.keys() & second.keys():
        assert not 1 <= abs(second[key] - first[key]) <= K - 1, f"{key}: {first[key]} → {second[key]}"
    for counts in (first, second):
        assert not any(1 <= n <= K - 1 for n in counts.values())
    # every derived count is a published, protected one: none comes from a municipality's costs row
    assert all(key[1] == "ALL" for key in first.keys() | second.keys())


def test_esf_eur_spent_is_the_protected_costs_total(runs) -> None:
    """PF spent only the three pupils' payments: its total is withheld in costs.csv and esf_indicators.csv."""
    for files in runs:
        esf = files["esf_indicators"].set_index(["project_code", "school_year"])
        assert esf.loc[("PF", YEAR), "eur_spent"] == "" and esf.loc[("PF", "ALL"), "eur_spent"] == ""
        costs = files["costs"].set_index(list(COST_KEYS))
        for row in files["esf_indicators"].itertuples(index=False):
            key = (row.project_code, "ALL", row.school_year, "ALL")
            if key in costs.index:
                assert row.eur_spent == costs.loc[key, "amount_eur"]
                if row.eur_spent == "":
                    assert row.eur_per_pupil == ""
