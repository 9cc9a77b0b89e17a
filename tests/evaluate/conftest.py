"""Shared for the evaluate tests: the stage writes into a temporary folder, never into the checkout."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module", autouse=True)
def outputs_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The stage writes the per-school early-warning lists under `paths.out` (relative: data/processed);
    tests that run it with default settings must not write into the checkout."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("evaluate_cwd"))
    yield
    os.chdir(here)
