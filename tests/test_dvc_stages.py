"""dvc.yaml against the code: a stage must depend on every module it runs and every table it reads.

Stale outputs are silent: when `dvc.yaml` left out a dependency, `dvc repro` skipped a stage whose
result had changed (export and report read `core.*` but depended only on the evaluate stamp).
And the committed DVC repository itself: `dvc repro` on a clone runs, then does nothing.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines.sample import write_sample

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
    # SQL a module reads from beside itself (contract.py -> contract.sql) runs as part of it
    beside = {p.with_suffix(".sql") for p in seen if p.with_suffix(".sql").exists()}
    return seen | beside | set(start.rglob("*.sql"))


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


# --- dvc.yaml against the stage registry (pipelines/stages.py) ----------------------------------


def registry():
    from pipelines.stages import STAGES

    return STAGES


def test_dvc_has_the_registry_stages_in_order_each_running_its_command() -> None:
    assert list(STAGES) == [s.name for s in registry()]
    for stage in registry():
        assert STAGES[stage.name]["cmd"] == f"atbalsts {stage.name}"


def out_paths(stage: str) -> dict[str, dict]:
    outs = {}
    for item in STAGES[stage].get("outs", []):
        path, options = next(iter(item.items())) if isinstance(item, dict) else (item, {})
        outs[path] = options or {}
    return outs


@pytest.mark.parametrize("name", list(STAGES))
def test_dvc_outs_are_the_stamp_and_the_folders_the_registry_names(name: str) -> None:
    from pipelines.stages import BY_NAME

    stage = BY_NAME[name]
    expected = {f"data/processed/stages/{name}.json"} if stage.stamped else set()
    expected |= {f"data/processed/{folder}" for folder in stage.outputs}
    outs = out_paths(name)
    assert set(outs) == expected
    assert all(o.get("cache") is False for o in outs.values())
    assert outs.get("data/processed/history", {"persist": True}).get("persist") is True  # kept across runs


@pytest.mark.parametrize("name", list(STAGES))
def test_dvc_deps_are_the_stamps_of_the_stages_whose_tables_it_reads(name: str) -> None:
    from pipelines.stages import BY_NAME, upstream

    stage = BY_NAME[name]
    stamps = {d for d in STAGES[name]["deps"] if d.startswith("data/processed/stages/")}
    assert stamps == {f"data/processed/stages/{s.name}.json" for s in upstream(stage)}
    assert "pipelines/stages.py" in STAGES[name]["deps"]  # its run function (the wiring) lives there


@pytest.mark.parametrize("name", sorted(s for s in STAGES if (PACKAGE / s).is_dir()))
def test_registry_names_every_table_a_stage_reads(name: str) -> None:
    """The registry's `reads` and `owns` cover every earlier stage's table its code mentions."""
    from pipelines.stages import BY_NAME, owner_of

    stage = BY_NAME[name]
    own = [*(PACKAGE / name).rglob("*.py"), *(PACKAGE / name).rglob("*.sql")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in own)
    if name == "report":
        text += "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "notebooks").glob("*.py"))
    earlier = [s.name for s in registry()][: [s.name for s in registry()].index(name)]
    listed = set(stage.reads) | set(stage.owns)
    missing = sorted(
        {
            f"{schema}.{table}"
            for schema, table in TABLE.findall(text)
            if (owner := owner_of(f"{schema}.{table}")) is not None
            and owner.name in earlier
            and not {f"{schema}.{table}", f"{schema}.*"} & listed
        }
    )
    assert not missing, f"pipelines/stages.py: stage {name!r} reads {missing} but does not list them in `reads`"


def test_export_depends_on_the_change_record_it_writes() -> None:
    assert "pipelines/changes.py" in STAGES["export"]["deps"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("dvc", path=os.path.dirname(sys.executable)) is None, reason="dvc not installed")
def test_dvc_repro_twice_second_is_a_noop(tmp_path):
    """The committed DVC repository works as a clone has it: no `dvc init`, data and a key provided."""
    work = tmp_path / "project"
    work.mkdir()
    for name in ("pipelines", "notebooks", "expectations", ".dvc"):
        shutil.copytree(REPO / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "tmp", "cache"))
    for name in ("dvc.yaml", "params.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(REPO / name, work / name)
    write_sample(work / "data" / "raw", schools=3, seed=7)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DVC_NO_ANALYTICS": "1",
        "ATBALSTS_PSEUDONYM_KEY": "test-key-for-dvc-0123456789abcdefghijkl",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    dvc = str(Path(sys.executable).with_name("dvc"))

    def repro() -> subprocess.CompletedProcess:
        return subprocess.run(
            [dvc, "repro"], cwd=work, env=env, capture_output=True, text=True, timeout=900, check=False
        )

    subprocess.run(["git", "init", "-q"], cwd=work, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=work, env=env, check=True)
    subprocess.run(["git", "commit", "-qm", "clone"], cwd=work, env=env, check=True)
    first = repro()
    assert first.returncode == 0, first.stdout + first.stderr
    stamps = {p.name: p.read_text() for p in (work / "data/processed/stages").glob("*.json")}
    second = repro()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Running stage" not in second.stdout
    assert {p.name: p.read_text() for p in (work / "data/processed/stages").glob("*.json")} == stamps
