"""The coverage study at CI size (two seeds, few schools), so its code path cannot rot unnoticed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.coverage import main, summarise
from pipelines.marts import INTERVAL_METHODS


@pytest.mark.slow
def test_tiny_coverage_study_reports_every_method_and_world(tmp_path: Path) -> None:
    jsonl, out = tmp_path / "runs.jsonl", tmp_path / "COVERAGE.md"
    args = ["--worlds", "baseline", "dip", "--schools", "4", "--seeds", "2", "--replicates", "10", "--workers", "1"]
    main([*args, "--jsonl", str(jsonl), "--out", str(out)])
    rows = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(rows) == 4 and all(set(r["methods"]) == set(INTERVAL_METHODS) for r in rows)
    for r in rows:  # every method produced an interval around its own estimate, named as asked
        for method, cell in r["methods"].items():
            assert cell["ci_low"] < cell["effect"] < cell["ci_high"], method
            assert cell["interval_method"] in (method, "cluster_robust")
        assert r["att_matched"] == pytest.approx(0.6)  # one planted effect in both worlds
    lines = summarise(rows)
    assert {(line["world"], line["method"]) for line in lines} == {
        (w, m) for w in ("baseline", "dip") for m in INTERVAL_METHODS
    }
    dip = [line for line in lines if line["world"] == "dip"]
    assert all(line["bias"] < -0.15 for line in dip)  # the dip world's planted bias shows
    text = out.read_text()
    assert "| dip | 4 | wild_cluster_bootstrap | 2 |" in text and "warning_rate" in text
    # resumable: a second call with the same JSONL runs nothing new and writes the same table
    main([*args, "--jsonl", str(jsonl), "--out", str(out)])
    assert len(jsonl.read_text().splitlines()) == 4
