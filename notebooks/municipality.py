# Pašvaldības pārskats / Municipality report: izpilda `atbalsts report` (papermill) katrai pašvaldībai;
# koda šūnas pārskatā ir paslēptas; teksti nāk no pipelines/report/labels.py, vaicājumi no pipelines/report/queries.py.

# %% tags=["parameters"]
warehouse = "data/processed/warehouse.duckdb"
municipality = ""
school_year = ""
published = ""  # the export's kept files of this run (history/<run_id>/)
report_cells = ""  # this run's report cells (report_history/<run_id>/)
lang = "lv"
k = 5
dominance_p = 0.1

# %%
import pandas as pd

from pipelines.report import plots
from pipelines.report import queries as q
from pipelines.report.labels import subject_name
from pipelines.report.nb import Report

R = Report(
    warehouse,
    lang=lang,
    k=k,
    municipality=municipality,
    school_year=school_year,
    dominance_p=dominance_p,
    published=published,
    report_cells=report_cells,
)
R.h1("title_municipality", municipality)
R.filters_line()
R.text("mu_intro")
R.suppressed_note()

# %%
R.h2("mu_key_figures")
here = q.support_totals(R.con, R.k, R.municipality, R.school_year).iloc[0]
project = q.support_totals(R.con, R.k, None, R.school_year).iloc[0]
sem_here = q.support_by_semester(R.con, R.k, R.municipality, R.school_year)
sem_project = q.support_by_semester(R.con, R.k, None, R.school_year)


def remote_share(sem):
    total = sem[(sem["school_year"] == "ALL") & (sem["semester"] == "ALL")]
    if total.empty or not total["hours"].iloc[0]:
        return float("nan")
    return 100 * total["hours_remote"].iloc[0] / total["hours"].iloc[0]


def ratio(a, b):
    return float("nan") if pd.isna(a) or pd.isna(b) or not b else a / b


rows = [
    ("pupils_supported", here["pupils"], project["pupils"], R.fmt_count(), True),
    ("consultations", here["consultations"], project["consultations"], R.fmt_withheld(), True),
    ("hours_unit", here["hours"], project["hours"], R.fmt_withheld(), True),
    (
        "hours_per_pupil",
        ratio(here["hours"], here["pupils"]),
        ratio(project["hours"], project["pupils"]),
        R.fmt_withheld(1),
        False,
    ),
    ("remote_share", remote_share(sem_here), remote_share(sem_project), R.fmt_withheld(1), False),
    ("staff", here["staff"], project["staff"], R.fmt_num(), True),
    ("schools", here["schools"], project["schools"], R.fmt_num(), True),
    ("plans", here["plans"], project["plans"], R.fmt_count(), True),
]
key = pd.DataFrame(
    {
        "measure": [R.t(r[0]) for r in rows],
        "here": [r[3](r[1]) for r in rows],
        "project": [r[3](r[2]) for r in rows],
        "share": [R.fmt_withheld(1)(100 * ratio(r[1], r[2])) if r[4] else "" for r in rows],
    }
)
R.table(
    key,
    {
        "measure": R.t("mu_measure"),
        "here": municipality or R.t("this_municipality"),
        "project": R.t("project_wide"),
        "share": R.t("mu_share_of_project"),
    },
    {"here": str, "project": str, "share": str},
)

# %%
R.h2("so_by_semester")


def per_semester(sem):
    part = sem[(sem["school_year"] != "ALL") & (sem["semester"] != "ALL")].copy()
    part["period"] = part["school_year"] + " " + part["semester"] + ". " + R.t("semester_short")
    part["hours_per_pupil"] = part["hours"] / part["pupils"]
    return part.set_index("period")


ph, pp = per_semester(sem_here), per_semester(sem_project)
periods = list(pp.index)
if periods:
    R.figure(
        plots.grouped_columns(
            periods,
            {
                municipality or R.t("this_municipality"): ph["hours_per_pupil"].reindex(periods),
                R.t("project_wide"): pp["hours_per_pupil"].reindex(periods),
            },
            R.t("hours_per_pupil"),
            R.t("hours_unit"),
            lang,
        )
    )
    table = pd.DataFrame(
        {
            "period": periods,
            "pupils": ph["pupils"].reindex(periods).to_numpy(),
            "hours": ph["hours"].reindex(periods).to_numpy(),
            "hpp": ph["hours_per_pupil"].reindex(periods).to_numpy(),
            "hpp_project": pp["hours_per_pupil"].reindex(periods).to_numpy(),
        }
    )
    table.loc[~table["period"].isin(ph.index), ["pupils", "hours"]] = 0  # no support that semester: a true zero
    table["suppressed"] = table["pupils"].isna()
    R.table(
        table,
        {
            "period": R.t("period"),
            "pupils": R.t("pupils_supported"),
            "hours": R.t("hours_unit"),
            "hpp": f"{R.t('hours_per_pupil')}: {municipality}",
            "hpp_project": f"{R.t('hours_per_pupil')}: {R.t('project_wide').lower()}",
        },
        {"pupils": R.fmt_count(), "hours": R.fmt_num(), "hpp": R.fmt_num(1), "hpp_project": R.fmt_num(1)},
        count_cols=("pupils",),
    )
