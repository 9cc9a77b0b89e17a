# Datu kvalitāte / Data quality: izpilda `atbalsts report` (papermill), koda šūnas pārskatā ir paslēptas;
# visi teksti nāk no pipelines/report/labels.py, visi vaicājumi no pipelines/report/queries.py.

# %% tags=["parameters"]
warehouse = "data/processed/warehouse.duckdb"
municipality = ""
school_year = ""
published = ""  # the export's kept files of this run (history/<run_id>/)
report_cells = ""  # this run's report cells (report_history/<run_id>/)
lang = "lv"
k = 5

# %%
from pipelines.report import plots
from pipelines.report import queries as q
from pipelines.report.labels import label_or
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
R.h1("title_data_quality")
R.filters_line()
R.text("dq_intro")

# %%
R.h2("dq_files")
files = q.files_by_status(R.con)
files["status"] = [label_or(f"status_{s}", lang, s) for s in files["status"]]
R.table(
    files,
    {
        "status": R.t("status"),
        "files": R.t("files"),
        "rows_read": R.t("rows_received"),
        "rows_loaded": R.t("rows_loaded"),
        "rows_quarantined": R.t("rows_quarantined"),
    },
    {c: R.fmt_num() for c in ("files", "rows_read", "rows_loaded", "rows_quarantined")},
)

# %%
R.h2("dq_deliveries")
deliv = q.deliveries(R.con, R.municipality, R.school_year)
if deliv.empty:
    R.note("no_data")
else:
    monthly = deliv.groupby("month", as_index=False)[["rows_loaded", "rows_quarantined"]].sum()
    R.figure(
        plots.grouped_columns(
            list(monthly["month"]),
            {R.t("rows_loaded"): monthly["rows_loaded"], R.t("rows_quarantined"): monthly["rows_quarantined"]},
            R.t("dq_deliveries_chart"),
            R.t("rows"),
            lang,
            stacked=True,
        )
    )
    grid = deliv.pivot_table(index="school_name", columns="month", values="rows_received", aggfunc="sum")
    R.figure(plots.heatmap(grid, R.t("dq_deliveries"), R.t("rows_received"), lang))
    per_school = deliv.groupby(["school_name", "municipality"], as_index=False, dropna=False).agg(
        months=("month", "nunique"),
        first=("month", "min"),
        last=("month", "max"),
        rows_received=("rows_received", "sum"),
        rows_quarantined=("rows_quarantined", "sum"),
        warnings=("warnings", "sum"),
    )
    per_school["months"] = [f"{m} / {deliv['month'].nunique()}" for m in per_school["months"]]
    R.table(
        per_school,
        {
            "school_name": R.t("school"),
            "municipality": R.t("municipality"),
            "months": R.t("dq_months_with_data"),
            "first": R.t("dq_first_month"),
            "last": R.t("dq_last_month"),
            "rows_received": R.t("rows_received"),
            "rows_quarantined": R.t("rows_quarantined"),
            "warnings": R.t("warnings"),
        },
        {"rows_received": R.fmt_num(), "rows_quarantined": R.fmt_num(), "warnings": R.fmt_num()},
    )
    R.note("dq_deliveries_note")

# %%
R.h2("dq_quarantine")
quar = q.quarantine_reasons(R.con, R.municipality, lang)
quar["stage"] = [label_or(f"stage_{s}", lang, s) for s in quar["stage"]]
quar["kind"] = [label_or(f"kind_{x}", lang, str(x)) for x in quar["kind"]]
R.table(
    quar,
    {
        "stage": R.t("stage"),
        "kind": R.t("kind"),
        "message": R.t("reason"),
        "reason_code": R.t("reason_code"),
        "n_rows": R.t("rows"),
        "files": R.t("files"),
    },
    {"n_rows": R.fmt_num(), "files": R.fmt_num()},
)

# %%
R.h2("dq_warnings")
warn = q.warning_reasons(R.con, R.municipality, lang)
warn["kind"] = [label_or(f"kind_{x}", lang, str(x)) for x in warn["kind"]]
R.table(
    warn,
    {
        "kind": R.t("kind"),
        "message": R.t("reason"),
        "reason_code": R.t("reason_code"),
        "n_rows": R.t("rows"),
        "files": R.t("files"),
    },
    {"n_rows": R.fmt_num(), "files": R.fmt_num()},
)

# %%
R.h2("dq_missing")
missing = q.missing_deliveries(R.con, R.municipality)
if missing.empty:
    R.text("dq_none_missing")
else:
    R.note("dq_missing_note")
    R.table(
        missing,
        {
            "school_name": R.t("school"),
            "municipality": R.t("municipality"),
            "months_missing": R.t("dq_missing_months"),
            "missing_months": R.t("month"),
            "last_month": R.t("dq_last_month"),
        },
        {"months_missing": R.fmt_num()},
    )
R.close()
