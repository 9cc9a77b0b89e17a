"""expectations/, notebooks/ and docs/ found without `parents[2]`: in the package, or under an explicit root."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.errors import UserError
from pipelines.resources import NAMES, PACKAGED, resource_dir

REPO = Path(__file__).parents[1]


@pytest.mark.parametrize("name", NAMES)
def test_packaged_folders_hold_the_project_files_and_the_wheel_takes_them(name: str) -> None:
    """pipelines/_data/<name> is the repository's folder, and pyproject's package-data puts every
    file of it in the wheel (checked once by hand: `pip wheel .` then a run outside the checkout)."""
    files = sorted(p.name for p in (REPO / name).iterdir() if p.is_file() and not p.name.startswith("."))
    assert sorted(p.name for p in resource_dir(name).iterdir() if p.is_file() and not p.name.startswith(".")) == files
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    globs = patterns["package-data"]["pipelines"]
    shipped = [f for f in files if any(fnmatch(f"_data/{name}/{f}", g) for g in globs)]
    assert shipped == [f for f in files if not f.endswith((".ipynb", ".pyc"))]
    assert resource_dir(name) == PACKAGED / name


def test_an_explicit_root_wins_and_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "project" / "expectations").mkdir(parents=True)
    params = tmp_path / "project" / "params.yaml"
    params.write_text("paths:\n  root: .\n", encoding="utf-8")
    settings = load_settings(params)
    assert settings.project_root == (tmp_path / "project").resolve()
    assert resource_dir("expectations", settings.project_root) == tmp_path / "project" / "expectations"
    with pytest.raises(UserError, match="notebooks"):
        resource_dir("notebooks", settings.project_root)
    assert load_settings(tmp_path / "absent.yaml").project_root is None


def test_the_runner_validates_with_the_suites_under_the_root(tmp_path: Path) -> None:
    """A suite file under the root is read (a malformed one stops the stage; the packaged ones would pass)."""
    from pipelines.runner import run_stages

    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "broken.json").write_text('{"name": "other"}', encoding="utf-8")
    params = tmp_path / "params.yaml"
    params.write_text(f"paths:\n  root: .\n  out: {tmp_path / 'out'}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json"):
        run_stages(load_settings(params), ("validate",), command="validate")
