"""Can the pipeline's SQL move to a distributed engine? Parse every .sql file with SQLGlot and transpile it.

Backs the claims in docs/scaling.md. SQLGlot is not a dependency of atbalsts: install it with
`pip install -e '.[scale]'` (or `pip install sqlglot`) and run

    .venv/bin/python benchmarks/transpile_sql.py [--write benchmarks/transpile_sql_result.json]

For each target dialect it reports the files that transpile without an "unsupported" error, and the
functions SQLGlot does not know (our DuckDB macros and a few DuckDB built-ins): each of those would
have to exist as a UDF or SQL function on the target engine. Transpiling is a necessary check, not a
sufficient one: nothing here executes the SQL on Spark or Trino (neither runs on this machine).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

ROOT = Path(__file__).resolve().parents[1]
DIALECTS = ("spark", "trino")


def sql_files() -> list[Path]:
    return sorted((ROOT / "pipelines").rglob("*.sql"))


def plain_sql(path: Path) -> str:
    """The file with its template slots filled by dummy names, so it parses on its own."""
    text = re.sub(r"\{(\w+)\}", lambda m: f"dummy_{m.group(1)}", path.read_text(encoding="utf-8"))
    return re.sub(r"\$(\w+)", lambda m: f"param_{m.group(1)}", text)


def transpile_all() -> dict:
    result: dict = {"sqlglot": sqlglot.__version__, "files": len(sql_files()), "dialects": {}}
    unknown: Counter[str] = Counter()
    for path in sql_files():
        text = plain_sql(path)
        for tree in sqlglot.parse(text, read="duckdb"):
            if tree is not None:
                unknown.update(node.name.lower() for node in tree.find_all(exp.Anonymous))
    for dialect in DIALECTS:
        failures = {}
        for path in sql_files():
            try:
                sqlglot.transpile(plain_sql(path), read="duckdb", write=dialect, unsupported_level=ErrorLevel.RAISE)
            except (ParseError, UnsupportedError) as error:
                failures[path.relative_to(ROOT).as_posix()] = str(error).splitlines()[0][:160]
        result["dialects"][dialect] = {"ok": result["files"] - len(failures), "failures": failures}
    result["functions_unknown_to_sqlglot"] = dict(unknown.most_common())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="also write the result as JSON")
    args = parser.parse_args()
    result = transpile_all()
    for dialect, outcome in result["dialects"].items():
        print(f"{dialect}: {outcome['ok']} of {result['files']} files transpile")
        for name, error in outcome["failures"].items():
            print(f"  {name}: {error}")
    print("functions to provide as UDFs:", ", ".join(result["functions_unknown_to_sqlglot"]))
    if args.write:
        args.write.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
