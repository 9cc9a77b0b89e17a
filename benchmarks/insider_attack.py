"""The respondent (insider) attack on an output folder's support files, measured.

Why: the respondent rule (pipelines/disclosure.py `protect_column`) works equation by equation. This
script checks what a school that alone makes up some cells gets from an LP over every support file at
once, with its own cells filled in at their true values (tests/export/lp_attack.py, written apart from
the pipeline): per such school, how many withheld cells about 1–4 pupils it narrows below the protection
width max(3, 20 %). The figures in docs/data-dictionary.md ("schools as readers") come from here.

Usage: python benchmarks/insider_attack.py <out> [column]   (column: n_consultations, n_pupils_supported)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "export"))
from lp_attack import support_intervals

from pipelines.export.stage import load_support_cube

K = 5


def narrowed(out: Path, column: str) -> dict[str, list]:
    """Per school that alone makes up some cells: the withheld cells about 1–4 pupils it narrows too far."""
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        truth, owner = {}, {}
        for breakdown in ("subject", "staff_role"):
            for row in load_support_cube(con, breakdown).to_dict("records"):
                level = row[breakdown]
                key = (
                    row["project_code"],
                    row["municipality"],
                    row["school_year"],
                    str(row["semester"]),
                    breakdown if level != "ALL" else None,
                    level,
                )
                truth[key] = row
                school = row["sole_school_id"]
                owner[key] = school if isinstance(school, str) else None
    out_by_school = {}
    for school in sorted({s for s in owner.values() if s}):
        known = {key: float(truth[key][column]) for key in truth if owner[key] == school}

        def about_few(key: tuple, school: str = school) -> bool:
            return owner.get(key) != school and key in truth and 1 <= float(truth[key]["n_pupils_supported"]) < K

        intervals = support_intervals(out / "exports", column, column != "n_pupils_supported", about_few, known)
        out_by_school[school] = [
            [list(map(str, key)), low, high, float(truth[key][column])]
            for key, low, high in intervals.itertuples(index=False)
            if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < max(3.0, 0.2 * float(truth[key][column])) - 1e-6
        ]
    return out_by_school


def main() -> None:
    out = Path(sys.argv[1])
    column = sys.argv[2] if len(sys.argv) > 2 else "n_consultations"
    found = narrowed(out, column)
    print(json.dumps({"column": column, "narrowed": sum(len(v) for v in found.values()), "by_school": found}, indent=1))


if __name__ == "__main__":
    main()
