"""A small warehouse for the report tests, built in SQL (no pupil is real; ids are hashes).

Six schools in four municipalities; Ludzas novads has only three supported pupils, so every
table about it must show "[c]" rather than 3.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.evaluate.stage import SQL_DIR as EVALUATE_SQL
from pipelines.warehouse import connect, ensure_schema, load_sql

SCHOOLS = [
    ("9000000001", "Rīgas 1. vidusskola", "Rīgas valstspilsēta"),
    ("9000000002", "Rīgas Ķengaraga pamatskola", "Rīgas valstspilsēta"),
    ("9000000003", "Daugavpils Saules skola", "Daugavpils valstspilsēta"),
    ("9000000004", "Daugavpils 9. vidusskola", "Daugavpils valstspilsēta"),
    ("9000000005", "Ludzas pamatskola", "Ludzas novads"),
    ("9000000006", "Cēsu Valsts ģimnāzija", "Cēsu novads"),
]
SMALL_MUNICIPALITY = "Ludzas novads"

BUILD_SQL = """
create table core.schools as select 'schools.csv' source_file, 1 source_line, school_id row_key, *
    from (values {schools}) v(school_id, school_name, municipality);

create table core.pupils as
select 'pupils.csv' source_file, i source_line, md5(school_id || i || y) row_key,
       left(md5(school_id || '-' || i), 16) pupil_id, school_id, y school_year, '7.a' class_raw, 7 grade_level,
       'a' class_letter, case when i % 2 = 0 then 'F' else 'M' end gender,
       case when i % 29 = 0 and y = '2024/2025' then date '2025-02-01' end left_on, null leaving_reason
from core.schools, range(60) r(i), (values ('2023/2024'), ('2024/2025')) yy(y);

create table core.plans as
select 'plans.csv' source_file, i source_line, md5('plan' || school_id || i) row_key,
       left(md5(school_id || '-' || i), 16) pupil_id, school_id,
       date '2023-10-01' + to_months(cast(i % 14 as int)) plan_start, null::date plan_end,
       '8.3.4.0/16/I/001' project_code, null risk_factors,
       case when i % 14 >= 11 then '2024/2025' else '2023/2024' end school_year
from core.schools, range(60) r(i)
where i % 3 = 0 and (school_id <> '9000000005' or i < 9);

