"""Peak memory of ingesting one very long line: a 300 MB line inside a small zip (issue 13).

    .venv/bin/python benchmarks/long_line.py --workdir /tmp/atbalsts-long-line [--mb 300]

Writes `raw/arhivs.zip` holding one grades export whose third line runs on for `--mb` megabytes
(it compresses to a few hundred kB), then runs `atbalsts ingest` on it under `/usr/bin/time -v`
(benchmarks/huge_file.py's `measure`) and reports the peak resident set size, wall time and the
file's status and reason. Before the line limit (params.yaml ingest.max_line_kb) the line was
parsed as one record: ~4.3 GB RSS. Now the member is rejected before it is parsed: its bytes in
memory once, plus Python and DuckDB.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `pipelines` and `benchmarks` importable
    sys.path.insert(0, str(REPO))

from benchmarks.huge_file import HEADER, measure  # noqa: E402

ROW = "15.01.2024;150312-21239;2712900123;Fizika;8;summatīvais\r\n"


def write_archive(path: Path, mb: int) -> int:
    """The zip, written member-first in 1 MB pieces (the generator never holds the line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("vertejumi.csv", "w") as member:
        member.write((";".join(HEADER) + "\r\n" + ROW).encode("cp1257"))
        member.write(b"15.01.2024;150312-21239;2712900123;Fizika")
        for _ in range(mb):
            member.write(b"x" * 2**20)
        member.write(b";8;\r\n" + ROW.encode("cp1257"))
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/atbalsts-long-line"))
    parser.add_argument("--mb", type=int, default=300)
    args = parser.parse_args()
    zipped = write_archive(args.workdir / "raw" / "arhivs.zip", args.mb)
    result = {"line_mb": args.mb, "zip_kb": round(zipped / 1024), **measure(args.workdir)}
    import duckdb  # after the measured child has finished: the parent stays small while it runs

    con = duckdb.connect(str(args.workdir / "out" / "warehouse.duckdb"), read_only=True)
    result["files"] = con.execute("select file_path, status, rows_read, reason from meta.files").fetchall()
    con.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