else:
    R.note("no_data")

# %%
R.h2("so_subjects")
sh = q.support_by_subject(R.con, R.k, R.municipality, R.school_year)
sp = q.support_by_subject(R.con, R.k, None, R.school_year)
if sp.empty:
    R.note("no_data")
else:

    def shares(frame):
        total = frame.loc[frame["subject"] == "ALL", "hours"].sum()
        part = frame[frame["subject"] != "ALL"].set_index("subject")
        return 100 * part["hours"] / total if total else part["hours"] * float("nan")

    subjects = [s for s in sp["subject"] if s != "ALL"]
    comp = pd.DataFrame({"subject": subjects})
    comp["name"] = [subject_name(s, lang) for s in subjects]
    comp["pupils"] = sh.set_index("subject")["pupils"].reindex(subjects).to_numpy() if not sh.empty else float("nan")
    comp["here"] = shares(sh).reindex(subjects).to_numpy() if not sh.empty else float("nan")
    comp["project"] = shares(sp).reindex(subjects).to_numpy()
    R.figure(
        plots.grouped_columns(
            list(comp["name"]),
            {municipality or R.t("this_municipality"): comp["here"], R.t("project_wide"): comp["project"]},
            R.t("so_subjects_chart"),
            R.t("share_hours_pct"),
            lang,
        )
    )
    R.table(
        comp,
        {
            "name": R.t("subject"),
            "pupils": R.t("pupils"),
            "here": f"{R.t('share_hours_pct')}: {municipality}",
            "project": f"{R.t('share_hours_pct')}: {R.t('project_wide').lower()}",
        },
        {"pupils": R.fmt_count(), "here": R.fmt_num(1), "project": R.fmt_num(1)},
        count_cols=("pupils",),
    )

# %%
R.h2("title_effectiveness")
eff_here = q.effectiveness(R.con, R.k, "overall", R.municipality, R.school_year)
eff_project = q.effectiveness(R.con, R.k, "overall", None, R.school_year)
diag_here = q.design_diagnostics(R.con, R.k, R.municipality, R.school_year)
diag_project = q.design_diagnostics(R.con, R.k, None, R.school_year)
# above the figures: a placebo says the comparison is not fair, here or in the project estimate shown beside it
R.warning_box(diag_here, municipality or R.t("this_municipality"))
R.warning_box(diag_project, R.t("project_wide"))
if eff_project.empty:
    R.note("not_available")
else:
    both = pd.concat(
        [eff_here.assign(name=municipality or R.t("this_municipality")), eff_project.assign(name=R.t("project_wide"))],
        ignore_index=True,
    )
    if both["effect"].notna().any():
        R.figure(
            plots.forest(
                both, "name", R.t("title_effectiveness"), R.t("ef_forest_x"), lang, R.t("naive"), R.t("adjusted")
            )
        )
        R.note("ef_forest_note")
    both["ci"] = [R.interval(lo, hi) for lo, hi in zip(both["ci_low"], both["ci_high"], strict=True)]
    R.table(
        both,
        {
            "name": "",
            "n_pupils": R.t("pupils_supported"),
            "n_comparison": R.t("n_comparison"),
            "naive_change": R.t("naive"),
            "effect": R.t("adjusted"),
            "ci": R.t("ci95"),
        },
        {
            "n_pupils": R.fmt_count(),
            "n_comparison": R.fmt_count(),
            "naive_change": R.fmt_signed(2),
            "effect": R.fmt_signed(2),
            "ci": str,
        },
        count_cols=("n_pupils", "n_comparison"),
    )
    R.interval_caveats(diag_here, municipality or R.t("this_municipality"))  # a municipality has few schools
    R.interval_caveats(diag_project, R.t("project_wide"))
    R.sensitivity_sentence(diag_here, municipality or R.t("this_municipality"))
    R.sensitivity_sentence(diag_project, R.t("project_wide"))
    R.text("ef_caveats")
    R.estimates_table(diag_here)
    R.flow_section(diag_here)
    R.placebo_section(diag_here)

# %%
R.early_warning_section()

# %%
R.programme_section()

# %%
R.costs_section()

# %%
R.plans_by_school_section()

# %%
R.h2("dq_missing")
missing = q.missing_deliveries(R.con, R.municipality)
if missing.empty:
    R.text("dq_none_missing")
else:
    R.table(
        missing,
        {
            "school_name": R.t("school"),
            "months_missing": R.t("dq_missing_months"),
            "missing_months": R.t("month"),
            "last_month": R.t("dq_last_month"),
        },
        {"months_missing": R.fmt_num()},
    )
R.close()
