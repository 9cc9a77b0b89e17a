"""Stages meet only through the warehouse and the shared base modules at `pipelines/` level.

A stage that imports another stage couples their code: export once published evaluate's interval
names by importing evaluate, and report re-applied evaluate's WWC rule and export's disclosure code,
so a change inside one stage reached another without `dvc.yaml` or the registry knowing. Each stage
is its `stage.py` (the wiring) plus pure modules; `__init__.py` is a docstring only, so importing
one pure module never runs a whole stage's imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.stages import NAMES

PACKAGE = Path(__file__).parents[1] / "pipelines"
WIRING = {"stages.py"}  # the registry: it runs every stage (lazily), and is the only base module that may


def imported_modules(path: Path, text: str | None = None) -> set[str]:
    """Every module the file at `path` imports, anywhere in it (also inside functions), with relative
    imports resolved against its package; `text` stands in for the file's own text."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = parts[:-1]  # a module's package; for an __init__.py, the package itself
    source = path.read_text(encoding="utf-8") if text is None else text
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "pipelines" and parts[1] in NAMES else None


@pytest.mark.parametrize("stage", NAMES)
def test_no_stage_imports_another_stage(stage: str) -> None:
    crossings = sorted(
        f"{path.relative_to(PACKAGE.parent)} imports {module}"
        for path in (PACKAGE / stage).rglob("*.py")
        for module in imported_modules(path)
        if stage_of(module) not in (None, stage)
    )
    assert not crossings, "a stage reads another stage's tables, never its code: " + "; ".join(crossings)


def test_base_modules_import_no_stage() -> None:
    """Shared modules sit below the stages: a base module importing a stage would drag it into all."""
    crossings = sorted(
        f"{path.name} imports {module}"
        for path in PACKAGE.glob("*.py")
        if path.name not in WIRING
        for module in imported_modules(path)
        if stage_of(module)
    )
    assert not crossings, crossings


@pytest.mark.parametrize("stage", NAMES)
def test_each_stage_is_stage_py_and_a_docstring_only_init(stage: str) -> None:
    folder = PACKAGE / stage
    assert (folder / "stage.py").is_file(), f"pipelines/{stage}/stage.py holds the stage's wiring"
    body = ast.parse((folder / "__init__.py").read_text(encoding="utf-8")).body
    docstring_only = (
        len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
    )
    assert docstring_only, f"pipelines/{stage}/__init__.py: a docstring only (the wiring is in stage.py)"


def test_the_check_sees_relative_and_function_level_imports() -> None:
    """The two ways a crossing hides: a relative import, and a lazy one inside a function."""
    text = "def f():\n    from ..export import disclosure\n    import pipelines.evaluate.estimate\n"
    found = imported_modules(PACKAGE / "report" / "probe.py", text)
    assert {stage_of(m) for m in found} == {"export", "evaluate"}
