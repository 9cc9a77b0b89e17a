"""What is under the raw folder: regular files to read, and symbolic links that are not followed.

Symbolic links are never followed, whatever they point to, and each is reported as skipped:
- to a place outside the raw folder: reading it would load data nobody put in the raw folder
  (or a system file), so it is refused;
- to a file or folder inside the raw folder: that file is read at its own path already, and
  following the link as well would load it twice;
- to nothing (a broken link): there is nothing to read.
Folders are walked without following links, so a linked folder is one skipped entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LINK_OUTSIDE = (
    "Simboliskā saite uz vietu ārpus izejas mapes netiek izmantota / "
    "A symbolic link pointing outside the raw folder is not followed"
)
LINK_INSIDE = (
    "Simboliskā saite netiek izmantota: fails, uz kuru tā norāda, tiek nolasīts savā vietā / "
    "A symbolic link is not followed: the file it points to is read at its own path"
)
LINK_BROKEN = "Simboliskā saite uz neesošu failu / A symbolic link to a missing file"


@dataclass(frozen=True)
class Entry:
    """A path under the raw folder: a file to read, or a link skipped with `skip_reason`."""

    rel: str  # relative to the raw folder, POSIX slashes
    path: Path
    skip_reason: str | None = None


def list_entries(raw_dir: Path) -> list[Entry]:
    """Every regular file and every symbolic link, sorted by relative path (the same order every run)."""
    raw_dir = Path(raw_dir)
    root = Path(os.path.realpath(raw_dir))
    entries = []
    for folder, dirs, files in os.walk(raw_dir, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = path.relative_to(raw_dir).as_posix()
            if path.is_symlink():
                entries.append(Entry(rel, path, link_reason(path, root)))
            elif name in files and path.is_file():
                entries.append(Entry(rel, path))
    return sorted(entries, key=lambda e: e.rel)


def link_reason(path: Path, root: Path) -> str:
    target = Path(os.path.realpath(path))
    if not target.exists():
        return LINK_BROKEN
    return LINK_INSIDE if target == root or root in target.parents else LINK_OUTSIDE
