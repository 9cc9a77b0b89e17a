"""The one CSV-injection rule: which text cells get a leading `'`, and that numbers never do."""

from __future__ import annotations

import polars as pl

from pipelines.csv_text import safe_text_columns


def test_text_starting_like_a_formula_gets_an_apostrophe() -> None:
    raw = ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "a=b", " =1", "'=1", "Rīga", "", None]
    out = safe_text_columns(pl.DataFrame({"text": raw}))["text"].to_list()
    assert out == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "a=b", " =1", "'=1", "Rīga", "", None]


def test_numbers_stay_numbers() -> None:
    frame = pl.DataFrame({"name": ["-x"], "effect": [-0.3], "n": [-1], "ok": [True]})
    out = safe_text_columns(frame)
    assert out.schema == frame.schema
    assert out.row(0) == ("'-x", -0.3, -1, True)


def test_only_the_named_text_columns_when_numbers_are_already_text() -> None:
    frame = pl.DataFrame({"municipality": ["=1+2"], "effect": ["-0.30"]})
    assert safe_text_columns(frame, ["municipality"]).row(0) == ("'=1+2", "-0.30")
