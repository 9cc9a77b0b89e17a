"""dvc.yaml against the code: a stage must depend on every module it runs and every table it reads.

Stale outputs are silent: when `dvc.yaml` left out a dependency, `dvc repro` skipped a stage whose
result had changed (export and report read `core.*` but depended only on the evaluate stamp).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]
PACKAGE = REPO / "pipelines"
# Which stage's stamp changes when a table of this schema (or this table) changes.
PRODUCER = {"staging": "ingest", "meta.files": "ingest", "quarantine": "validate", "validation": "validate"}
PRODUCER |= {"core": "transform", "marts": "evaluate"}
TABLE = re.compile(r"\b(staging|core|marts|quarantine|validation|meta)\.([a-z_]+)\b")
# Modules only the command line runs: they wire stages together but compute nothing a stage stores.
WIRING = {"pipelines/cli.py", "pipelines/status.py", "pipelines/sample"}


def dvc_stages() -> dict[str, dict]:
    text = (REPO / "dvc.yaml").read_text(encoding="utf-8")
    out = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))["paths"]["out"]
    return yaml.safe_load(text.replace("${paths.out}", out).replace("${paths.raw}", "data/raw"))["stages"]


def module_file(name: str) -> Path | None:
    path = REPO / Path(*name.split("."))
    if path.is_dir():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").exists() else None


def imported_files(start: Path) -> set[Path]:
    """Every pipelines/ file a stage package imports, transitively, with the SQL beside it."""
    seen: set[Path] = set()
    todo = sorted(start.rglob("*.py"))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("pipelines")]
            todo += [f for n in names if (f := module_file(n)) and f not in seen]
    return seen | set(start.rglob("*.sql"))


def covered(path: Path, deps: list[str]) -> bool:
    rel = path.relative_to(REPO).as_posix()
    return any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps)


STAGES = dvc_stages()


@pytest.mark.parametrize("stage", sorted(s for s in STAGES if (PACKAGE / s).is_dir()))
def test_stage_depends_on_every_module_it_runs(stage: str) -> None:
    deps = STAGES[stage]["deps"]
    missing = sorted(
        p.relative_to(REPO).as_posix()
        for p in imported_files(PACKAGE / stage)
        if not covered(p, deps) and not covered(p, sorted(WIRING)) and p != PACKAGE / "__init__.py"
    )
    assert not missing, f"dvc.yaml stage {stage!r} runs these files but does not depend on them: {missing}"


@pytest.mark.parametrize("stage", sorted(s for s in STAGES if (PACKAGE / s).is_dir()))
def test_stage_depends_on_the_stamp_of_every_table_it_reads(stage: str) -> None:
    deps = set(STAGES[stage]["deps"])
    own = [*(PACKAGE / stage).rglob("*.py"), *(PACKAGE / stage).rglob("*.sql")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in own)
    if stage == "report":
        text += "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "notebooks").glob("*.py"))
    earlier = list(STAGES)[: list(STAGES).index(stage)]  # a later stage's tables are ones this stage writes
    producers = {PRODUCER.get(f"{s}.{t}", PRODUCER.get(s)) for s, t in TABLE.findall(text)} & set(earlier)
    needed = {f"data/processed/stages/{p}.json" for p in producers}
    assert needed <= deps, f"dvc.yaml stage {stage!r} reads tables of {sorted(producers)}; add {sorted(needed - deps)}"
