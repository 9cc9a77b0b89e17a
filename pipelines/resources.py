"""The project's data files the package runs with: expectations/, notebooks/, docs/.

In a checkout, `pipelines/_data/<name>` is a symlink to the folder at the top of the repository;
a wheel (`pip install .`) holds copies of the files, so the installed command works outside a
checkout. An explicit project root (`paths.root` in params.yaml) wins over both, so an analyst
can run with edited suites or notebooks without reinstalling.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.errors import UserError

PACKAGED = Path(__file__).resolve().parent / "_data"
NAMES = ("expectations", "notebooks", "docs")


def resource_dir(name: str, root: Path | None = None) -> Path:
    """The folder `name` (one of NAMES) under `root`, or the one installed with the package."""
    if name not in NAMES:
        raise ValueError(f"unknown resource folder {name!r}")
    folder = (Path(root) / name) if root is not None else PACKAGED / name
    if not folder.is_dir():
        raise UserError(
            f"Nav mapes {folder}: pārbaudiet `paths.root` params.yaml vai pārinstalējiet atbalsts. / "
            f"No folder {folder}: check `paths.root` in params.yaml or reinstall atbalsts."
        )
    return folder
