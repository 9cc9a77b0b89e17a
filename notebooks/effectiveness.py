# Atbalsta efektivitāte / Effectiveness: izpilda `atbalsts report` (papermill), koda šūnas pārskatā ir paslēptas;
# visi teksti nāk no pipelines/report/labels.py, visi vaicājumi no pipelines/report/queries.py.

# %% tags=["parameters"]
warehouse = "data/processed/warehouse.duckdb"
municipality = ""
school_year = ""
published = ""  # the export's kept files of this run (history/<run_id>/)
report_cells = ""  # this run's report cells (report_history/<run_id>/)
lang = "lv"
k = 5
max_useful_mdes = 0.5  # params.yaml evaluate.*: docs/method.md, "For decisions"
decision_threshold = 0.2
prior_sd = 0.3

# %%
import pandas as pd

from pipelines.report import plots
from pipelines.report import queries as q
from pipelines.report.fmt import WITHHELD
from pipelines.report.labels import label_or, mode_name, role_name, subject_name
from pipelines.report.nb import Report

R = Report(
    warehouse,
    lang=lang,
    k=k,
    municipality=municipality,
    school_year=school_year,
    published=published,
    report_cells=report_cells,
)
R.h1("title_effectiveness")
R.filters_line()
R.text("ef_intro")
overall = q.effectiveness(R.con, R.k, "overall", R.municipality, R.school_year)
EFFECT_COLS = {
    "n_pupils": R.t("pupils_supported"),
    "n_comparison": R.t("n_comparison"),
    "naive_change": R.t("naive"),
    "effect": R.t("adjusted"),
    "ci": R.t("ci95"),
    "hedges_g": R.t("hedges_g"),
}
EFFECT_FORMATS = {
    "n_pupils": R.fmt_count(),
    "n_comparison": R.fmt_count(),
    "naive_change": R.fmt_signed(2),
    "effect": R.fmt_signed(2),
    "ci": str,
    "hedges_g": R.fmt_signed(2),
}


def with_ci(frame):
    """The interval as one readable cell; "[c]" where the row is withheld."""
    withheld = frame["suppressed"].fillna(False) if "suppressed" in frame else [False] * len(frame)
    cells = [
        WITHHELD if w else R.interval(lo, hi)
        for lo, hi, w in zip(frame["ci_low"], frame["ci_high"], withheld, strict=True)
    ]
    return frame.assign(ci=cells)


# %%
diag = q.design_diagnostics(R.con, R.k, R.municipality, R.school_year)
R.h2("ef_primary")
R.warning_box(diag)  # above the headline: a placebo says the comparison is not fair
if overall.empty:
    R.note("not_available")
else:
    row = overall.iloc[0]
    if pd.isna(row["effect"]):
        R.note("no_data")
    else:
        R.decision_lead(row, diag, threshold=decision_threshold, prior_sd=prior_sd)
        R.h2("ef_summary")
        values = {"effect": R.signed(row["effect"]), "low": R.signed(row["ci_low"]), "high": R.signed(row["ci_high"])}
        key = "ef_summary_unclear"
        if diag.get("design_warning") is True:  # no direction read off a comparison the checks doubt
            key = "ef_summary_warning"
        elif row["ci_low"] > 0 or row["ci_high"] < 0:  # the sentence carries the direction, the number its size
            key = "ef_summary_positive" if row["ci_low"] > 0 else "ef_summary_negative"
            values["effect"] = R.num(abs(row["effect"]), 2)
        R.text(key, **values)
        R.interval_caveats(diag)
        R.text("ef_summary_naive", naive=R.signed(row["naive_change"]))
        R.text("ef_summary_count", n=R.count(row["n_pupils"]), m=R.count(row["n_comparison"]))
        R.sensitivity_sentence(diag, R.municipality or R.t("project_wide"))
    R.h2("ef_caveats_title")
    R.text("ef_caveats")

# %%
R.estimates_table(diag)
R.flow_section(diag)
R.attrition_note(diag)
R.placebo_section(diag)

# %%
if not overall.empty:
    R.h2("ef_overall")
    R.table(with_ci(overall), EFFECT_COLS, EFFECT_FORMATS, count_cols=("n_pupils", "n_comparison"))
    R.suppressed_note()

