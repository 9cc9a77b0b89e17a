"""CPU cost of the personal-code shape (probe P3): RE2 in DuckDB, as the ingest macro runs it on
every kept free-text cell, and the Python rendering that masks paths and kept values.

    .venv/bin/python benchmarks/code_shape.py [--cells 5000000] [--warehouse out/warehouse.duckdb]
        [--old path/to/old/personal_code.py]

Times `regexp_matches(x, <shape>)` over `--cells` synthetic cells, each made unique, (ordinary words, and digit-heavy
text: dates, times, amounts, lists) on one DuckDB thread, and, with `--warehouse`, over every kept
text column of a warehouse's staging tables (the macro's inputs as stored) on two threads; then
`looks_like_code` and `mask_codes` over a million short values. `--old` times another version of
`pipelines/personal_code.py` beside this one (e.g. `git show main:pipelines/personal_code.py`).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path
from types import ModuleType

import duckdb

REPO = Path(__file__).resolve().parents[1]
WORDS = [
    "Matemātika", "klātiene", "Psihologs", "Sociālais pedagogs", "Latviešu valoda un literatūra", "7.a", "2025/2026",
    "Transports 40,00 EUR", "P26-9", "attālināti", "Konsultācija pirms ieskaites 2026-01-15, 45 min, grupa 12",
]  # fmt: skip
DIGITS = [
    "05.01.2026 12:30 - 15.01.2026 14:45, 40,00 + 12,50 EUR", "2712900123/2026-01/45", "1 234 567,89 / 2 345,00",
    "Ekskursija uz muzeju 15.01.2026 10:00-12:30", "12:30:45.123456", "2 8 1 2 1 7 2 8 5 x",
]  # fmt: skip
# each cell made unique with a suffix of letters (` bdf`): DuckDB would otherwise run a function once
# per distinct value of a dictionary-compressed column, and the cost measured would be the dictionary's
UNIQUE = "' ' || translate(cast(i as varchar), '0123456789', 'abcdefghij')"
PY_VALUES = ["2713910000", "Matemātika", "madonas-novads/7013971576/konsultacijas_2026-01.csv", "2025/2026", "40"]


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(con: duckdb.DuckDBPyConnection, module: ModuleType, table: str) -> tuple[float, int]:
    start = time.process_time()
    sql = f"select count(*) filter (where regexp_matches(x, {module.code_shape_sql()})) from {table}"
    found = con.execute(sql).fetchone()[0]
    return time.process_time() - start, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5_000_000)
    parser.add_argument("--warehouse", type=Path)
    parser.add_argument("--old", type=Path)
    args = parser.parse_args()
    versions = {"this": load(REPO / "pipelines" / "personal_code.py", "shape_this")}
    if args.old:
        versions["old"] = load(args.old, "shape_old")
    con = duckdb.connect()
    con.execute("set threads = 1")
    for name, values in (("words", WORDS), ("digits", DIGITS)):
        con.execute(
            f"create table {name} as select list_extract($v::varchar[], (i % $n) + 1) || {UNIQUE} as x "
            "from range($c) r(i)",
            {"v": values, "n": len(values), "c": args.cells},
        )
    tables = ["words", "digits"]
    if args.warehouse:
        con.execute(f"attach '{args.warehouse}' as w (read_only)")
        cols = con.execute(
            "select table_name, column_name from duckdb_columns() where database_name = 'w' and schema_name = "
            "'staging' and data_type = 'VARCHAR' and (column_name like '%\\_raw' escape '\\' "
            "or column_name in ('activity_id', 'municipality'))"
        ).fetchall()
        union = " union all ".join(f'select "{c}" as x from w.staging."{t}"' for t, c in cols)
        numbered = f"select x, row_number() over () as i from ({union})"
        con.execute(f"create table kept as select x || {UNIQUE} as x from ({numbered})")
        tables.append("kept")
    for table in tables:
        con.execute(f"set threads = {2 if table == 'kept' else 1}")
        rows = con.execute(f"select count(*) from {table}").fetchone()[0]
        for _round in range(2):
            for name, module in versions.items():
                cpu, found = timed(con, module, table)
                print(f"RE2 {table:6} {rows:>10,} cells  {name:4}  {cpu:.2f} CPU s  ({found:,} shaped like a code)")
    values = PY_VALUES * 200_000
    for name, module in versions.items():
        start = time.process_time()
        sum(module.looks_like_code(v) for v in values)
        middle = time.process_time()
        sum(len(module.mask_codes(v)) for v in values)
        end = time.process_time()
        print(f"Python {len(values):,} values  {name:4}  looks_like_code {middle - start:.2f} s", end="  ")
        print(f"mask_codes {end - middle:.2f} s")


if __name__ == "__main__":
    main()
