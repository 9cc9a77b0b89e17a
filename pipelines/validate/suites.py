"""Great Expectations around the suites in `expectations/`: load them, run them on pandas chunks,
and turn each failing expectation into rows that name the reason, severity and message.

The suite files are the rule book: every expectation carries in its `meta` the reason code,
severity (`error` quarantines the row, `warning` flags it), the column shown to the school, the
frame column whose value is shown, and the message in Latvian and English. Nothing here knows a
rule; it only runs GX and reads `meta`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from pipelines.contract import COLUMNS, PERSONAL_COLUMNS
from pipelines.personal_code import MASK, PERSONAL_CODE_SHAPE
from pipelines.resources import PACKAGED

SUITES_DIR = PACKAGED / "expectations"  # the runner passes resources.resource_dir(...) to honour paths.root

SEVERITIES = ("error", "warning")
GX_SEVERITY = {"error": "critical", "warning": "warning"}
META_KEYS = ("reason_code", "severity", "column_name", "value_column", "message_lv", "message_en")
ID_COLUMNS = ("kind", "source_file", "source_line", "row_key", "school_id", "month")
# A hit names its row by frame and row id only; the identity columns (long strings) are joined back
# in SQL for the few failing rows, so the chunks GX judges carry only the columns the rules read.
HIT_COLUMNS = ("frame", "rid", "severity", "reason_code", "column_name", "value", "message_lv", "message_en")

# Frame columns the frame SQL (sql/frame_*.sql) derives from *other* rows or tables, or from the
# run's reference date (today, unless set). A rule reading one of them (or showing it as its value)
# is cross-table: it can change when another file arrives or a day passes, so it is judged on every
# row every run. All other rules are row-local: their outcome depends only on the row itself (its
# file's ingest record and the other parameters), so a row of a file judged before with the same
# rules and parameters keeps its earlier outcome (stage.py, incremental mode).
CROSS_TABLE_COLUMNS: dict[str, frozenset[str]] = {
    "consultations": frozenset(
        {
            "school_known",
            "on_roster",
            "in_plan",
            "consultations_same_day",
            "days_after_reference",
            "first_unknown_project",
            "first_unknown_subject",
            "unknown_subject_note",
        }
    ),
    "grades": frozenset(
        {
            "school_known",
            "on_roster",
            "grade_level",
            "days_after_reference",
            "first_unknown_subject",
            "unknown_subject_note",
        }
    ),
    "plans": frozenset({"school_known", "on_roster", "days_after_reference", "first_unknown_project"}),
    "pupils": frozenset({"school_known", "days_after_reference"}),
    "schools": frozenset(),
    # in_project_period reads contract.PROJECT_PERIODS, which no file version fingerprints: judged every run
    "activities": frozenset(
        {
            "school_known",
            "on_roster",
            "days_after_reference",
            "first_unknown_project",
            "in_project_period",
            "first_unknown_subject",
            "unknown_subject_note",
        }
    ),
    "financial_support": frozenset(
        {"school_known", "on_roster", "days_after_reference", "first_unknown_project", "in_project_period"}
    ),
    "costs": frozenset({"municipality_known", "days_after_reference", "first_unknown_project", "in_project_period"}),
    "attendance": frozenset(
        {
            "school_known",
            "on_roster",
            "days_after_reference",
            "lessons_on_day",
            "overlaps_other_period",
            "first_unknown_subject",
            "unknown_subject_note",
        }
    ),
}
# frames of aggregates over many files: every rule on them is cross-table
CROSS_TABLE_FRAMES = frozenset({"monthly_volume"})
PARTS = ("local", "cross")


def masked_columns() -> frozenset[str]:
    """Column names whose values are never shown: personal columns under every accepted spelling,
    and the pseudonyms (they identify a pupil across files just as well)."""
    names = {"pupil_id", "staff_id", *PERSONAL_COLUMNS}
    for columns in COLUMNS.values():
        for col in columns:
            if col.name in PERSONAL_COLUMNS:
                names.update((col.latvian, *col.aliases))
    return frozenset(names)


MASKED_COLUMNS = masked_columns()


@dataclass(frozen=True)
class Suite:
    """One suite file: its name (`grades.critical`), the frame it judges, and its JSON."""

    name: str
    frame: str
    severity: str
    definition: dict[str, Any]

    @property
    def rules(self) -> list[dict[str, Any]]:
        return [e["meta"] for e in self.definition["expectations"]]


def load_suites(directory: Path = SUITES_DIR) -> list[Suite]:
    """Read every `<name>.<severity>.json`; fail loudly on a rule without its meta, since a rule
    that cannot say why it fired would quarantine rows silently."""
    suites = []
    for path in sorted(Path(directory).glob("*.json")):
        definition = json.loads(path.read_text(encoding="utf-8"))
        name = path.stem
        severity = name.rsplit(".", 1)[-1].replace("critical", "error")
        frame = definition.get("meta", {}).get("frame")
        if definition.get("name") != name or not frame or severity not in SEVERITIES:
            raise ValueError(
                f"{path.name}: expected name '{name}', meta.frame, and a name ending in .critical or .warning"
            )
        for i, expectation in enumerate(definition["expectations"]):
            meta = expectation.get("meta", {})
            missing = [k for k in META_KEYS if not meta.get(k)]
            if missing or meta["severity"] != severity or expectation.get("severity") != GX_SEVERITY[severity]:
                raise ValueError(f"{path.name}: expectation {i} lacks {missing} or its severity differs from the suite")
        suites.append(Suite(name=name, frame=frame, severity=severity, definition=definition))
    if not suites:
        raise FileNotFoundError(f"No expectation suites in {directory}")
    return suites


@contextmanager
def quiet_gx() -> Iterator[None]:
    """GX logs and warns freely; none of it helps the analyst, so keep the console clean."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class SuiteRunner:
    """An ephemeral GX context (no `gx/` folder, no analytics, no progress bars) with every suite
    registered once, validating pandas frames whose index is the frame's row id."""

    def __init__(self, suites: list[Suite]) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        with quiet_gx():
            import great_expectations as gx
            from great_expectations.data_context.types.base import (
                DataContextConfig,
                InMemoryStoreBackendDefaults,
                ProgressBarsConfig,
            )

            # in-memory stores and no docs site: nothing is written anywhere, not even to /tmp
            config = DataContextConfig(
                store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
                analytics_enabled=False,
                progress_bars=ProgressBarsConfig(globally=False),
            )
            self._context = gx.get_context(mode="ephemeral", project_config=config)
            self._context.variables.progress_bars = ProgressBarsConfig(globally=False)
            batch = (
                self._context.data_sources.add_pandas("atbalsts")
                .add_dataframe_asset("frame")
                .add_batch_definition_whole_dataframe("chunk")
            )
            # each GX run costs ~0.3 s whatever the size, so the suites judging one frame run as
            # one GX suite per part (row-local rules, cross-table rules)
            self.frames = sorted({s.frame for s in suites})
            self._batch = batch
            self._suites = {}
            self._expectations: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for frame in self.frames:
                for expectation in (e for s in suites if s.frame == frame for e in s.definition["expectations"]):
                    self._expectations.setdefault((frame, part_of(frame, expectation)), []).append(expectation)
            for (frame, part), expectations in self._expectations.items():
                self._suites[frame, part] = self._context.suites.add(
                    gx.ExpectationSuite(name=f"{frame}.{part}", expectations=expectations)
                )
            self.fingerprint = hashlib.sha256(
                json.dumps([s.definition for s in suites], sort_keys=True, default=str).encode()
            ).hexdigest()

    def expectations(self, frame: str, part: str) -> list[dict[str, Any]]:
        """The expectations of one part of a frame (none when it has no such part)."""
        return list(self._expectations.get((frame, part), []))

    def parts(self, frame: str) -> list[str]:
        """Which parts (`local`, `cross`) the frame has rules in."""
        return [p for p in PARTS if (frame, p) in self._expectations]

    def columns_for(self, frame: str, available: list[str], part: str | None = None) -> list[str]:
        """The frame columns a chunk needs: what the expectations read (columns, row conditions) and
        the values they show. No identities (see HIT_COLUMNS): fewer columns, less memory per chunk."""
        needed: set[str] = set()
        for p in [part] if part else self.parts(frame):
            for expectation in self._expectations[frame, p]:
                needed.update(columns_read(expectation, shown=not masked(expectation["meta"])))
        return [c for c in available if c in needed]

    def candidates_sql(self, frame: str, part: str, parameters: Mapping[str, Any]) -> str | None:
        """A DuckDB condition true for every row any rule of this part could fail (and few others),
        or None when some rule cannot be narrowed so (then GX sees every row). GX still judges the
        candidates: the SQL only spares it the rows that pass every rule for certain."""
        conditions = [candidate_condition(e, parameters) for e in self._expectations[frame, part]]
        if any(c is None for c in conditions):
            return None
        return " or ".join(f"coalesce({c}, false)" for c in conditions)

    def run(
        self, frame: str, chunk: pd.DataFrame, parameters: Mapping[str, Any], part: str | None = None
    ) -> pd.DataFrame:
        """Validate one chunk of a frame with the suite of one part (both parts when none is given);
        one row per failing (row, expectation)."""
        if part is None:
            return pd.concat([self.run(frame, chunk, parameters, p) for p in self.parts(frame)], ignore_index=True)
        with quiet_gx():
            # Batch.validate, not ValidationDefinition.run: the latter serialises every result
            # (with its row indices) into the context's results store, costing time and memory
            result = self._batch.get_batch(batch_parameters={"dataframe": chunk}).validate(
                self._suites[frame, part],
                expectation_parameters=dict(parameters),
                result_format={
                    "result_format": "COMPLETE",
                    "partial_unexpected_count": 0,
                    "return_unexpected_index_query": False,
                },
            )
        parts = []
        for outcome in result.results:
            meta = outcome.expectation_config.meta
            if _raised(outcome.exception_info):
                raise RuntimeError(f"Frame {frame}, rule {meta.get('reason_code')}: {outcome.exception_info}")
            if outcome.success:
                continue
            index = outcome.result.get("unexpected_index_list") or []
            if index:
                parts.append(hits_from(frame, chunk, index, meta, parameters))
        return pd.concat(parts, ignore_index=True) if parts else empty_hits()