# %%
by_project = q.effectiveness(R.con, R.k, "project", R.municipality, R.school_year)
if not by_project.empty and by_project["effect"].notna().any():
    R.h2("ef_projects")
    R.table(
        with_ci(by_project),
        {"project_code": R.t("project"), **EFFECT_COLS, **R.decision_cols(decision_threshold)},
        {**EFFECT_FORMATS, **R.decision_formats()},
        count_cols=("n_pupils", "n_comparison"),
    )
    headline_method = overall["interval_method"].iloc[0] if "interval_method" in overall and len(overall) else None
    R.cr1_rows_note(by_project, "project_code", headline_method)


def breakdown_section(frame, label_col, title_key, label_name):
    """Forest plot (small cells grey, pooled estimate marked), how many cells, which are too small, the table."""
    if frame["effect"].notna().any():
        R.figure(
            plots.forest(
                frame,
                label_col,
                R.t(title_key),
                R.t("ef_forest_x"),
                lang,
                R.t("naive"),
                R.t("adjusted"),
                max_mdes=max_useful_mdes,
                pooled_label=R.t("pooled"),
            )
        )
        R.note("ef_forest_note")
        R.forest_notes(frame, label_col, max_useful_mdes)
    R.table(
        with_pooled_ci(with_ci(frame)),
        {label_col: label_name, **EFFECT_COLS, "mdes": R.t("mdes"), "pooled": R.t("pooled"),
         "pooled_ci": R.t("pooled_ci")},  # fmt: skip
        {**EFFECT_FORMATS, "mdes": R.fmt_num(2), "pooled": R.fmt_signed(2), "pooled_ci": str},
        count_cols=("n_pupils", "n_comparison"),
    )


def with_pooled_ci(frame):
    """The pooled estimate and its interval as readable cells ("–" where there is none)."""
    pooled = frame["effect_pooled"] if "effect_pooled" in frame else pd.Series([None] * len(frame))
    cells = [
        "–" if pd.isna(lo) or pd.isna(hi) else R.interval(lo, hi)
        for lo, hi in zip(frame.get("ci_low_pooled", pooled), frame.get("ci_high_pooled", pooled), strict=True)
    ]
    return frame.assign(pooled=pooled, pooled_ci=cells)


# %%
R.h2("ef_forest_subject")
by_subject = q.effectiveness(R.con, R.k, "subject", R.municipality, R.school_year)
if by_subject.empty:
    R.note("not_available")
else:
    by_subject["name"] = [subject_name(c, lang) for c in by_subject["subject"]]
    breakdown_section(by_subject, "name", "ef_forest_subject", R.t("subject"))

# %%
R.h2("ef_forest_municipality")
by_muni = q.effectiveness(R.con, R.k, "municipality", None, R.school_year)
if by_muni.empty:
    R.note("not_available")
else:
    breakdown_section(by_muni, "municipality", "ef_forest_municipality", R.t("municipality"))
    R.note("ef_pooled_note")

# %%
R.h2("ef_balance")
parts = []
if not overall.empty:
    parts.append(overall.assign(name=R.t("project_wide") if not R.municipality else R.municipality))
if not by_subject.empty:
    parts.append(by_subject.assign(name=by_subject["name"]))
if not by_muni.empty and not R.municipality:
    parts.append(by_muni.assign(name=by_muni["municipality"]))
if parts:
    balance = pd.concat(parts, ignore_index=True)
    verdict = {"satisfied": "balance_ok", "adjustment_required": "balance_adjust", "not_satisfied": "balance_bad"}
    codes = balance["wwc_equivalence"] if "wwc_equivalence" in balance else [None] * len(balance)
    balance["verdict"] = [
        label_or(verdict.get(code, ""), lang, "–") if pd.notna(diff) else "–"  # no verdict on a withheld cell
        for code, diff in zip(codes, balance["baseline_std_diff"], strict=True)
    ]
    R.table(
        balance,
        {
            "name": "",
            "n_pupils": R.t("pupils_supported"),
            "baseline_std_diff": R.t("baseline_std_diff"),
            "verdict": R.t("balance_verdict"),
        },
        {"n_pupils": R.fmt_count(), "baseline_std_diff": R.fmt_num(2)},
        count_cols=("n_pupils",),
    )
    R.note("ef_balance_note")
