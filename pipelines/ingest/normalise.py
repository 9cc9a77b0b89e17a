"""From a frame of text cells to typed rows: personal data out, codes and dates in.

In polars: select_cells() puts one file's columns under the kind's names; clean_cells() trims a
batch of files' cells; map_values() drops the personal columns after turning them into
pseudonyms and joins the parsed value of each distinct code (values.py). type_rows() runs the
kind's SQL file in DuckDB for dates and numbers and picks each row's first error; keyed_rows_sql()
numbers the row_key as rows go to staging. Nothing personal ever reaches DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from pipelines.contract import (
    COLUMNS,
    FREE_TEXT_COLUMNS,
    PERSONAL_COLUMNS,
    SCHOOL_TYPE_LOOKUP,
    install_sql_macros,
    leaving_reason_code,
    normalise_text,
    subject_key,
)
from pipelines.ingest import readers, values
from pipelines.personal_code import code_shape_sql
from pipelines.warehouse import load_sql

SQL_DIR = Path(__file__).with_name("sql")
TYPED_TABLE = "ingest_typed"
OTHER_CELLS = "_filled_elsewhere"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    install_sql_macros(con)  # school_year_of / semester_of, which macros.sql uses
    # the one personal-code shape (personal_code.py), in RE2 syntax, for ingest_no_code
    con.execute(f"create or replace temp macro personal_code_shape() as {code_shape_sql()}")
    con.execute(load_sql(SQL_DIR, "macros"))


def select_cells(
    raw: pl.DataFrame, kind: str, positions: dict[str, int], problems: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One file's rows (row 0 is its header) under the kind's `raw_<column>` names: see select_rows."""
    return select_rows(raw.slice(1), kind, positions, 2, None if problems is None else problems.slice(1))


