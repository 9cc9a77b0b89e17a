# Atbalsta pārskats / Support overview: izpilda `atbalsts report` (papermill), koda šūnas pārskatā ir paslēptas;
# visi teksti nāk no pipelines/report/labels.py, visi vaicājumi no pipelines/report/queries.py.

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
from pipelines.report.labels import mode_name, role_name, subject_name
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
R.h1("title_support_overview")
R.filters_line()
R.text("so_intro")
R.suppressed_note()

# %%
R.h2("so_totals")
tot = q.support_totals(R.con, R.k, R.municipality, R.school_year).iloc[0]
summary = pd.DataFrame(
    {
        "measure": [R.t(x) for x in ("pupils_supported", "consultations", "hours_unit", "staff", "schools", "plans")],
        "value": [
            R.count(tot["pupils"]),
            R.num(tot["consultations"]),
            R.num(tot["hours"]),
            R.num(tot["staff"]),
            R.num(tot["schools"]),
            R.count(tot["plans"]),
        ],
    }
)
R.table(summary, {"measure": R.t("mu_measure"), "value": ""}, {"value": str})

# %%
R.h2("so_by_semester")
sem = q.support_by_semester(R.con, R.k, R.municipality, R.school_year)
rows = sem[(sem["school_year"] != "ALL") & (sem["semester"] != "ALL")].copy()
if rows.empty:
    R.note("no_data")
else:
    rows["period"] = rows["school_year"] + " " + rows["semester"] + ". " + R.t("semester_short")
    rows["hours_in_person"] = rows["hours"] - rows["hours_remote"]
    R.figure(
        plots.grouped_columns(
            list(rows["period"]), {R.t("pupils_supported"): rows["pupils"]}, R.t("so_pupils_chart"), R.t("pupils"), lang
        )
    )
    hours = {mode_name("in_person", lang): rows["hours_in_person"], mode_name("remote", lang): rows["hours_remote"]}
    unsplit = rows["hours"].where(rows["hours_remote"].isna())  # the split is withheld, the total is not
    if unsplit.notna().any():
        hours[R.t("so_hours_unsplit")] = unsplit
    hours = {name: values for name, values in hours.items() if values.notna().any()}  # no empty legend entries
    if hours:
        R.figure(
            plots.grouped_columns(
                list(rows["period"]), hours, R.t("so_hours_chart"), R.t("hours_unit"), lang, stacked=True
            )
        )
    total = sem[(sem["school_year"] == "ALL") & (sem["semester"] == "ALL")].assign(period=R.t("total"))
    R.table(
        pd.concat([rows, total]),
        {
            "period": R.t("period"),
            "pupils": R.t("pupils_supported"),
            "consultations": R.t("consultations"),
            "hours": R.t("hours_unit"),
            "staff": R.t("staff"),
        },
        {"pupils": R.fmt_count(), "consultations": R.fmt_num(), "hours": R.fmt_num(), "staff": R.fmt_num()},
        count_cols=("pupils",),
        total=R.t("total"),
    )

# %%
R.h2("so_roles")
roles = q.staff_by_role(R.con, R.k, R.municipality, R.school_year)
roles["name"] = [role_name(c, lang) for c in roles["staff_role"]]
parts = roles[roles["staff_role"] != "ALL"]
if not parts.empty and parts["hours"].notna().any():
    R.figure(plots.bars(list(parts["name"]), parts["hours"], R.t("so_roles_chart"), R.t("hours_unit"), lang))
R.table(
    pd.concat([parts, roles[roles["staff_role"] == "ALL"]]),
    {
        "name": R.t("role"),
        "staff": R.t("staff"),
        "pupils": R.t("pupils"),
        "consultations": R.t("consultations"),
        "hours": R.t("hours_unit"),
    },
    {"staff": R.fmt_num(), "pupils": R.fmt_count(), "consultations": R.fmt_num(), "hours": R.fmt_num()},
    count_cols=("pupils",),
    total=R.t("total"),
)

# %%
R.h2("so_subjects")
subj = q.support_by_subject(R.con, R.k, R.municipality, R.school_year)
subj["name"] = [subject_name(c, lang) for c in subj["subject"]]
parts = subj[subj["subject"] != "ALL"]
if not parts.empty and parts["hours"].notna().any():
    R.figure(plots.bars(list(parts["name"]), parts["hours"], R.t("so_subjects_chart"), R.t("hours_unit"), lang))
R.table(
    pd.concat([parts, subj[subj["subject"] == "ALL"]]),
    {
        "name": R.t("subject"),
        "pupils": R.t("pupils"),
        "consultations": R.t("consultations"),
        "hours": R.t("hours_unit"),
    },
    {"pupils": R.fmt_count(), "consultations": R.fmt_num(), "hours": R.fmt_num()},
    count_cols=("pupils",),
    total=R.t("total"),
)

# %%
R.h2("so_modes")
modes = q.support_by_mode(R.con, R.k, R.municipality, R.school_year)
modes = modes[(modes["school_year"] == "ALL") & (modes["semester"] == "ALL")].copy()
all_hours = modes.loc[modes["mode"] == "ALL", "hours"].sum()
modes["share"] = 100 * modes["hours"] / all_hours if all_hours else float("nan")
modes["name"] = [mode_name(c, lang) for c in modes["mode"]]
modes = pd.concat([modes[modes["mode"] != "ALL"], modes[modes["mode"] == "ALL"]])
R.table(
    modes,
    {
        "name": R.t("mode"),
        "pupils": R.t("pupils"),
        "consultations": R.t("consultations"),
        "hours": R.t("hours_unit"),
        "share": R.t("share_pct"),
    },
    {"pupils": R.fmt_count(), "consultations": R.fmt_num(), "hours": R.fmt_num(), "share": R.fmt_pct()},
    count_cols=("pupils",),
    total=R.t("total"),
)

# %%
R.programme_section()

# %%
R.costs_section()

# %%
R.plans_by_school_section()
R.close()
