"""Matplotlib figures shared by the notebooks: one look, readable by everyone.

Okabe–Ito colours (safe for colour-blind readers), DejaVu Sans (has every Latvian letter),
titles and axis labels with units, constrained layout so labels do not overlap, and number
ticks formatted like the tables (decimal comma in Latvian).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pipelines.report import fmt

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
GREY = "#777777"
FADED = "#b5b5b5"  # rows too small to tell


def use_style() -> None:
    """Set the house style once per notebook."""
    plt.rcParams.update(
        {
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.prop_cycle": plt.cycler(color=OKABE_ITO),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "figure.dpi": 96,
            "savefig.dpi": 96,
            "figure.constrained_layout.use": True,
            "legend.frameon": False,
            "text.parse_math": False,  # a name with two `$` is text, not (possibly invalid) maths
        }
    )


def number_axis(ax: plt.Axes, lang: str, axis: str = "y", decimals: int | None = None) -> None:
    """Tick labels written like the tables (`1 234`, `0,5`); decimals follow the tick step unless given."""
    target = ax.yaxis if axis == "y" else ax.xaxis

    def label(value: float, _pos: int | None) -> str:
        places = decimals
        if places is None:  # the fewest decimals that write every tick exactly (2,5 not "2")
            ticks = np.asarray(target.get_majorticklocs(), dtype=float)
            places = next((p for p in range(4) if np.allclose(ticks * 10**p, np.round(ticks * 10**p))), 3)
        return fmt.number(value, lang, places)

    target.set_major_formatter(FuncFormatter(label))


def wrap(label: str, width: int = 14) -> str:
    """Break a long category label over lines so neighbours do not overlap."""
    return textwrap.fill(str(label), width=width, break_long_words=False)


def _height(n_rows: int) -> float:
    return max(2.2, 0.38 * n_rows + 1.3)


def forest(
    frame: pd.DataFrame,
    label_col: str,
    title: str,
    xlabel: str,
    lang: str,
    naive_label: str,
    adjusted_label: str,
    *,
    max_mdes: float | None = None,
    pooled_label: str | None = None,
) -> Figure:
    """Naive change (hollow) and adjusted effect with its 95% interval, one line per row.

    max_mdes: rows whose minimum detectable effect (`mdes`) exceeds it are drawn grey ("too small to
    tell"). pooled_label: also mark the partially pooled estimate (`effect_pooled`) as a small bar."""
    data = frame.dropna(subset=["effect"]).reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, _height(len(data))))
    y = np.arange(len(data))[::-1]
    grey = np.zeros(len(data), dtype=bool)
    if max_mdes is not None and "mdes" in data:
        grey = (pd.to_numeric(data["mdes"], errors="coerce") > max_mdes).to_numpy()
    colours = [FADED if g else OKABE_ITO[0] for g in grey]
    ax.hlines(y, data["ci_low"], data["ci_high"], color=colours, linewidth=2)
    ax.scatter(data["effect"], y, c=colours, s=49, zorder=3, label=adjusted_label)
    if "naive_change" in data:
        ax.plot(data["naive_change"], y + 0.22, "D", mfc="white", color=OKABE_ITO[1], markersize=6, label=naive_label)
    if pooled_label and "effect_pooled" in data and data["effect_pooled"].notna().any():
        ax.plot(data["effect_pooled"], y - 0.22, "|", color=OKABE_ITO[2], markersize=12, mew=2.5, label=pooled_label)
    ax.axvline(0, color=GREY, linewidth=1)
    ax.set_yticks(y, data[label_col])
    for tick, g in zip(ax.get_yticklabels(), grey, strict=True):
        if g:
            tick.set_color(FADED)
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    number_axis(ax, lang, "x")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def dose(frame: pd.DataFrame, label_col: str, title: str, xlabel: str, ylabel: str, lang: str) -> Figure:
    """Effect with its 95% interval per dose band, bands in order along x."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(frame))
    effect = frame["effect"].to_numpy(dtype=float)
    err = np.vstack([effect - frame["ci_low"].to_numpy(dtype=float), frame["ci_high"].to_numpy(dtype=float) - effect])
    ax.errorbar(x, effect, yerr=err, fmt="o", color=OKABE_ITO[0], ecolor=OKABE_ITO[0], capsize=5, markersize=7)
    ax.axhline(0, color=GREY, linewidth=1)
    ax.set_xticks(x, [wrap(c) for c in frame[label_col]])
    ax.set_xlim(-0.5, len(frame) - 0.5)
    ax.grid(axis="x", visible=False)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    number_axis(ax, lang, "y")
    return fig


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    xlabel: str,
    lang: str,
    decimals: int = 0,
) -> Figure:
    """Horizontal bars, largest on top, each labelled with its value."""
    fig, ax = plt.subplots(figsize=(8, _height(len(labels))))
    y = np.arange(len(labels))[::-1]
    vals = np.asarray(values, dtype=float)
    ax.barh(y, np.nan_to_num(vals), color=OKABE_ITO[0])
    for yi, v in zip(y, vals, strict=True):
        if not np.isnan(v):
            ax.text(v, yi, " " + fmt.number(v, lang, decimals), va="center", fontsize=9)
    ax.set_yticks(y, list(labels))
    ax.grid(axis="y", visible=False)
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, (np.nanmax(vals) if len(vals) and not np.all(np.isnan(vals)) else 1) * 1.15)
    number_axis(ax, lang, "x")
    return fig


def grouped_columns(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str,
    ylabel: str,
    lang: str,
    stacked: bool = False,
) -> Figure:
    """Columns per category (e.g. semester), one colour per series, side by side or stacked."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    x = np.arange(len(categories))
    n = max(len(series), 1)
    width = 0.8 if stacked else 0.8 / n
    bottom = np.zeros(len(categories))
    for i, (name, vals) in enumerate(series.items()):
        v = np.nan_to_num(np.asarray(vals, dtype=float))
        if stacked:
            ax.bar(x, v, width, bottom=bottom, label=name, color=OKABE_ITO[i % len(OKABE_ITO)])
            bottom = bottom + v
        else:
            ax.bar(x - 0.4 + width * (i + 0.5), v, width, label=name, color=OKABE_ITO[i % len(OKABE_ITO)])
    if len(categories) <= 5:
        ax.set_xticks(x, [wrap(c) for c in categories])
    else:  # slanted labels never run into each other
        ax.set_xticks(x, [wrap(c, 20) for c in categories], rotation=30, ha="right", rotation_mode="anchor")
    ax.grid(axis="x", visible=False)
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    number_axis(ax, lang, "y")
    if len(series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def lines(
    x: Sequence[float],
    series: dict[str, tuple[Sequence[float], Sequence[float] | None, Sequence[float] | None]],
    title: str,
    xlabel: str,
    ylabel: str,
    lang: str,
    vline: float | None = None,
) -> Figure:
    """One line per series with an optional shaded band (low, high)."""
    fig, ax = plt.subplots(figsize=(8, 3.8))
    for i, (name, (y, low, high)) in enumerate(series.items()):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(x, y, marker="o", markersize=4, color=color, label=name, linestyle="-" if i == 0 else "--")
        if low is not None and high is not None:
            ax.fill_between(x, np.asarray(low, dtype=float), np.asarray(high, dtype=float), color=color, alpha=0.15)
    if vline is not None:
        ax.axvline(vline, color=GREY, linewidth=1, linestyle=":")
    ax.set_title(title, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    number_axis(ax, lang, "y")
    ax.legend(loc="best")
    return fig


def event_steps(
    labels: Sequence[str],
    means: dict[str, Sequence[float]],
    gap: tuple[Sequence[float], Sequence[float], Sequence[float]],
    matched: Sequence[bool],
    title: str,
    gap_title: str,
    ylabel: str,
    lang: str,
) -> Figure:
    """The semester-aligned event study: both groups' means above, their gap with 95 % bars below;
    the matched step is shaded, so a reader sees which agreement is by construction."""
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.6), sharex=True, height_ratios=(3, 2))
    x = np.arange(len(labels))
    for ax in (top, bottom):
        for i, is_matched in enumerate(matched):
            if is_matched:
                ax.axvspan(i - 0.4, i + 0.4, color="#eeeeee", zorder=0)
        ax.axvline(2.5, color=GREY, linewidth=1, linestyle=":")
    for i, (name, values) in enumerate(means.items()):
        top.plot(x, np.asarray(values, dtype=float), marker="o", color=OKABE_ITO[i], label=name,
                 linestyle="-" if i == 0 else "--")  # fmt: skip
    diff, low, high = (np.asarray(v, dtype=float) for v in gap)
    err = np.vstack([diff - low, high - diff])
    bottom.errorbar(x, diff, yerr=np.nan_to_num(err), fmt="o", color=OKABE_ITO[3], capsize=5)
    bottom.axhline(0, color=GREY, linewidth=1)
    top.set_title(title, loc="left")
    top.set_ylabel(ylabel)
    top.legend(loc="upper left")
    bottom.set_title(gap_title, loc="left", fontsize=10)
    bottom.set_xticks(x, [wrap(label, 16) for label in labels])
    bottom.grid(axis="x", visible=False)
    number_axis(top, lang, "y")
    number_axis(bottom, lang, "y")
    return fig


def heatmap(
    frame: pd.DataFrame,
    title: str,
    colorbar_label: str,
    lang: str,
) -> Figure:
    """Rows × columns of counts (e.g. school × month); missing cells stay white so gaps stand out."""
    values = frame.to_numpy(dtype=float)
    fig, ax = plt.subplots(figsize=(9, max(2.4, 0.32 * len(frame) + 1.6)))
    cmap = plt.get_cmap("cividis").copy()  # perceptually uniform and colour-blind safe
    cmap.set_bad("white")
    image = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, interpolation="nearest")
    ax.set_yticks(np.arange(len(frame)), [str(i) for i in frame.index])
    step = max(1, len(frame.columns) // 12)
    ax.set_xticks(
        np.arange(0, len(frame.columns), step), [str(c) for c in frame.columns[::step]], rotation=45, ha="right"
    )
    ax.grid(False)
    ax.set_title(title, loc="left")
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(colorbar_label)
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt.number(v, lang, 0)))
    return fig
