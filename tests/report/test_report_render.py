"""The notebook runner: kernels started side by side must not race for TCP ports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from pipelines.report.render import execute

pytestmark = pytest.mark.slow

NOTEBOOK = """# %% tags=["parameters"]
label = ""

# %%
from ipykernel.connect import get_connection_info

print(label, get_connection_info(unpack=True)["transport"])
"""


def test_kernels_started_together_talk_over_unix_sockets(tmp_path) -> None:
    """Four kernels at once all start (a TCP port clash killed one in CI) and none uses TCP."""
    source = tmp_path / "probe.py"
    source.write_text(NOTEBOOK, encoding="utf-8")

    def run(index: int) -> str:
        nb = execute(source, tmp_path / f"probe-{index}.ipynb", {"label": f"kernel-{index}"})
        return "".join(out.get("text", "") for cell in nb.cells for out in cell.get("outputs", []))

    with ThreadPoolExecutor(max_workers=4) as pool:
        printed = list(pool.map(run, range(4)))
    assert printed == [f"kernel-{i} ipc\n" for i in range(4)]
