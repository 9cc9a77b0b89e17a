"""docs/input-contract.md must not drift from the contract and the reason codes the code emits."""

from __future__ import annotations

from pathlib import Path

from pipelines.contract import COLUMNS
from pipelines.ingest.messages import REASONS, ROW_REASONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "input-contract.md"


def test_doc_lists_every_column_and_reason() -> None:
    text = DOC.read_text(encoding="utf-8")
    for kind, columns in COLUMNS.items():
        assert f"### {kind}" in text
        for col in columns:
            assert f"| `{col.name}` | {col.latvian} |" in text, col.name
    for code in [*REASONS, *ROW_REASONS]:
        assert f"`{code}`" in text, code
