"""Time the export stage of a monthly re-run: the LP audit with counts that moved since last published.

    .venv/bin/python benchmarks/export_increment.py --state /tmp/state [--profile]

`--state` is an output folder as it stands just before a second run's export: its warehouse holds the
new month, its `history/` the first run's exports (make it with the demo's June scenario: `atbalsts
sample`, move the `*2026-06*` files aside, `atbalsts run --no-reports`, copy them back, run `ingest`,
`validate`, `transform` and `evaluate`). The warehouse is opened read-only and the exports are written
to a temporary folder, so the state can be measured again and again. Prints the export's seconds, each
audit's rounds, LPs and blocks, and with `--profile` the functions that took the time.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: make `pipelines` importable
    sys.path.insert(0, str(REPO))

from pipelines.config import load_settings  # noqa: E402
from pipelines.export.stage import run_export  # noqa: E402
from pipelines.warehouse import connect  # noqa: E402

RUN_ID = "99991231T235959-bench"  # later than every kept run: each of them counts as earlier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True, help="output folder before the second export")
    parser.add_argument("--profile", action="store_true", help="print the 25 costliest functions")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        if (args.state / "history").is_dir():
            shutil.copytree(args.state / "history", out / "history")
        settings = load_settings(REPO / "params.yaml").with_paths(out=out, warehouse=args.state / "warehouse.duckdb")
        con = connect(settings.warehouse, read_only=True)
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        run_export(con, settings, RUN_ID)
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - start
        con.close()
    print(f"export {seconds:.1f} s")
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
