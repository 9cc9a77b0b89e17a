"""Numbers and tables formatted for reading: Latvian `1 234,5`, English `1,234.5`.

Tables become clean HTML (no index, right-aligned numbers, one style block) instead of raw
DataFrame dumps, so notebooks only pick columns and give them labels.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from html import escape

import pandas as pd

NBSP = "\u00a0"  # keeps "1 234" on one line


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value))


def number(value: object, lang: str = "lv", decimals: int = 0) -> str:
    """Thousands separated by a (no-break) space and a decimal comma in Latvian; "–" when missing."""
    if is_missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}".replace("-", "\u2212")  # a true minus sign
    if text.lstrip("\u2212").strip("0.,") == "":
        text = text.lstrip("\u2212")  # no "−0,0"
    if lang == "en":
        return text
    return text.replace(",", NBSP).replace(".", ",")


def signed(value: object, lang: str = "lv", decimals: int = 2) -> str:
    """A change with its sign, using a true minus sign."""
    if is_missing(value):
        return "–"
    text = number(abs(float(value)), lang, decimals)
    if round(float(value), decimals) == 0:
        return text
    return ("+" if float(value) > 0 else "\u2212") + text


def percent(value: object, lang: str = "lv", decimals: int = 1) -> str:
    """`value` is already in percent (0–100)."""
    if is_missing(value):
        return "–"
    return number(value, lang, decimals) + (f"{NBSP}%" if lang == "lv" else "%")


WITHHELD = "[c]"  # the UK GSS marker for a confidential cell (the rules export follows)


def count(value: object, lang: str = "lv", k: int = 5) -> str:
    """A pupil count; a withheld cell (missing) reads "[c]" — it may be small or only protect another."""
    if is_missing(value):
        return WITHHELD
    return number(value, lang, 0)


def interval(low: object, high: object, lang: str = "lv", decimals: int = 2) -> str:
    """A confidence interval: `[−0,12; 0,40]` in Latvian (the comma is taken), `[−0.12, 0.40]` in English."""
    if is_missing(low) or is_missing(high):
        return "–"
    sep = "; " if lang == "lv" else ", "
    return f"[{signed(low, lang, decimals)}{sep}{signed(high, lang, decimals)}]"


def inert(value: object) -> str:
    """Text from the data (a municipality or school name) made safe to put into Markdown or HTML.

    Every ASCII punctuation mark becomes a numeric character reference (`<` -> `&#60;`). A browser
    shows the character; Markdown (CommonMark) shows it too and never reads it as markup, so no
    tag, link, autolinked `http://`, emphasis or heading can come from a name. Letters, digits,
    spaces and Latvian letters are kept as they are.
    """
    return "".join(f"&#{ord(c)};" if c.isascii() and not (c.isalnum() or c == " ") else c for c in str(value))


Formatter = Callable[[object], str]

TABLE_CSS = """
<style>
/* "main" and the doubled class outrank JupyterLab's right-aligned cells */
main table.atb.atb { border-collapse: collapse; margin: 0.5em 0 1.2em 0; font-size: 13px; }
main table.atb.atb caption { caption-side: top; text-align: left; font-weight: 600; padding: 0 0 0.4em 0; }
main table.atb.atb th, main table.atb.atb td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: left; }
main table.atb.atb thead th {
  border-bottom: 2px solid #444; vertical-align: bottom; white-space: normal; max-width: 11em;
}
main table.atb.atb th.num { text-align: right; }
main table.atb.atb td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
main table.atb.atb tbody tr:nth-child(even) { background: #f6f6f6; }
main table.atb.atb tr.total td { font-weight: 600; border-top: 2px solid #444; }
</style>
"""


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, str],
    formats: Mapping[str, Formatter] | None = None,
    caption: str | None = None,
    total_first_col: str | None = None,
    withheld: pd.Series | None = None,
) -> str:
    """Render `frame[columns]` as an HTML table.

    `columns` maps a frame column to its heading (order kept); `formats` maps a column to a
    formatter (columns with one are right-aligned as numbers). A row whose first cell equals
    `total_first_col` is styled as a total line. Columns the frame lacks are left out. Where
    `withheld` (aligned with the rows) is true, a missing figure reads "[c]" rather than "–".
    """
    formats = dict(formats or {})
    columns = {col: label for col, label in columns.items() if col in frame.columns}  # a mart may lack a measure
    heads = "".join(
        f'<th class="{"num" if col in formats else ""}">{escape(label)}</th>' for col, label in columns.items()
    )
    body = []
    first = next(iter(columns))
    hidden = [False] * len(frame) if withheld is None else [bool(w) is True for w in withheld.fillna(False)]
    for i, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for col in columns:
            value = row[col]
            if col in formats:
                text = WITHHELD if hidden[i] and is_missing(value) else formats[col](value)
                cells.append(f'<td class="num">{escape(text)}</td>')
            else:
                cells.append(f"<td>{'–' if is_missing(value) else escape(str(value))}</td>")
        total = total_first_col is not None and row[first] == total_first_col
        body.append(f'<tr class="total">{"".join(cells)}</tr>' if total else f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'{TABLE_CSS}<table class="atb">{cap}<thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table>'
