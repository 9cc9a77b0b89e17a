"""What a report notebook needs in one object: the read-only warehouse, the language, k and
the filters, plus helpers that display headings, tables and figures the house way.

Notebooks stay narrative: `R = Report(warehouse, lang=..., k=...)`, then `R.h2("key")`,
`R.table(...)`, `R.figure(fig)`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from html import escape
from pathlib import Path

import duckdb
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Image, Markdown, display
from matplotlib.figure import Figure

from pipelines.contract import install_sql_macros
from pipelines.disclosure import assert_no_small
from pipelines.report import fmt, labels, plots, queries

# docs/method.md, assumption 5: an interval from fewer schools is to be read with caution, and the report says so
FEW_SCHOOLS = 6
# The event study's pre-period steps and the gap that matters, as evaluate's design warning reads them
# (diagnostics.PRETREND_STEPS, MIN_PLACEBO; a test keeps them equal without the report importing evaluate)
PRETREND_STEPS = ("s-2", "s_before")
MIN_PLACEBO = 0.05


class Report:
    """Context for one notebook run."""

    def __init__(
        self,
        warehouse: str | Path,
        lang: str = "lv",
        k: int = 5,
        municipality: str | None = None,
        school_year: str | None = None,
        dominance_p: float = 0.1,
        published: str | Path | None = None,
        report_cells: str | Path | None = None,
    ) -> None:
        self.lang = labels.check_lang(lang)
        self.k = int(k)
        self.dominance_p = float(dominance_p)
        self.municipality = municipality or None
        self.school_year = school_year or None
        # Not warehouse.connect(): inside a Jupyter kernel DuckDB refuses any progress-bar setting
        # without ipywidgets ("required package 'ipywidgets' is missing"); report queries are short.
        self.con = duckdb.connect(str(Path(warehouse)), read_only=True)
        install_sql_macros(self.con)
        # The export's kept files of this run and the report stage's record of this run's report cells:
        # what they withhold, the report withholds too.
        queries.use_published(published or None, report_cells or None)
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

    def programme_section(self) -> None:
        """Activities and financial support: here (the municipality, if any) beside the whole project."""
        self.h2("programme_other")
        self.text("programme_intro")
        p = self.dominance_p
        here = queries.programme_totals(self.con, self.k, self.municipality, self.school_year, p).iloc[0]
        whole = queries.programme_totals(self.con, self.k, None, self.school_year, p).iloc[0]
        measures = [
            ("activities_held", "activities", self.fmt_num()),
            ("activity_pupils", "activity_pupils", self.fmt_count()),
            ("activity_hours", "activity_hours", self.fmt_withheld(1)),
            ("financial_pupils", "financial_pupils", self.fmt_count()),
            ("financial_eur", "financial_eur", self.fmt_withheld(2)),
        ]
        frame = pd.DataFrame(
            {
                "measure": [self.t(label) for label, _, _ in measures],
                "here": [f(here[col]) for _, col, f in measures],
                "project": [f(whole[col]) for _, col, f in measures],
            }
        )
        columns = {"measure": self.t("mu_measure"), "project": self.t("project_wide")}
        if self.municipality:
            columns = {"measure": self.t("mu_measure"), "here": self.municipality, "project": self.t("project_wide")}
        self.table(frame[list(columns)], columns, {c: str for c in columns if c != "measure"})

    def costs_section(self) -> None:
        """Costs per municipality with EUR per supported pupil and per support hour (costs as reported)."""
        self.h2("costs_title")
        self.note("costs_caveat")
        costs = queries.costs_by_municipality(self.con, self.k, self.school_year)
        if costs.empty or costs["eur"].isna().all():
            self.note("no_data")
            return
        if self.municipality:
            costs = costs[costs["municipality"].isin([self.municipality, "ALL"])]
        costs = costs.assign(municipality=costs["municipality"].replace({"ALL": self.t("project_wide")}))
        self.table(
            costs[["municipality", "eur", "pupils", "hours", "eur_per_pupil", "eur_per_hour", "suppressed"]],
            {
                "municipality": self.t("municipality_col"),
                "eur": self.t("costs_eur"),
                "pupils": self.t("supported_any"),
                "hours": self.t("support_hours"),
                "eur_per_pupil": self.t("eur_per_pupil"),
                "eur_per_hour": self.t("eur_per_hour"),
            },
            {
                "eur": self.fmt_withheld(2),
                "pupils": self.fmt_count(),
                "hours": self.fmt_withheld(1),
                "eur_per_pupil": self.fmt_withheld(2),
                "eur_per_hour": self.fmt_withheld(2),
            },
            count_cols=("pupils",),
        )

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

    # design diagnostics (shared by the effectiveness and municipality reports) ---------------
    def warning_box(self, diag: Mapping[str, object], name: str | None = None) -> None:
        """Above the headline: the plain-words warning when a check says the comparison is not fair
        (`name`: whose estimate, where a report shows more than one): the placebo that warned, a
        pre-period gap of the event study, outcomes missing more often for the supported."""
        if not diag or diag.get("design_warning") is not True:
            return
        reasons = str(diag.get("design_warning_reason") or "").split(",")
        parts = []
        placebo = next((r for r in reasons if r in ("placebo_a", "placebo_b")), None)
        if placebo:
            which = "b" if placebo == "placebo_b" else "a"
            prefix = "placebo_b_" if which == "b" else "placebo_"
            direction = {"down": "ef_warning_down", "up": "ef_warning_up"}.get(str(diag.get("bias_direction")))
            if direction is None and "placebo_b" in reasons:
                direction = "ef_warning_b_ambiguous"  # a fall before support: passing or continuing
            parts.append(
                self.t(
                    "ef_warning_box",
                    what=self.t(f"ef_warning_what_{which}"),
                    placebo=self.signed(diag.get(f"{prefix}effect")),
                    low=self.signed(diag.get(f"{prefix}ci_low")),
                    high=self.signed(diag.get(f"{prefix}ci_high")),
                    direction=self.t(direction or "ef_warning_none"),
                )
            )
        # s_before is placebo A's own weeks: beside placebo A it says nothing more (and no other direction)
        pretrend = [r for r in reasons if r.startswith("pretrend_")]
        if [r for r in pretrend if not (r == "pretrend_s_before" and placebo == "placebo_a")]:
            parts.append(self.t("ef_warning_pretrend"))
        if "outcome_availability" in reasons or "no_grade_share" in reasons:
            shares = self.attrition_shares(diag)
            withheld = "–" in (shares["out_t"], shares["nv_t"])  # the flow withholds the supported's drop
            parts.append(self.t("ef_warning_missing_plain") if withheld else self.t("ef_warning_missing", **shares))
        parts += self.other_warnings(diag, reasons)  # placebo C, the spill-over check
        if not placebo:
            parts.append(self.t("ef_warning_end"))
        text = " ".join(parts)
        title = self.t("ef_warning_title") + (f" — {name}" if name else "")
        display(
            HTML(
                '<div role="alert" style="border:2px solid #D55E00;background:#fff4ec;padding:0.8em 1em;'
                f'margin:1em 0;max-width:46em"><p style="margin:0 0 0.4em 0;font-weight:700;color:#a33f00">'
                f'⚠ {escape(title)}</p><p style="margin:0">{escape(text)}</p></div>'
            )
        )

    def other_warnings(self, diag: Mapping[str, object], reasons: list[str]) -> list[str]:
        """The warning box's sentences for placebo C (negative control) and the spill-over check."""
        texts = []
        lower = float(diag.get("spillover_effect") or 0) < 0  # own-school comparisons did worse, not better
        spill = "ef_warning_spill_up" if lower else "ef_warning_spill"
        checks = (("placebo_c", "ef_warning_c", "placebo_c_"), ("spillover", spill, "spillover_"))
        for reason, key, prefix in checks:
            if reason in reasons:
                share = diag.get("own_school_weight_share")
                texts.append(
                    self.t(
                        key,
                        placebo=self.signed(diag.get(f"{prefix}effect")),
                        low=self.signed(diag.get(f"{prefix}ci_low")),
                        high=self.signed(diag.get(f"{prefix}ci_high")),
                        share="–" if share is None else self.num(100 * float(share), 0),
                    )
                )
        if "spillover" in reasons and diag.get("effect_other_schools") is not None:
            texts.append(
                self.t(
                    "ef_warning_spill_other",
                    effect=self.signed(diag.get("effect_other_schools")),
                    low=self.signed(diag.get("ci_low_other_schools")),
                    high=self.signed(diag.get("ci_high_other_schools")),
                )
            )
        return texts

    def attrition_shares(self, diag: Mapping[str, object]) -> dict[str, str]:
        """The recorded-marks shares of both groups as percentages for the sentences (evaluate/attrition.py)."""
        names = {
            "out_t": "outcome_share_supported",
            "out_c": "outcome_share_comparison",
            "nv_t": "nv_share_supported",
            "nv_c": "nv_share_comparison",
        }
        return {
            key: "–" if fmt.is_missing(diag.get(column)) else self.num(100 * float(diag[column]), 0)
            for key, column in names.items()
        }

    def attrition_note(self, diag: Mapping[str, object]) -> None:
        """Below the sample flow: how often each group has recorded marks after support started."""
        if (
            diag
            and not fmt.is_missing(diag.get("outcome_share_supported"))
            and not fmt.is_missing(diag.get("nv_share_supported"))
        ):
            self.note("ef_attrition_note", **self.attrition_shares(diag))

    def interval_caveats(self, diag: Mapping[str, object], name: str | None = None) -> None:
        """Next to the primary result: an interval from fewer than 6 schools, or a CR1 fallback (too narrow);
        `name`: whose interval, where a table shows more than one (a municipality's beside the project's)."""
        if not diag or diag.get("effect") is None:
            return
        prefix = f"{fmt.inert(name)}: " if name else ""
        n = diag.get("n_clusters")
        if not fmt.is_missing(n) and 2 <= int(n) < FEW_SCHOOLS:
            display(Markdown(prefix + self.t("ef_few_schools", n=self.num(int(n)))))
        if str(diag.get("note") or "").endswith("_cr1_interval"):
            display(Markdown(prefix + self.t("ef_cr1_fallback")))

    def cr1_rows_note(self, frame: pd.DataFrame, label_col: str, headline_method: object) -> None:
        """Under a breakdown table: the rows whose interval fell back to CR1 (too narrow) while the
        headline's did not (a run configured for CR1 says so in its design text instead)."""
        if "interval_method" not in frame or headline_method in (None, "cluster_robust"):
            return
        cr1 = frame[(frame["interval_method"] == "cluster_robust") & frame["effect"].notna()]
        if len(cr1):
            self.note("ef_cr1_rows", names=", ".join(str(v) for v in cr1[label_col]))

    def event_notes(self, event: pd.DataFrame) -> None:
        """Under the event study, in words: a pre-period gap that excludes zero and matters (the design
        warning's rule), and an effect whose next-semester gap no longer excludes zero."""
        names = dict(
            zip(["s-2", "s-1", "s_before", "s_after", "s+1"], self.t("ef_event_periods").split("|"), strict=True)
        )
        rows = {row["period"]: row for _, row in event.iterrows()}

        def excludes_zero(period: str) -> bool | None:
            row = rows.get(period)
            if row is None or any(fmt.is_missing(row.get(c)) for c in ("difference", "ci_low", "ci_high")):
                return None
            return bool(row["ci_low"] > 0 or row["ci_high"] < 0)

        for period in PRETREND_STEPS:
            if excludes_zero(period) and abs(float(rows[period]["difference"])) >= MIN_PLACEBO:
                row = rows[period]
                self.text(
                    "ef_event_pretrend",
                    period=names[period],
                    gap=self.signed(row["difference"]),
                    low=self.signed(row["ci_low"]),
                    high=self.signed(row["ci_high"]),
                )
        if excludes_zero("s_after") and excludes_zero("s+1") is False:
            self.text("ef_event_fades")

    def flow_section(self, diag: Mapping[str, object]) -> None:
        """Supported pupils → with a baseline → with an outcome → matched, as a table and a chart."""
        self.h2("ef_flow")
        steps = [
            ("n_episodes", "ef_flow_episodes"),
            ("n_with_baseline", "ef_flow_baseline"),
            ("n_supported_total", "ef_flow_outcome"),
            ("n_pupils", "ef_flow_matched"),
        ]
        if not diag or all(diag.get(column) is None for column, _ in steps):
            self.note("no_data")
            return
        first = diag.get("n_episodes")
        frame = pd.DataFrame(
            {
                "step": [self.t(label) for _, label in steps],
                "pupils": [diag.get(column) for column, _ in steps],
            }
        )
        frame["share"] = [None if v is None or not first else 100 * float(v) / float(first) for v in frame["pupils"]]
        frame["suppressed"] = frame["pupils"].isna()
        frame["pupils"] = pd.to_numeric(frame["pupils"], errors="coerce")
        self.figure(
            plots.bars(list(frame["step"]), list(frame["pupils"]), self.t("ef_flow_chart"), self.t("pupils"), self.lang)
        )
        self.table(
            frame,
            {"step": self.t("ef_flow_step"), "pupils": self.t("pupils"), "share": self.t("ef_flow_share")},
            {"pupils": self.fmt_count(), "share": self.fmt_num(0)},
            count_cols=("pupils",),
        )
        self.note("ef_flow_note")

    def estimates_table(self, diag: Mapping[str, object]) -> None:
        """The headline, the all-supported (no matching) estimate and the naive change, side by side."""
        if not diag or diag.get("effect") is None:
            return
        self.h2("ef_estimates")
        rows = [
            ("ef_est_headline", diag.get("effect"), diag.get("ci_low"), diag.get("ci_high"), diag.get("n_pupils")),
            (
                "ef_est_all",
                diag.get("effect_all_supported"),
                diag.get("ci_low_all_supported"),
                diag.get("ci_high_all_supported"),
                diag.get("n_supported_total"),
            ),
            ("ef_est_naive", diag.get("naive_change"), None, None, diag.get("n_supported_total")),
        ]
        if diag.get("effect_other_schools") is not None:  # the spill-over check's companion
            other = diag.get("effect_other_schools"), diag.get("ci_low_other_schools")
            rows.insert(
                2, ("ef_est_other_schools", *other, diag.get("ci_high_other_schools"), diag.get("n_supported_total"))
            )
        frame = pd.DataFrame(
            {
                "what": [self.t(key) for key, *_ in rows],
                "effect": [r[1] for r in rows],
                "ci": [self.interval(r[2], r[3]) for r in rows],
                "pupils": pd.to_numeric(pd.Series([r[4] for r in rows]), errors="coerce"),
            }
        )
        frame["suppressed"] = frame["pupils"].isna()
        self.table(
            frame,
            {
                "what": self.t("ef_est_what"),
                "effect": self.t("effect"),
                "ci": self.t("ci95"),
                "pupils": self.t("pupils"),
            },
            {"effect": self.fmt_signed(2), "ci": str, "pupils": self.fmt_count()},
            count_cols=("pupils",),
        )

    def placebo_section(self, diag: Mapping[str, object]) -> None:
        """Both placebo checks with their intervals and a verdict each."""
        self.h2("ef_placebo")
        if not diag or diag.get("effect") is None:
            self.note("no_data")
            return
        reasons = str(diag.get("design_warning_reason") or "").split(",")
        rows = []
        for name, prefix, label in (
            ("placebo_a", "placebo_", "ef_placebo_a"),
            ("placebo_b", "placebo_b_", "ef_placebo_b"),
            ("placebo_c", "placebo_c_", "ef_placebo_c"),
            ("spillover", "spillover_", "ef_placebo_spill"),
        ):
            effect, low, high = (diag.get(f"{prefix}{part}") for part in ("effect", "ci_low", "ci_high"))
            if effect is None or low is None or high is None:
                verdict = "ef_placebo_na"
            elif name in reasons:
                verdict = "ef_placebo_bad"
            elif low > 0 or high < 0:
                verdict = "ef_placebo_small"
            else:
                verdict = "ef_placebo_ok"
            rows.append((self.t(label), effect, self.interval(low, high), self.t(verdict)))
        frame = pd.DataFrame(rows, columns=["check", "effect", "ci", "verdict"])
        self.table(
            frame,
            {"check": "", "effect": self.t("effect"), "ci": self.t("ci95"), "verdict": self.t("balance_verdict")},
            {"effect": self.fmt_signed(2), "ci": str},
        )
        self.note("ef_placebo_note")
        self.note("ef_placebo_c_note")
        share = diag.get("own_school_weight_share")
        if share is not None:
            self.note("ef_spill_share", share=self.num(100 * float(share), 0))

    def sensitivity_sentence(self, diag: Mapping[str, object], name: str) -> None:
        """One sentence: the robustness value and whether a factor like the overall baseline explains it away."""
        rv = diag.get("robustness_value") if diag else None
        if rv is None or diag.get("benchmark_explains_away") is None:
            return
        verdict = (
            self.t("ef_sensitivity_away")
            if diag["benchmark_explains_away"]
            else self.t("ef_sensitivity_stays", adjusted=self.signed(diag.get("benchmark_adjusted_effect")))
        )
        self.text("ef_sensitivity", name=name, rv=self.num(100 * float(rv), 1), verdict=verdict)

    # for decisions (docs/method.md, "For decisions") -------------------------------------------
    def probability(self, value: object) -> str:
        """A probability in whole percent; never "0" or "100", which these data cannot support."""
        if fmt.is_missing(value):
            return "–"
        pct = 100 * float(value)
        if pct > 99.5:
            return "> 99"
        if pct < 0.5:
            return "< 1"
        return self.num(pct, 0)

    def decision_lead(
        self, row: Mapping[str, object], diag: Mapping[str, object], *, threshold: float, prior_sd: float
    ) -> None:
        """The primary result in plain words: how probable an effect, and one that matters; what the data
        could detect; the prior; and, under a design warning, that all of this assumes a fair comparison."""
        if fmt.is_missing(row.get("prob_positive")):
            return
        warned = bool(diag and diag.get("design_warning") is True)
        self.text(
            "ef_primary_probs_if_fair" if warned else "ef_primary_probs",
            pos=self.probability(row["prob_positive"]),
            above=self.probability(row["prob_above_threshold"]),
            threshold=self.num(threshold, 1),
        )
        if not fmt.is_missing(row.get("mdes")):
            self.text("ef_primary_mdes", mdes=self.num(row["mdes"], 2))
        self.note("ef_primary_prior", sd=self.num(prior_sd, 1))

    def decision_cols(self, threshold: float) -> dict[str, str]:
        return {
            "prob_positive": self.t("prob_positive"),
            "prob_above_threshold": self.t("prob_above", threshold=self.num(threshold, 1)),
            "mdes": self.t("mdes"),
        }

    def decision_formats(self) -> dict[str, fmt.Formatter]:
        return {"prob_positive": self.probability, "prob_above_threshold": self.probability, "mdes": self.fmt_num(2)}

    def forest_notes(self, frame: pd.DataFrame, label_col: str, max_mdes: float) -> None:
        """How many estimates the chart tests at once, and which rows are too small to tell."""
        shown = frame.dropna(subset=["effect"])
        self.note("ef_forest_tested", n=len(shown), max=self.num(max_mdes, 1))
        if "mdes" in shown:
            small = shown[pd.to_numeric(shown["mdes"], errors="coerce") > max_mdes]
            if len(small):
                self.note("ef_too_small", names=", ".join(str(v) for v in small[label_col]))

    # early warning (shared by the effectiveness and municipality reports) -------------------------

    def early_warning_section(self) -> None:
        """How well the early-warning list finds the pupils who left, and whom it misses: counts and
        rates only (the per-school lists never enter a report)."""
        self.h2("ew_title")
        method = queries.early_warning_method(self.con)
        if not method:
            self.note("not_available")
            return
        if method.get("method") == "rules":
            self.text("ew_rules", note=method.get("note") or "")
        else:
            self.text("ew_model", train=method.get("train_years") or "", test=method.get("test_year") or "")
        coverage = queries.risk_coverage(self.con, self.k, self.municipality)
        if not coverage.empty:
            self.text("ew_coverage")
            coverage["share_with_plan"] = 100 * coverage["share_with_plan"]
            coverage["risk_band"] = [self.t(f"ew_band_{b}") for b in coverage["risk_band"]]
            self.table(
                coverage,
                {"risk_band": self.t("ew_band"), "n_pupils": self.t("ew_pupils"),
                 "n_with_plan": self.t("ew_with_plan"), "share_with_plan": self.t("ew_share_with_plan")},
                {"n_pupils": self.fmt_count(), "n_with_plan": self.fmt_count(), "share_with_plan": self.fmt_pct()},
                count_cols=("n_pupils", "n_with_plan"),
                total=self.t("ew_band_ALL"),
            )  # fmt: skip
        auc = method.get("value")
        known = method.get("metric") == "auc" and auc is not None and not pd.isna(auc)
        if known and (method["n_leavers"] or 0) >= self.k:
            self.text("ew_auc", auc=self.num(auc, 2), ci=self.interval(method["ci_low"], method["ci_high"]),
                      test=method.get("test_year") or "")  # fmt: skip
        for warning in queries.early_warning_warnings(self.con, self.k):
            display(HTML(f'<p style="color:#a00"><b>{escape(warning)}</b></p>'))
        for dimension in ("gender", "grade_band", "municipality"):
            audit = queries.early_warning_audit(self.con, self.k, dimension)
            if audit.empty:
                continue
            display(Markdown(f"**{self.t('ew_by_' + dimension)}**"))
            audit["group_value"] = audit["group_value"].replace({"ALL": self.t("total")})
            for rate in queries.EW_RATES:
                audit[f"{rate}_ci"] = [
                    self.interval(100 * lo, 100 * hi, 1) if not (pd.isna(lo) or pd.isna(hi)) else "–"
                    for lo, hi in zip(audit[f"{rate}_low"], audit[f"{rate}_high"], strict=True)
                ]
                audit[rate] = 100 * audit[rate]
            self.table(
                audit,
                {"group_value": "", "n_pupils": self.t("ew_pupils"), "n_leavers": self.t("ew_leavers"),
                 "n_flagged": self.t("ew_flagged"), "flag_rate": self.t("ew_flag_rate"), "flag_rate_ci": self.t("ci95"),
                 "recall": self.t("ew_recall"), "recall_ci": self.t("ci95"),
                 "false_positive_rate": self.t("ew_fpr"), "false_positive_rate_ci": self.t("ci95")},
                {"n_pupils": self.fmt_count(), "n_leavers": self.fmt_count(), "n_flagged": self.fmt_count(),
                 "flag_rate": self.fmt_pct(), "recall": self.fmt_pct(), "false_positive_rate": self.fmt_pct(),
                 "flag_rate_ci": str, "recall_ci": str, "false_positive_rate_ci": str},
                count_cols=queries.EW_COUNTS,
                total=self.t("total"),
            )  # fmt: skip
        self.note("ew_note", k=self.k)

    def close(self) -> None:
        self.con.close()