create table core.consultations as
with base as (
    select p.pupil_id, p.school_id, s.municipality, p.plan_start + to_months(cast(m as int))
               + to_days(cast(hash(p.pupil_id) % 20 as int)) date,
           m, cast(hash(p.pupil_id || m) % 1000003 as bigint) h
    from core.plans p join core.schools s using (school_id), range(8) r(m)
    where p.plan_start + to_months(cast(m as int)) < date '2025-06-01'
)
select 'consultations.csv' source_file, row_number() over () source_line, md5(pupil_id || m) row_key,
       date, case when month(date) >= 9 then year(date) || '/' || (year(date) + 1)
                  else (year(date) - 1) || '/' || year(date) end school_year,
       case when month(date) >= 9 then 1 else 2 end semester,
       pupil_id, school_id, left(md5(school_id || (h % 3)), 16) staff_id,
       ['teacher', 'teaching_assistant', 'psychologist', 'social_pedagogue'][1 + h % 4] staff_role, null staff_role_raw,
       ['mathematics', 'latvian', 'english', null][1 + (h // 7) % 4] subject, null subject_raw,
       40.0 + 5 * (h % 5) as minutes, case when h % 4 = 0 then 'remote' else 'in_person' end mode, null mode_raw,
       null::integer group_size, '8.3.4.0/16/I/001' project_code, municipality
from base;

create table core.grades as
with base as (
    select p.pupil_id, p.school_id, s.municipality, date '2023-09-15' + to_months(cast(m as int)) date, subj,
           cast(hash(p.pupil_id || m || subj) % 1000003 as bigint) h
    from core.pupils p join core.schools s using (school_id), range(21) r(m),
         (values ('mathematics'), ('latvian')) su(subj)
    where p.school_year = '2023/2024' and month(date '2023-09-15' + to_months(cast(m as int))) not in (6, 7, 8)
)
select 'grades.csv' source_file, row_number() over () source_line, md5(pupil_id || date || subj) row_key,
       date, case when month(date) >= 9 then year(date) || '/' || (year(date) + 1)
                  else (year(date) - 1) || '/' || year(date) end school_year,
       case when month(date) >= 9 then 1 else 2 end semester, pupil_id, school_id, subj subject, null subject_raw,
       cast(4 + h % 6 as varchar) grade_raw, 'score' grade_kind, cast(4 + h % 6 as integer) grade_score,
       null grade_level_code, null::boolean passed, null::double grade_percent, 'summative' assessment_type,
       null assessment_type_raw, municipality
from base;

create table core.activities as
select 'activities.csv' source_file, a source_line, school_id, 'A' || a activity_id,
       date '2024-10-07' + to_days(cast(7 * a as int)) date, '2024/2025' school_year,
       case when a < 12 then 1 else 2 end semester,
       municipality, ['group_lesson', 'research_workshop', 'study_visit'][1 + a % 3] activity_type, null subject,
       case when a % 3 = 2 then 240.0 else 90.0 end as minutes, '8.3.2.2/16/I/001' project_code,
       case when a % 3 = 2 then 0 else 12 end n_listed, case when a % 3 = 2 then 25 else 12 end n_participants
from core.schools, range(20) r(a);

create table core.activity_participants as
select a.source_file, a.source_line, p.pupil_id, a.school_id, a.activity_id, a.date, a.school_year, a.semester,
       a.municipality, a.activity_type, a.subject, a.minutes, a.project_code
from core.activities a
join (select pupil_id, school_id, row_number() over (partition by school_id order by pupil_id) n
      from core.pupils where school_year = '2024/2025') p
    on p.school_id = a.school_id and p.n between 1 + (a.source_line % 4) * 12 and 12 + (a.source_line % 4) * 12
where a.n_listed > 0;

create table core.financial_support as
select 'financial.csv' source_file, row_number() over () source_line, md5(p.pupil_id || m) row_key,
       date '2024-10-05' + to_months(cast(m as int)) date, '2024/2025' school_year,
       case when m < 3 then 1 else 2 end semester, p.pupil_id, p.school_id, s.municipality,
       'transport' support_type, 20.0 + m amount_eur, '8.3.4.0/16/I/001' project_code
from core.plans p join core.schools s using (school_id), range(6) r(m)
where p.school_year = '2024/2025';

create table core.costs as
select 'costs.csv' source_file, row_number() over () source_line, md5(municipality || m || c) row_key,
       date '2024-09-01' + to_months(cast(m as int)) as month, '2024/2025' school_year, '8.3.4.0/16/I/001' project_code,
       municipality, true municipality_known, c cost_category, 1000.0 + 10 * m amount_eur
from (select distinct municipality from core.schools), range(10) r(m),
     (values ('remuneration'), ('administration')) cc(c);

insert into validation.quality
select school_id, strftime(date, '%Y-%m') as month, count(*) + 2, count(*), 2, 1,
       true, true, bool_or(kind = 'c'), bool_or(kind = 'g')
from (select school_id, date, 'c' kind from core.consultations union all
      select school_id, date, 'g' kind from core.grades)
where not (school_id = '9000000004' and strftime(date, '%Y-%m') in ('2024-11', '2024-12'))
group by all;

insert into quarantine.rows values
  ('rīga/grades_2024-10.csv', 14, 'grades', '9000000001', 'validate', 'grade', '12', 'grade_out_of_range',
   'Vērtējums ārpus skalas', 'Grade out of range', 'k1', 'r1'),
  ('rīga/grades_2024-10.csv', 15, 'grades', '9000000001', 'validate', 'grade', '11', 'grade_out_of_range',
   'Vērtējums ārpus skalas', 'Grade out of range', 'k2', 'r1'),
  ('ludza/cons.csv', 3, 'consultations', '9000000005', 'ingest', 'pupil_code', '***', 'invalid_personal_code',
   'Nederīgs personas kods', 'Invalid personal code', null, 'r1'),
  ('ludza/cons.csv', 4, 'consultations', '9000000005', 'ingest', 'date', '31.02.2024', 'unparseable_date',
   'Nesaprotams datums', 'Unparseable date', null, 'r1');

insert into validation.flags values
  ('rīga/cons.csv', 7, 'consultations', '9000000001', 'k9', 'warning', 'long_consultation', 'minutes', '200',
   'Ilga konsultācija', 'Long consultation', 'r1', 1),
  ('daugavpils/cons.csv', 9, 'consultations', '9000000003', 'k8', 'warning', 'unknown_subject', 'subject',
   'Šahs (3 rindas / rows)', 'Nezināms priekšmets', 'Unknown subject', 'r1', 3);

insert into meta.files (file_path, sha256, kind, status, rows_read, rows_loaded, rows_quarantined, reason, encoding,
                        delimiter, ingested_at, run_id) values
  ('rīga/cons.csv', 'a1', 'consultations', 'loaded', 1200, 1190, 10, null, 'utf-8', ';', now()::timestamp, 'r1'),
  ('rīga/grades_2024-10.csv', 'a2', 'grades', 'loaded', 3000, 2998, 2, null, 'cp1257', ';', now()::timestamp, 'r1'),
  ('ludza/cons.csv', 'a3', 'consultations', 'unchanged', 40, 38, 2, null, 'xlsx', null, now()::timestamp, 'r0'),
  ('notes.txt', 'a4', null, 'skipped', 0, 0, 0, 'not a data file', null, null, now()::timestamp, 'r1');
"""

MARTS_SQL = """
create table marts.effectiveness as
select * from (values
  ('ALL', 'ALL', 'ALL', 'ALL', 150, 420, 0.62, 0.31, 0.12, 0.50, 0.21, 0.03, 8.3, false),
  ('ALL', 'ALL', 'mathematics', 'ALL', 90, 260, 0.70, 0.41, 0.15, 0.67, 0.27, 0.04, 10.6, false),
  ('ALL', 'ALL', 'latvian', 'ALL', 60, 160, 0.48, 0.18, -0.10, 0.46, 0.12, 0.09, 4.8, false),
  ('ALL', 'ALL', 'physics', 'ALL', 3, 9, 0.48, 0.18, -0.10, 0.46, 0.12, 0.09, 4.8, false),
  ('ALL', 'Rīgas valstspilsēta', 'ALL', 'ALL', 60, 170, 0.66, 0.35, 0.05, 0.65, 0.23, 0.02, 9.1, false),
  ('ALL', 'Daugavpils valstspilsēta', 'ALL', 'ALL', 60, 160, 0.55, 0.22, -0.08, 0.52, 0.15, 0.06, 6.0, false),
  ('ALL', 'Cēsu novads', 'ALL', 'ALL', 20, 60, 0.80, -0.05, -0.60, 0.50, -0.03, 0.30, -1.2, false),
  ('ALL', 'Ludzas novads', 'ALL', 'ALL', null, null, null, null, null, null, null, null, null, true),
  ('ALL', 'Rīgas valstspilsēta', 'mathematics', 'ALL', 35, 100, 0.72, 0.45, 0.05, 0.85, 0.30, 0.03, 11.0, false)
) v(project_code, municipality, subject, school_year, n_pupils, n_comparison, naive_change, effect, ci_low, ci_high,
    hedges_g, baseline_std_diff, improvement_index, suppressed);
-- evaluate stores its WWC verdict beside the difference it judges (evaluate/estimate.py, wwc_equivalence)
alter table marts.effectiveness add column wwc_equivalence varchar;
update marts.effectiveness set wwc_equivalence = case
    when abs(baseline_std_diff) <= 0.05 then 'satisfied'
    when abs(baseline_std_diff) <= 0.25 then 'adjustment_required'
    when baseline_std_diff is not null then 'not_satisfied' end;

create table marts.dose_response as
select * from (values
  ('hours_band', '0-5', 0, 40, 120, 0.10, -0.20, 0.40, false),
  ('hours_band', '5-10', 1, 50, 150, 0.25, 0.00, 0.50, false),
  ('hours_band', '10-20', 2, 40, 110, 0.40, 0.10, 0.70, false),
  ('hours_band', '20+', 3, 20, 60, 0.55, 0.05, 1.05, false),
  ('main_mode', 'in_person', 0, 120, 330, 0.33, 0.10, 0.56, false),
  ('main_mode', 'remote', 1, 30, 90, 0.20, -0.20, 0.60, false),
  ('support_form', 'consultations_only', 0, 110, 300, 0.28, 0.05, 0.51, false),
  ('support_form', 'consultations_and_activities', 1, 40, 120, 0.41, 0.02, 0.80, false)
) v(dimension, level, level_order, n_pupils, n_comparison, effect, ci_low, ci_high, suppressed);

create table marts.event_study as
select * from (values
  (-3, 's-2', false, 80, 240, 5.40, 5.35, 0.05, -0.10, 0.20, 'school_bootstrap'),
  (-2, 's-1', true, 150, 420, 4.40, 4.42, -0.02, -0.04, 0.00, 'school_bootstrap'),
  (-1, 's_before', false, 3, 200, 5.10, 5.12, -0.02, -0.25, 0.21, 'school_bootstrap'),
  (0, 's_after', false, 150, 420, 5.75, 5.15, 0.60, 0.48, 0.72, 'school_bootstrap'),
  (1, 's+1', false, 90, 250, 5.70, 5.25, 0.45, 0.22, 0.68, 'school_bootstrap')
) v(step, period, matched_on, n_supported, n_comparison, mean_supported, mean_comparison, difference, ci_low,
    ci_high, interval_method);

-- Rīga's comparison failed the placebo (a dip before support); Cēsu's flow drops 2 pupils at the caliper.
create table marts.effectiveness_detail as
select * from (values
  ('ALL', 'ALL', 'ALL', 'ALL', 190, 180, 170, 150, 0.31, 0.12, 0.50, 0.62, 0.03, -0.10, 0.16, -0.02, -0.12,
   0.08, false, '', null, 0.21, 0.30, false, 0.33, 0.14, 0.52, false),
  ('ALL', 'Rīgas valstspilsēta', 'ALL', 'ALL', 80, 75, 70, 60, 0.35, 0.05, 0.65, 0.66, -0.40, -0.70, -0.10,
   0.01, -0.15, 0.17, true, 'placebo_a', 'down', 0.12, 0.20, false, 0.30, 0.02, 0.58, false),
  ('ALL', 'Cēsu novads', 'ALL', 'ALL', 30, 25, 22, 20, -0.05, -0.60, 0.50, 0.80, 0.10, -0.30, 0.50,
   null, null, null, false, '', null, 0.01, null, null, 0.02, -0.40, 0.44, false)
) v(project_code, municipality, subject, school_year, n_episodes, n_with_baseline, n_supported_total, n_pupils,
    effect, ci_low, ci_high, naive_change, placebo_effect, placebo_ci_low, placebo_ci_high, placebo_b_effect,
    placebo_b_ci_low, placebo_b_ci_high, design_warning, design_warning_reason, bias_direction, robustness_value,
    benchmark_adjusted_effect, benchmark_explains_away, effect_all_supported, ci_low_all_supported,
    ci_high_all_supported, suppressed);

create table marts.effectiveness_subgroups as
select * from (values
  ('ALL', 'gender', 'F', 70, 200, 0.50, 0.20, 0.80, 0.012, false),
  ('ALL', 'gender', 'M', 77, 210, 0.10, -0.20, 0.40, 0.012, false),
  ('ALL', 'gender', 'unknown', 3, 9, null, null, null, 0.012, true),
  ('ALL', 'gender', 'ALL', 150, 420, 0.30, 0.10, 0.50, 0.012, false),
  ('ALL', 'grade_band', '4-6', 50, 140, 0.30, 0.00, 0.60, 0.91, false),
  ('ALL', 'grade_band', '7-9', 60, 160, 0.28, 0.00, 0.56, 0.91, false),
  ('ALL', 'grade_band', '10-12', 40, 120, 0.33, 0.00, 0.66, 0.91, false),
  ('ALL', 'grade_band', 'ALL', 150, 420, 0.30, 0.10, 0.50, 0.91, false)
) v(project_code, subgroup, level, n_pupils, n_comparison, effect, ci_low, ci_high, p_heterogeneity, suppressed);

create table marts.staying as
select * from (values
  ('ALL', 150, 420, 0.94, 0.93, 0.01, -0.03, 0.05, 7, 1, 12, false),
  ('2023/2024', 80, 220, 0.95, 0.93, 0.02, -0.03, 0.07, 4, 1, 12, false),
  ('2024/2025', 70, 200, 0.943, 0.92, 0.023, -0.03, 0.07, 3, 0, 0, false)
) v(school_year, n_pupils, n_comparison, share_stayed_supported, share_stayed_comparison, difference, ci_low, ci_high,
    n_balance_cells, n_unbalanced_cells, n_unbalanced_pupils, suppressed);

-- early warning: 40 pupils a school; band by position, every third with a plan
create table marts.early_warning as
select 'p' || school_id || '-' || i as pupil_id, school_id, school_id as list_school_id, municipality,
       '2024/2025' as school_year,
       date '2025-05-20' as as_of, '8.a' as class_raw, 8 as grade_level, 'roster.csv' as source_file,
       i + 1 as source_line,
       case when i < 3 then 0.2 when i < 9 then 0.03 else 0.005 end as risk_score,
       case when i < 3 then 'high' when i < 9 then 'medium' else 'low' end as risk_band,
       null as reasons, i % 3 = 0 as has_plan, 'logistic_regression' as method
from core.schools, range(40) r(i);

create table marts.early_warning_metrics as
select * from (values
  ('auc', 'ALL', 'ALL', 400, 12, 20, 8, 0.78, 0.65, 0.91),
  ('flag_rate', 'ALL', 'ALL', 400, 12, 20, 8, 0.05, 0.03, 0.08),
  ('recall_high', 'ALL', 'ALL', 400, 12, 20, 8, 0.667, 0.39, 0.86),
  ('false_positive_rate', 'ALL', 'ALL', 400, 12, 20, 8, 0.031, 0.02, 0.05),
  ('flag_rate', 'gender', 'F', 200, 6, 12, 6, 0.06, 0.03, 0.1),
  ('recall', 'gender', 'F', 200, 6, 12, 6, 1.0, 0.6, 1.0),
  ('false_positive_rate', 'gender', 'F', 200, 6, 12, 6, 0.03, 0.01, 0.06),
  ('flag_rate', 'gender', 'M', 200, 6, 8, 2, 0.04, 0.02, 0.08),
  ('recall', 'gender', 'M', 200, 6, 8, 2, 0.333, 0.1, 0.7),
  ('false_positive_rate', 'gender', 'M', 200, 6, 8, 2, 0.03, 0.01, 0.06),
  ('recall_gap', 'gender', 'F vs M', 400, 12, 20, 8, 0.667, null, null)
) v(metric, dimension, group_value, n_pupils, n_leavers, n_flagged, n_flagged_leavers, value, ci_low, ci_high);
alter table marts.early_warning_metrics add column predicted double;
alter table marts.early_warning_metrics add column method varchar default 'logistic_regression';
alter table marts.early_warning_metrics add column train_years varchar default '2023/2024';
alter table marts.early_warning_metrics add column test_year varchar default '2024/2025';
alter table marts.early_warning_metrics add column note varchar;
update marts.early_warning_metrics set note = 'Warning: the list finds 33% of leavers in gender=M'
where metric = 'recall_gap';
"""


def build_warehouse(path: Path, marts: bool = True) -> Path:
    """Write the small warehouse to `path` and return it; `marts=False` is the state before evaluate."""
    schools = ", ".join(f"('{a}', '{b}', '{c}')" for a, b, c in SCHOOLS)
    con = connect(path)
    try:
        ensure_schema(con)
        con.execute(BUILD_SQL.format(schools=schools))
        if marts:
            con.execute(MARTS_SQL)
            # the support cube as evaluate builds it, from the core tables above
            con.execute(f"create table marts.support_cube as {load_sql(EVALUATE_SQL, 'support_cube')}")
    finally:
        con.close()
    return path