_CONDITION_COMPARISON = re.compile(r"\s*([A-Za-z_]\w*)\s*(<=|>=|<|>|==|!=)\s*(-?\d+(?:\.\d+)?)\s*")
_BOUNDS = (("min_value", "strict_min", "<", "<="), ("max_value", "strict_max", ">", ">="))
_CONDITION_NOTNA = re.compile(r"\s*([A-Za-z_]\w*)\.notna\(\)\s*")


def candidate_condition(expectation: Mapping[str, Any], parameters: Mapping[str, Any]) -> str | None:
    """SQL that is true (or null) wherever this rule could find the row unexpected; None if unknown.

    Only for row-by-row rules whose outcome for one row does not depend on the others (no `mostly`).
    Nulls are not unexpected for these GX rules except `not_null`, as GX itself treats them. A row
    condition it cannot read is left out, which only widens the candidates."""
    kind, kwargs = expectation["type"], expectation["kwargs"]
    if "mostly" in kwargs or "column" not in kwargs:
        return None
    column = _quoted(kwargs["column"])
    if kind == "expect_column_values_to_not_be_null":
        fails = f"{column} is null"
    elif kind == "expect_column_values_to_be_in_set":
        literals = [sql_literal(v) for v in kwargs["value_set"]]
        if not literals or any(v is None for v in literals):
            return None
        fails = f"{column} not in ({', '.join(literals)})"  # type: ignore[arg-type]
    elif kind == "expect_column_values_to_be_between":
        bounds = []
        for key, strict_key, below, at in _BOUNDS:
            value = kwargs.get(key)
            if isinstance(value, Mapping):
                value = parameters.get(value.get("$PARAMETER", ""))
            if value is None:
                continue
            literal = sql_literal(value)
            if literal is None:
                return None
            bounds.append(f"{column} {at if kwargs.get(strict_key) else below} {literal}")
        if not bounds:
            return None
        fails = "(" + " or ".join(bounds) + ")"
    else:
        return None
    condition = _row_condition_sql(kwargs.get("row_condition"))
    return f"({condition} and {fails})" if condition else fails