def select_rows(
    rows: pl.DataFrame, kind: str, positions: dict[str, int], first_line: int, problems: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Data rows under the kind's `raw_<column>` names, whatever the file's column order, with their
    spreadsheet line (the first is `first_line`: a file comes in chunks) and the row problem found
    while reading (readers.PROBLEM). Only renames here (cheap per file); clean_cells then works on a
    whole batch."""
    body = rows.with_row_index("source_line", offset=first_line)
    if problems is None:
        problems = pl.DataFrame(
            {name: [None] * rows.height for name in readers.PROBLEM_SCHEMA}, schema=readers.PROBLEM_SCHEMA
        )
    body = pl.concat([body, problems.rename({c: f"_{c}" for c in problems.columns})], how="horizontal")
    names = rows.columns
    cells = [pl.col("source_line").cast(pl.Int32)]
    for col in COLUMNS[kind]:
        if col.name in positions:
            cells.append(pl.col(names[positions[col.name]]).alias(f"raw_{col.name}"))
        else:
            cells.append(pl.lit(None, dtype=pl.String).alias(f"raw_{col.name}"))
    cells += [pl.col(f"_{c}").alias(f"raw_{c}") for c in readers.PROBLEM_SCHEMA]
    # a row filled only in columns of no known meaning is still a row (quarantined, not dropped)
    other = [names[i] for i in range(len(names)) if i not in set(positions.values())]
    filled = pl.any_horizontal(pl.col(c).str.strip_chars() != "" for c in other) if other else pl.lit(False)
    return body.select(*cells, filled.fill_null(False).alias(OTHER_CELLS))


def clean_cells(cells: pl.DataFrame) -> pl.DataFrame:
    """Trimmed text, blank cells null, and rows blank in every cell dropped (they are not data)."""
    raw = [c for c in cells.columns if c.startswith("raw_")]
    trimmed = cells.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c).str.strip_chars()).alias(c)
        for c in raw
    )
    blank = pl.all_horizontal(pl.col(c).is_null() for c in raw) & ~pl.col(OTHER_CELLS)
    return trimmed.filter(~blank).drop(OTHER_CELLS)


def map_values(cells: pl.DataFrame, kind: str, key: bytes, pupil_ids: values.PupilIds | None = None) -> pl.DataFrame:
    """Pseudonyms and parsed codes joined to the cells (each distinct value parsed once); personal
    and free-text columns dropped (contract.FREE_TEXT_COLUMNS become codes first).

    `pupil_ids`: a run's values.PupilIds, so a code seen in an earlier batch is not checked again."""
    frame = cells
    if "raw_school_id" in frame.columns:  # costs are reported per municipality, not per school
        # Excel hands a numeric registration number over as `2712900123.0`.
        frame = frame.with_columns(pl.col("raw_school_id").str.replace(r"^(\d+)\.0+$", "${1}"))
        # a personal code or name typed as the school id is never stored: `***`, the row quarantined
        frame = add_mapped(frame, ["raw_school_id"], values.school_id_check, SCHOOL_ID_SCHEMA)
        frame = frame.with_columns(pl.col("school_id_value").alias("raw_school_id")).drop("school_id_value")
    if "raw_pupil_code" in frame.columns:  # the school registry has no pupils
        frame = add_mapped(frame, ["raw_pupil_code"], pupil_ids or values.PupilIds(key), PUPIL_SCHEMA)
    if kind == "consultations":
        staff = partial(values.staff_pseudonym, key)
        frame = add_mapped(frame, ["raw_school_id", "raw_staff_name"], staff, {"staff_id": pl.String})
    for column, table in values.DICTIONARIES.items():
        if f"raw_{column}" in frame.columns:
            schema = {f"{column}_code": pl.String, f"{column}_key": pl.String}
            parse = _subject if column == "subject" else partial(_dictionary, table)
            frame = add_mapped(frame, [f"raw_{column}"], parse, schema)
    if "raw_project_code" in frame.columns:
        frame = add_mapped(frame, ["raw_project_code"], partial(values.project_code, key), PROJECT_SCHEMA)
    if "raw_risk_factors" in frame.columns:
        frame = add_mapped(frame, ["raw_risk_factors"], values.risk_factor_codes, {"risk_factor_codes": pl.String})
    if kind == "grades":
        frame = add_mapped(frame, ["raw_grade"], _grade, GRADE_SCHEMA)
    if kind == "schools":
        frame = add_mapped(frame, ["raw_school_type"], _school_type, {"school_type_value": pl.String})
    if kind == "pupils":
        frame = add_mapped(frame, ["raw_class"], _class, CLASS_SCHEMA)
        frame = add_mapped(frame, ["raw_gender"], _gender, {"gender_value": pl.String})
        frame = add_mapped(frame, ["raw_school_year"], _school_year, {"school_year_value": pl.String})
        reason = {"leaving_reason_code": pl.String}
        frame = add_mapped(frame, ["raw_leaving_reason"], leaving_reason_code, reason)
    dropped = [f"raw_{c}" for c in sorted(PERSONAL_COLUMNS | FREE_TEXT_COLUMNS) if f"raw_{c}" in frame.columns]
    return frame.drop(dropped)


PROJECT_SCHEMA = {"project_code_value": pl.String, "project_text_hash": pl.String}
SCHOOL_ID_SCHEMA = {"school_id_value": pl.String, "school_id_error": pl.String}
PUPIL_SCHEMA = {"pupil_id": pl.String, "pupil_error": pl.String}
GRADE_SCHEMA = {
    "grade_kind": pl.String,
    "grade_score": pl.Int32,
    "grade_level_code": pl.String,
    "passed": pl.Boolean,
    "grade_percent": pl.Float64,
    "grade_key": pl.String,
    "grade_error": pl.String,
}
CLASS_SCHEMA = {"grade_level": pl.Int32, "class_letter": pl.String, "course_year": pl.Int32}


def add_mapped(
    frame: pl.DataFrame, on: Sequence[str], parse: Callable[..., object], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Parse each distinct value (tuple) of `on` once in Python and join the result to every row."""
    distinct = frame.select(on).unique(maintain_order=True)
    parsed = [_as_tuple(parse(*value)) for value in distinct.iter_rows()]
    mapping = pl.concat(
        [distinct, pl.DataFrame(parsed, schema=schema, orient="row")],
        how="horizontal",
    )
    return frame.join(mapping, on=list(on), how="left", nulls_equal=True)


def _as_tuple(value: object) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _dictionary(table: dict[str, str], raw: str | None) -> tuple[str | None, str | None]:
    return (None, None) if raw is None else values.lookup_code(table, raw)


def _subject(raw: str | None) -> tuple[str | None, str | None]:
    """A subject no dictionary knows is kept as `~<normalised text>` (contract.subject_key), so its
    support and marks still reach the evaluation. Its row_key part is keyed by the vocabulary row keys
    were first made with (values.ROW_KEY_SUBJECTS), so re-delivered rows keep their keys."""
    if raw is None:
        return None, None
    return subject_key(raw), values.subject_row_key(raw)


def _grade(raw: str | None) -> tuple:
    if raw is None:
        return (None,) * len(GRADE_SCHEMA)
    g = values.parse_grade(raw)
    return g.kind, g.score, g.level, g.passed, g.percent, g.key, g.error


def _class(raw: str | None) -> tuple[int | None, str | None, int | None]:
    return (None, None, None) if raw is None else values.parse_class(raw)


def _school_type(raw: str | None) -> str | None:
    return None if raw is None else SCHOOL_TYPE_LOOKUP.get(normalise_text(raw))


def _gender(raw: str | None) -> str | None:
    return None if raw is None else values.parse_gender(raw)


def _school_year(raw: str | None) -> str | None:
    return None if raw is None else values.parse_school_year(raw)


ROW_PROBLEMS = (readers.TOO_MANY_FIELDS, readers.INVALID_ENCODING)


def type_rows(con: duckdb.DuckDBPyConnection, kind: str, prepared: pl.DataFrame) -> None:
    """Fill the temp table ingest_typed from one frame (begin_typed, then add_typed)."""
    begin_typed(con)
    add_typed(con, kind, prepared)


def begin_typed(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"drop table if exists {TYPED_TABLE}")


def add_typed(con: duckdb.DuckDBPyConnection, kind: str, prepared: pl.DataFrame) -> None:
    """Type one chunk of rows (one or more files, or part of a huge one) with the kind's SQL file and
    append it to the temp table ingest_typed: DuckDB holds the typed rows (spilling to disk past its
    memory limit), so Python only ever holds one chunk.

    A row problem found while reading (too many fields, undecodable bytes) replaces the row's first
    error: the row cannot be trusted at all. Kept slim for a huge file: a valid row keeps only the
    hash of its key_text (key_hash) and no raw cells (those only explain quarantined rows)."""
    if "source_file" not in prepared.columns:
        prepared = prepared.with_columns(pl.lit(None, dtype=pl.String).alias("source_file"))
    for name in readers.PROBLEM_SCHEMA:
        if f"raw_{name}" not in prepared.columns:
            prepared = prepared.with_columns(pl.lit(None, dtype=pl.String).alias(f"raw_{name}"))
    exists = con.execute(
        "select count(*) from duckdb_tables() where temporary and table_name = ?", [TYPED_TABLE]
    ).fetchall()[0][0]
    valid = "coalesce(raw_row_problem, error_reason) is null"
    raw = [c for c in prepared.columns if c.startswith("raw_")]
    con.register("ingest_src", prepared)
    try:
        query = f"""
            with typed as ({load_sql(SQL_DIR, kind)})
            select * exclude (key_text) replace (
                case when raw_row_problem is null then error_column end as error_column,
                coalesce(raw_row_problem, error_reason) as error_reason,
                {", ".join(f"case when {valid} then null else {c} end as {c}" for c in raw)}
            ),
            case when {valid} then sha256(key_text) end as key_hash
            from typed
        """
        if exists:
            con.execute(f"insert into {TYPED_TABLE} by name {query}")
        else:
            con.execute(f"create temp table {TYPED_TABLE} as {query}")
    finally:
        con.unregister("ingest_src")


def keyed_rows_sql() -> str:
    """ingest_typed's valid rows with their row_key, for the insert into staging.

    row_key = sha256(normalised content) + '#' + its occurrence among identical valid rows of
    its file, so a cumulative re-delivery repeats keys while two equal marks in one file differ.
    Numbered over all chunks of a file at once (chunking never changes a key), while the rows are
    inserted, so the typed rows are never copied. Only the few contents that repeat in a file
    (~3 % of marks) are numbered by a window, over a narrow projection joined back by rowid; every
    other row is `#1`. A window over every row sorted all the typed columns with it, ~30 % dearer
    (BENCHMARKS.md, issue 18, "The row_key window only where keys repeat").
    """
    return f"""
        with repeated as (
            select source_file, key_hash
            from {TYPED_TABLE}
            where error_reason is null
            group by all
            having count(*) > 1
        ),
        numbered as (
            select
                t.rowid as typed_row,
                row_number() over (partition by t.source_file, t.key_hash order by t.source_line) as occurrence
            from {TYPED_TABLE} t
            semi join repeated r on r.source_file is not distinct from t.source_file and r.key_hash = t.key_hash
            where t.error_reason is null
        )
        select t.*, t.key_hash || '#' || coalesce(n.occurrence, 1) as row_key
        from {TYPED_TABLE} t
        left join numbered n on n.typed_row = t.rowid
        where t.error_reason is null
    """


def quarantine_value_sql(kind: str) -> str:
    """The offending cell as written, except that a personal or free-text column's value is never stored,
    nor anything shaped like a personal code (a shifted column can put one under `Klase`)."""
    hidden = PERSONAL_COLUMNS | FREE_TEXT_COLUMNS
    arms = " ".join(
        f"when '{col.name}' then " + ("'***'" if col.name in hidden else f"raw_{col.name}") for col in COLUMNS[kind]
    )
    value = f"case error_column {arms} end"
    problems = ", ".join(f"'{p}'" for p in ROW_PROBLEMS)
    return f"case when error_reason in ({problems}) then raw_row_problem_value else ingest_no_code({value}) end"
