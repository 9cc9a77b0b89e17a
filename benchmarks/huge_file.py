"""Peak memory of ingesting one huge export: a single 3-million-row grades file (issue 13, item 7).

    .venv/bin/python benchmarks/huge_file.py --workdir /tmp/atbalsts-huge [--rows 3000000]

Writes one grades export in the contract's format (Latvian headers, `;`, Windows-1257, CRLF, as
a school information system writes it: valid personal codes, dates, subjects, marks in several
notations), then runs `atbalsts ingest` on it under `/usr/bin/time -v` (apt package `time`) and
reports the peak resident set size, wall time and rows loaded. The target: under 2 GB RSS.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `pipelines` importable
    sys.path.insert(0, str(REPO))

HEADER = ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējums", "Vērtējuma veids"]
SUBJECTS = ["Matemātika", "Latviešu valoda", "Angļu valoda", "Fizika", "Ķīmija", "Bioloģija", "Vēsture"]
MARKS = ["8", "7", "6", "9", "5", "10", "4", "nv", "ieskaitīts", "85%"]
KINDS = ["summatīvais", "formatīvais", ""]


def write_grades(path: Path, rows: int, pupils: int = 60_000, seed: int = 7) -> int:
    """One grades export of `rows` rows (written in blocks: the generator itself stays small)."""
    import numpy as np

    from pipelines.personal_code import make_old_code

    rng = np.random.default_rng(seed)
    codes = [make_old_code(1 + i % 28, 1 + i % 12, 2008 + i % 10, i % 1000) for i in range(pupils)]
    schools = [f"27{n:08d}" for n in range(1, 41)]
    path.parent.mkdir(parents=True, exist_ok=True)
    block = 200_000
    with path.open("wb") as f:
        f.write((";".join(HEADER) + "\r\n").encode("cp1257"))
        for start in range(0, rows, block):
            n = min(block, rows - start)
            pupil = rng.integers(0, pupils, n)
            day = rng.integers(0, 270, n)
            subject = rng.integers(0, len(SUBJECTS), n)
            mark = rng.integers(0, len(MARKS), n)
            kind = rng.integers(0, len(KINDS), n)
            lines = []
            for p, d, s, m, k in zip(pupil, day, subject, mark, kind, strict=True):
                month, dom = 9 + d // 28, 1 + d % 28
                year = 2024 if month <= 12 else 2025
                month = month if month <= 12 else month - 12
                lines.append(
                    f"{dom:02d}.{month:02d}.{year};{codes[p]};{schools[p % 40]};{SUBJECTS[s]};{MARKS[m]};{KINDS[k]}\r\n"
                )
            f.write("".join(lines).encode("cp1257"))
    return rows


def measure(workdir: Path) -> dict:
    """`atbalsts ingest` of the raw folder under /usr/bin/time -v: peak RSS, seconds, exit code."""
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)  # a fresh warehouse: the file is loaded, not `unchanged`
    command = [
        "/usr/bin/time",
        "-v",
        str(Path(sys.executable).with_name("atbalsts")),
        "ingest",
        "--raw",
        str(workdir / "raw"),
        "--out",
        str(out),
        "--demo-key",
    ]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    summary = json.loads((out / "run_summary.json").read_text(encoding="utf-8")) if done.returncode == 0 else {}
    return {
        "exit_code": done.returncode,
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024),
        "totals": summary.get("totals"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/atbalsts-huge"))
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--keep-file", action="store_true", help="reuse the grades file if it exists")
    args = parser.parse_args()
    path = args.workdir / "raw" / "vertejumi_valsts.csv"
    if not (args.keep_file and path.exists()):
        write_grades(path, args.rows)
    result = {"rows": args.rows, "file_mb": round(path.stat().st_size / 2**20), **measure(args.workdir)}
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