def _row_condition_sql(condition: Any) -> str | None:
    if not condition:
        return None
    if match := _CONDITION_NOTNA.fullmatch(str(condition)):
        return f"{_quoted(match.group(1))} is not null"
    if match := _CONDITION_COMPARISON.fullmatch(str(condition)):
        op = "=" if match.group(2) == "==" else match.group(2)
        return f"{_quoted(match.group(1))} {op} {match.group(3)}"
    return None


def _quoted(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def sql_literal(value: Any) -> str | None:
    """A Python value as DuckDB literal text; None for a type it does not know (the caller decides)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def columns_read(expectation: Mapping[str, Any], *, shown: bool = True) -> set[str]:
    """Frame columns an expectation reads (columns, row condition) and, if `shown`, its value column."""
    kwargs, meta = expectation["kwargs"], expectation["meta"]
    names = {str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs}
    if shown:
        names.add(meta["value_column"])
    names.update(re.findall(r"[A-Za-z_]\w*", str(kwargs.get("row_condition", ""))))
    return names


def part_of(frame: str, expectation: Mapping[str, Any]) -> str:
    """`cross` when the rule depends on other rows or tables, else `local` (see CROSS_TABLE_COLUMNS)."""
    if frame in CROSS_TABLE_FRAMES or frame not in CROSS_TABLE_COLUMNS:  # a new frame is cross until declared
        return "cross"
    return "cross" if columns_read(expectation) & CROSS_TABLE_COLUMNS[frame] else "local"


def _raised(info: Any) -> bool:
    """GX reports exceptions per expectation, or per metric as a dict of dicts."""
    if not info:
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, Mapping) and v.get("raised_exception") for v in info.values())


def hits_from(
    frame: str, chunk: pd.DataFrame, index: list[Any], meta: Mapping[str, Any], parameters: Mapping[str, Any]
) -> pd.DataFrame:
    """The failing rows' frame and row id (the chunk's index) plus what the rule's meta says about them."""
    rows = chunk.loc[index]
    column = meta["column_name"]
    values = [MASK] * len(rows) if masked(meta) else values_text(rows[meta["value_column"]])
    # a free-text cell may hold a personal code (`klātienē 160411-28446`): never stored, as at ingest
    values = [MASK if v is not None and PERSONAL_CODE_SHAPE.search(v) else v for v in values]
    out = pd.DataFrame({"frame": frame, "rid": rows.index.to_numpy(dtype="int64")})
    out["severity"] = meta["severity"]
    out["reason_code"] = meta["reason_code"]
    out["column_name"] = column
    out["value"] = values
    out["message_lv"] = meta["message_lv"].format_map(parameters)
    out["message_en"] = meta["message_en"].format_map(parameters)
    return out


def masked(meta: Mapping[str, Any]) -> bool:
    """A rule whose value is never shown (a personal column or a pseudonym): its value column is not even fetched."""
    return meta["column_name"] in MASKED_COLUMNS or meta["value_column"] in MASKED_COLUMNS


def empty_hits() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="int64" if c == "rid" else object) for c in HIT_COLUMNS})


def values_text(column: pd.Series) -> list[str | None]:
    """Values as the school would recognise them: dates as ISO, whole numbers without '.0'."""
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(column):
        whole = column.notna() & (column % 1 == 0)
        text = column.astype(str).where(~whole, column.where(whole).astype("Int64").astype(str))
    else:
        text = column.astype(str)
    return [str(t) if present else None for t, present in zip(text, column.notna(), strict=True)]