else:
    R.note("not_available")

# %%
R.h2("ef_dose")
dose = q.dose_response(R.con, R.k, "hours_band")
if dose.empty:
    R.note("not_available")
else:
    dose["name"] = [f"{band.replace('-', '–')} h" for band in dose["level"]]
    shown = dose.dropna(subset=["effect"])
    if not shown.empty:
        R.figure(plots.dose(shown, "name", R.t("ef_dose"), R.t("ef_dose_x"), R.t("ef_forest_x"), lang))
    R.table(
        with_ci(dose),
        {"name": R.t("ef_dose_x"), **{c: v for c, v in EFFECT_COLS.items() if c != "naive_change"}},
        EFFECT_FORMATS,
        count_cols=("n_pupils", "n_comparison"),
    )
    by_mode = q.dose_response(R.con, R.k, "main_mode")
    if not by_mode.empty:
        by_mode["name"] = [mode_name(c, lang) if c != "unknown" else R.t("unknown") for c in by_mode["level"]]
        R.table(
            with_ci(by_mode),
            {"name": R.t("mode"), **{c: v for c, v in EFFECT_COLS.items() if c != "naive_change"}},
            EFFECT_FORMATS,
            count_cols=("n_pupils", "n_comparison"),
        )
    by_role = q.dose_response(R.con, R.k, "main_role")
    if not by_role.empty:
        by_role["name"] = [role_name(c, lang) for c in by_role["level"]]
        R.table(
            with_ci(by_role),
            {"name": R.t("role"), **{c: v for c, v in EFFECT_COLS.items() if c != "naive_change"}},
            EFFECT_FORMATS,
            count_cols=("n_pupils", "n_comparison"),
        )
    by_form = q.dose_response(R.con, R.k, "support_form")
    if not by_form.empty:
        by_form["name"] = [R.t(f"support_form_{c}") for c in by_form["level"]]
        R.table(
            with_ci(by_form),
            {"name": R.t("ef_support_form"), **{c: v for c, v in EFFECT_COLS.items() if c != "naive_change"}},
            EFFECT_FORMATS,
            count_cols=("n_pupils", "n_comparison"),
        )
        R.note("ef_support_form_note")

# %%
R.h2("ef_event")
event = q.event_study(R.con, R.k)
if event.empty:
    R.note("not_available")
else:
    names = dict(zip(["s-2", "s-1", "s_before", "s_after", "s+1"], R.t("ef_event_periods").split("|"), strict=True))
    labels = [names.get(p, p) for p in event["period"]]
    R.figure(
        plots.event_steps(
            labels,
            {R.t("supported"): event["mean_supported"], R.t("comparison"): event["mean_comparison"]},
            (event["difference"], event["ci_low"], event["ci_high"]),
            list(event["matched_on"].fillna(False)),
            R.t("ef_event"),
            R.t("ef_event_diff"),
            R.t("ef_event_y"),
            lang,
        )
    )
    event["name"] = labels
    event["ci"] = [R.interval(lo, hi) for lo, hi in zip(event["ci_low"], event["ci_high"], strict=True)]
    R.table(
        event,
        {
            "name": R.t("ef_event_x_sem"),
            "mean_supported": R.t("supported"),
            "mean_comparison": R.t("comparison"),
            "difference": R.t("ef_event_diff"),
            "ci": R.t("ci95"),
        },
        {"mean_supported": R.fmt_num(2), "mean_comparison": R.fmt_num(2), "difference": R.fmt_signed(2), "ci": str},
    )
    R.note("ef_event_note_sem", k=R.k, k1=R.k - 1)
    R.event_notes(event)

# %%
R.h2("ef_subgroups")
groups = q.subgroups(R.con, R.k)
if groups.empty:
    R.note("not_available")
