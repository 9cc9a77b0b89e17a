"""Text cells that a spreadsheet cannot run: the one rule every CSV the project writes follows.

A municipality name, a file name or a school's bad value can start with `=`, `+`, `-`, `@`, a
tab or a carriage return; Excel and LibreOffice read such a cell as a formula (CSV injection),
which can run commands or send data away when a ministry analyst opens the file. OWASP's advice
is to write such a text cell with a leading apostrophe, which spreadsheets show as plain text.
Numbers are never touched: only cells of text columns go through here, so `-0.30` in a numeric
column stays a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import polars as pl

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
PREFIX = "'"


def safe_text_columns(frame: pl.DataFrame, columns: Sequence[str] | None = None) -> pl.DataFrame:
    """`=1+2` -> `'=1+2` in every text column of `frame`, or only in `columns` when the frame holds
    numbers already formatted as text (numeric, date and boolean columns are never touched)."""
    text = pl.col(pl.String) if columns is None else pl.col(*columns)
    return frame.with_columns(text.str.replace(FORMULA_START.pattern, PREFIX + "$0"))
