"""Which export kind a header row belongs to, and which of its columns are which.

Recognition uses only the header (schools name their files anything): each kind has columns
no other kind has (contract.SIGNATURE). Headers are compared after contract.normalise_text,
so case, diacritics, surrounding spaces and a unit in brackets do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.contract import COLUMNS, HEADER_LOOKUP, SIGNATURE, Column, normalise_text


@dataclass(frozen=True)
class Recognition:
    """kind is None when the header matches no kind (skip); problem is set when the file must be rejected."""

    kind: str | None
    positions: dict[str, int] = field(default_factory=dict)  # canonical column -> header position
    problem: str | None = None


def column_label(col: Column) -> str:
    return f"“{col.latvian}” ({col.name})"


def recognise(headers: list[str | None]) -> Recognition:
    """The kind of a header row, its column positions, or why it cannot be loaded."""
    canonical = [HEADER_LOOKUP.get(normalise_text(h)) if h else None for h in headers]
    present = {c for c in canonical if c}
    candidates = [kind for kind in COLUMNS if SIGNATURE[kind] & present]
    if not candidates:
        return Recognition(None)

    def rank(kind: str) -> tuple[bool, int]:
        complete = all(col.name in present for col in COLUMNS[kind] if col.required)
        return complete, len(SIGNATURE[kind] & present)

    ranked = sorted(candidates, key=rank, reverse=True)
    if len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]):
        names = ", ".join(ranked[:2])
        return Recognition(
            None,
            problem=f"Galvene atbilst vairākiem veidiem ({names}) / The header fits several kinds ({names})",
        )
    kind = ranked[0]
    own = {col.name: col for col in COLUMNS[kind]}
    positions: dict[str, int] = {}
    for i, name in enumerate(canonical):
        if name not in own:
            continue  # a column of another kind or an unknown one is ignored
        if name in positions:
            label = column_label(own[name])
            return Recognition(kind, problem=f"Kolonna {label} ir divreiz / Column {label} appears twice")
        positions[name] = i
    missing = [col for col in COLUMNS[kind] if col.required and col.name not in positions]
    if missing:
        labels = ", ".join(column_label(col) for col in missing)
        return Recognition(
            kind,
            positions,
            problem=f"Trūkst obligātās kolonnas: {labels} / Required column missing: {labels}",
        )
    return Recognition(kind, positions)