else:
    R.text("ef_subgroups_intro")

    def level_name(subgroup, level):
        if subgroup == "grade_band" and level != "ALL":
            return R.t("level_grades", grades=level.replace("-", "–"))
        return R.t(f"level_{level}")

    groups["name"] = [
        f"{R.t('subgroup_' + g)}: {level_name(g, str(v))}"
        for g, v in zip(groups["subgroup"], groups["level"], strict=True)
    ]
    levels = groups[groups["level"] != "ALL"]
    if levels["effect"].notna().any():
        R.figure(
            plots.forest(levels, "name", R.t("ef_subgroups"), R.t("ef_forest_x"), lang, R.t("naive"), R.t("adjusted"))
        )
    for subgroup, part in groups.groupby("subgroup", sort=False):
        p_value = part["p_heterogeneity"].dropna()
        name = R.t("subgroup_" + subgroup)
        if p_value.empty:
            R.text("ef_subgroups_untested", name=name)
        else:
            key = "ef_subgroups_differ" if p_value.iloc[0] < 0.05 else "ef_subgroups_same"
            R.text(key, name=name, p=R.num(p_value.iloc[0], 3))
    R.table(
        with_ci(groups),
        {"name": "", "n_pupils": R.t("pupils_supported"), "n_comparison": R.t("n_comparison"),
         "effect": R.t("adjusted"), "ci": R.t("ci95"), "p_heterogeneity": R.t("p_heterogeneity")},  # fmt: skip
        {"n_pupils": R.fmt_count(), "n_comparison": R.fmt_count(), "effect": R.fmt_signed(2), "ci": str,
         "p_heterogeneity": R.fmt_num(3)},  # fmt: skip
        count_cols=("n_pupils", "n_comparison"),
    )
    R.note("ef_subgroups_note")

# %%
R.h2("ef_staying")
stay = q.staying(R.con, R.k)
if stay.empty:
    R.note("not_available")
else:
    stay["name"] = stay["school_year"].replace({"ALL": R.t("total")})
    stay["pct_t"] = 100 * stay["mean_treated"]
    stay["pct_c"] = 100 * stay["mean_comparison"]
    stay["diff"] = 100 * stay["effect"]
    stay["ci"] = [R.interval(100 * lo, 100 * hi, 1) for lo, hi in zip(stay["ci_low"], stay["ci_high"], strict=True)]
    R.table(
        stay,
        {
            "name": R.t("school_year"),
            "n_pupils": R.t("pupils_supported"),
            "n_comparison": R.t("n_comparison"),
            "pct_t": f"{R.t('stayed')}: {R.t('supported').lower()} (%)",
            "pct_c": f"{R.t('stayed')}: {R.t('comparison').lower()} (%)",
            "diff": f"{R.t('effect')} (p.p.)",
            "ci": R.t("ci95"),
        },
        {
            "n_pupils": R.fmt_count(),
            "n_comparison": R.fmt_count(),
            "pct_t": R.fmt_num(1),
            "pct_c": R.fmt_num(1),
            "diff": R.fmt_signed(1),
            "ci": str,
        },
        count_cols=("n_pupils", "n_comparison"),
        total=R.t("total"),
    )
    R.note("ef_staying_note")
    balance = q.staying_balance(R.con)
    if balance and balance["unbalanced"] > 0:  # said in words: the comparison there rests on matching alone
        R.text("ef_staying_unbalanced", n=R.count(balance["unbalanced"]), m=R.count(balance["cells"]))

# %%
R.h2("ef_absences")
absent = q.absences(R.con, R.k)
if absent.empty:
    R.note("not_available")
else:
    absent["name"] = absent["school_year"].replace({"ALL": R.t("total")})
    absent["ci"] = [R.interval(lo, hi, 2) for lo, hi in zip(absent["ci_low"], absent["ci_high"], strict=True)]
    R.table(
        absent,
        {
            "name": R.t("school_year"),
            "n_pupils": R.t("pupils_supported"),
            "n_comparison": R.t("n_comparison"),
            "mean_treated": f"{R.t('unexcused_per_month')}: {R.t('supported').lower()}",
            "mean_comparison": f"{R.t('unexcused_per_month')}: {R.t('comparison').lower()}",
            "effect": R.t("effect"),
            "ci": R.t("ci95"),
        },
        {
            "n_pupils": R.fmt_count(),
            "n_comparison": R.fmt_count(),
            "mean_treated": R.fmt_num(2),
            "mean_comparison": R.fmt_num(2),
            "effect": R.fmt_signed(2),
            "ci": str,
        },
        count_cols=("n_pupils", "n_comparison"),
        total=R.t("total"),
    )
    R.note("ef_absences_note")

# %%
R.early_warning_section()

# %%
R.close()
