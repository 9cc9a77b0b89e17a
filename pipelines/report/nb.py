"""What a report notebook needs in one object: the read-only warehouse, the language, k and
the filters, plus helpers that display headings, tables and figures the house way.

Notebooks stay narrative: `R = Report(warehouse, lang=..., k=...)`, then `R.h2("key")`,
`R.table(...)`, `R.figure(fig)`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Image, Markdown, display
from matplotlib.figure import Figure

from pipelines.report import fmt, labels, plots, queries
from pipelines.report.disclosure import assert_no_small


class Report:
    """Context for one notebook run."""

    def __init__(
        self,
        warehouse: str | Path,
        lang: str = "lv",
        k: int = 5,
        municipality: str | None = None,
        school_year: str | None = None,
    ) -> None:
        self.lang = labels.check_lang(lang)
        self.k = int(k)
        self.municipality = municipality or None
        self.school_year = school_year or None
        # Not warehouse.connect(): inside a Jupyter kernel DuckDB refuses any progress-bar setting
        # without ipywidgets ("required package 'ipywidgets' is missing"); report queries are short.
        self.con = duckdb.connect(str(Path(warehouse)), read_only=True)
        plots.use_style()

    # labels and numbers -------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return labels.t(key, self.lang, **values)

    def num(self, value: object, decimals: int = 0) -> str:
        return fmt.number(value, self.lang, decimals)

    def count(self, value: object) -> str:
        return fmt.count(value, self.lang, self.k)

    def signed(self, value: object, decimals: int = 2) -> str:
        return fmt.signed(value, self.lang, decimals)

    def interval(self, low: object, high: object, decimals: int = 2) -> str:
        return fmt.interval(low, high, self.lang, decimals)

    def fmt_num(self, decimals: int = 0) -> fmt.Formatter:
        return lambda v: fmt.number(v, self.lang, decimals)

    def fmt_count(self) -> fmt.Formatter:
        return lambda v: fmt.count(v, self.lang, self.k)

    def fmt_withheld(self, decimals: int = 0) -> fmt.Formatter:
        """For figures that are only missing when withheld (totals of a filtered slice)."""
        return lambda v: fmt.WITHHELD if fmt.is_missing(v) else fmt.number(v, self.lang, decimals)

    def fmt_signed(self, decimals: int = 2) -> fmt.Formatter:
        return lambda v: fmt.signed(v, self.lang, decimals)

    def fmt_pct(self, decimals: int = 1) -> fmt.Formatter:
        return lambda v: fmt.percent(v, self.lang, decimals)

    # display --------------------------------------------------------------------------
    # Labels are ours and may use Markdown; every value from the data goes through `fmt.inert`,
    # so a name such as `<img src=x onerror=...>` or `http://...` is shown as text, never markup.
    def h1(self, key: str, name: str = "") -> None:
        """The page title; `name` (e.g. the municipality) follows it as plain text."""
        display(Markdown(f"# {self.t(key)}{': ' + fmt.inert(name) if name else ''}"))

    def h2(self, key: str) -> None:
        display(Markdown(f"## {self.t(key)}"))

    def text(self, key: str, **values: object) -> None:
        display(Markdown(self.t(key, **{k: fmt.inert(v) for k, v in values.items()})))

    def note(self, key: str, **values: object) -> None:
        text = self.t(key, **{k: fmt.inert(v) for k, v in values.items()})
        display(HTML(f'<p style="color:#555;font-size:12px">{text}</p>'))

    def filters_line(self) -> None:
        """Which slice of the data the report shows."""
        municipality = fmt.inert(self.municipality) if self.municipality else self.t("all")
        parts = [f"{self.t('municipality')}: {municipality}"]
        if self.school_year:
            parts.append(f"{self.t('school_year')}: {fmt.inert(self.school_year)}")
        display(Markdown(f"*{self.t('filters')}: {'; '.join(parts)}*"))

    def table(
        self,
        frame: pd.DataFrame,
        columns: Mapping[str, str],
        formats: Mapping[str, fmt.Formatter] | None = None,
        count_cols: tuple[str, ...] = (),
        total: str | None = None,
    ) -> None:
        """Show a formatted table; refuses (AssertionError) a pupil count below k."""
        if frame.empty:
            self.note("no_data")
            return
        assert_no_small(frame, count_cols, self.k)
        withheld = frame.get("suppressed", None)
        display(HTML(fmt.html_table(frame, columns, formats, total_first_col=total, withheld=withheld)))

    def figure(self, fig: Figure) -> None:
        """Embed a figure as PNG and close it (so the inline backend does not show it twice)."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        display(Image(data=buf.getvalue(), format="png"))

    def suppressed_note(self) -> None:
        self.note("suppressed_note", k=self.k, km1=self.k - 1)

    def plans_by_school_section(self) -> None:
        """Support plans per school and school year, with the growth between the last two years."""
        self.h2("so_plans")
        plans = queries.plans_by_school(self.con, self.k, self.municipality, self.school_year)
        if plans.empty:
            self.note("no_data")
            return
        wide = plans.pivot(index="school_name", columns="school_year", values="plans").reset_index()
        years = [c for c in wide.columns if c not in ("school_name", "ALL")]
        wide["suppressed"] = wide[years].isna().any(axis=1)  # a growth from a withheld count is withheld too
        cols = {"school_name": self.t("school"), **{y: y for y in years}, "ALL": self.t("plans_total")}
        formats = {y: self.fmt_count() for y in [*years, "ALL"]}
        if len(years) >= 2:
            wide["growth"] = 100 * (wide[years[-1]] - wide[years[-2]]) / wide[years[-2]]
            cols["growth"] = f"{self.t('growth')} {years[-2]} → {years[-1]} (%)"
            formats["growth"] = self.fmt_signed(0)
        total = self.t("total")
        wide["school_name"] = wide["school_name"].replace({"ALL": total})
        wide = pd.concat([wide[wide["school_name"] != total], wide[wide["school_name"] == total]])
        self.table(wide, cols, formats, count_cols=(*years, "ALL"), total=total)
        self.note("so_plans_note")

    def close(self) -> None:
        self.con.close()
