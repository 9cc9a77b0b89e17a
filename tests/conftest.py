"""Shared fixtures: a real small filesystem, for the full-disk and read-only faults; the order of the files."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest-xdist's workers (make test) start with COLUMNS=80 in the environment, which would fix the
# width of the command line's consoles when pipelines.cli is imported: a test that gives one command
# COLUMNS=200 would still get a table wrapped at 80 columns.
os.environ.pop("COLUMNS", None)


class Tmpfs:
    """Real tmpfs mounts under a test's folder, unmounted afterwards. Needs root (CAP_SYS_ADMIN):
    a test that asks for one is skipped where mounting is not allowed."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.mounted: list[Path] = []

    def mount(self, size: str) -> Path:
        """A fresh, empty filesystem of `size` bytes (e.g. "2m")."""
        point = self.base / f"tmpfs{len(self.mounted)}"
        point.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
        self.mounted.append(point)
        return point

    @staticmethod
    def remount(point: Path, options: str) -> None:
        """Change a mount in place: "ro", "rw", "size=200m"."""
        subprocess.run(["mount", "-o", f"remount,{options}", str(point)], check=True, capture_output=True)

    def unmount_all(self) -> None:
        for point in reversed(self.mounted):
            subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Tmpfs]:
    mounts = Tmpfs(tmp_path)
    yield mounts
    mounts.unmount_all()


# The longest test files first: `make test` runs two workers, each taking one file at a time
# (pytest -n 2 --dist loadfile --no-loadscope-reorder keeps this order), and a long file started
# last would leave one worker idle while the other finishes it. From `pytest --durations`
# (CONTRIBUTING.md, "Keeping the suite fast").
LONGEST_FIRST = ("test_pipeline.py", "test_export_stage.py", "test_dvc_stages.py", "test_export_lp_audit.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
