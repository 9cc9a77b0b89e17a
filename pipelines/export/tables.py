"""What each exported file holds, written down once: column order, types, units, decimals and
the Latvian/English descriptions. The CSV writer, `datapackage.json` and the data dictionary
(docs/data-dictionary.md) are all generated from here so they cannot drift apart.

Regenerate the committed dictionary after a change:
`python -c "from pipelines.export.tables import write_docs; write_docs()"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.changes import DOC_SECTION as CHANGES_DOC_SECTION
from pipelines.contract import COST_CATEGORIES, OTHER_PROJECT, OTHER_SUBJECT, PROJECTS, STAFF_ROLES, SUBJECTS
from pipelines.disclosure import ALL
from pipelines.marts import (
    CLUSTER_ROBUST,
    INTERVAL_METHODS,
    NO_INTERVAL,
    SCHOOL_BOOTSTRAP,
    SCHOOL_JACKKNIFE,
    subgroup_levels,
)
from pipelines.marts import SUBGROUPS as SUBGROUP_NAMES
from pipelines.resources import PACKAGED

SUBGROUP_LEVELS = tuple(dict.fromkeys(level for name in SUBGROUP_NAMES for level in subgroup_levels(name)))

NO_SUBJECT = "none"  # consultations without a subject: non-subject support
UNKNOWN = "unknown"  # role, municipality, year or semester not given
NO_PROJECT = "none"  # consultation not attributed to a project

DOCS_PATH = PACKAGED / "docs" / "data-dictionary.md"
DICTIONARY_NAME = "data-dictionary.md"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # Frictionless type: string, integer, number, boolean
    lv: str
    en: str
    unit_lv: str = ""
    unit_en: str = ""
    decimals: int | None = None  # numbers are written with exactly this many decimals
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class TableSpec:
    name: str
    title_lv: str
    title_en: str
    grain_lv: str
    grain_en: str
    keys: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    counts: tuple[str, ...]  # n_* columns protected by disclosure control; the first is the primary
    derived: tuple[str, ...]  # figures computed from the people in the primary count (or from all counts)

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


SUBJECT_CODES = (*SUBJECTS, OTHER_SUBJECT, NO_SUBJECT, ALL)
ROLE_CODES = (*STAFF_ROLES, UNKNOWN, ALL)

_KEY_COLUMNS = (
    ColumnSpec(
        "project_code",
        "string",
        f"ES fonda projekta numurs; `{OTHER_PROJECT}` — skolas norādītais projekts nav atpazīts; "
        f"`{NO_PROJECT}` — nav piesaistīts projektam; `{ALL}` — visi kopā",
        f"EU fund project number; `{OTHER_PROJECT}` — the project the school gave is not recognised; "
        f"`{NO_PROJECT}` — not attributed to a project; `{ALL}` — all together",
    ),
    ColumnSpec(
        "municipality",
        "string",
        f"Skolas pašvaldība; `{UNKNOWN}` — skola nav reģistrā; `{ALL}` — visas",
        f"Municipality of the school; `{UNKNOWN}` — school not in the registry; `{ALL}` — all",
    ),
    ColumnSpec(
        "school_year",
        "string",
        f"Mācību gads (1. septembris – 31. augusts), `2024/2025`; `{ALL}` — visi",
        f"School year (1 September – 31 August), `2024/2025`; `{ALL}` — all",
    ),
    ColumnSpec(
        "semester",
        "string",
        f"Semestris: `1` septembris–decembris, `2` janvāris–augusts; `{ALL}` — viss gads",
        f"Semester: `1` September–December, `2` January–August; `{ALL}` — whole year",
        enum=("1", "2", UNKNOWN, ALL),
    ),
)

_SUPPORT_MEASURES = (
    ColumnSpec(
        "n_pupils_supported",
        "integer",
        "Atšķirīgu skolēnu skaits, kas saņēma vismaz vienu konsultāciju (skaitīts no rindu datiem arī kopsummās)",
        "Distinct pupils who received at least one consultation (counted from row-level data for totals too)",
        "skolēni",
        "pupils",
    ),
    ColumnSpec(
        "n_consultations",
        "integer",
        "Konsultāciju ieraksti: viens ieraksts uz skolēnu uz nodarbību (grupas nodarbība — pa ierakstam katram)",
        "Consultation records: one per pupil per session (a group session gives one record per pupil)",
        "ieraksti",
        "records",
    ),
    ColumnSpec(
        "consultation_hours",
        "number",
        "Saņemtā atbalsta apjoms: ierakstu minūšu summa / 60, noapaļota līdz 0,1",
        "Support received: sum of the records' minutes / 60, rounded to 0.1",
        "skolēnstundas",
        "pupil-hours",
        decimals=1,
        minimum=0,
    ),
    ColumnSpec(
        "n_staff",
        "integer",
        "Atšķirīgu darbinieku skaits, kas vadīja konsultācijas",
        "Distinct staff members who gave the consultations",
        "darbinieki",
        "staff",
    ),
    ColumnSpec(
        "n_schools",
        "integer",
        "Atšķirīgu skolu skaits",
        "Distinct schools",
        "skolas",
        "schools",
    ),
    ColumnSpec(
        "share_remote",
        "number",
        "Attālināto ierakstu daļa starp ierakstiem ar norādītu formu, noapaļota līdz 0,001",
        "Share of records given remotely among records whose mode is known, rounded to 0.001",
        "daļa 0–1",
        "share 0–1",
        decimals=3,
        minimum=0,
        maximum=1,
    ),
)

_SUPPRESSED = ColumnSpec(
    "suppressed",
    "boolean",
    "`true`, ja kāds šīs rindas skaitlis ir aizklāts datu aizsardzības dēļ (tukša šūna)",
    "`true` when any figure in this row is withheld for disclosure control (empty cell)",
)

_SUPPORT_COUNTS = ("n_pupils_supported", "n_consultations", "n_staff", "n_schools")
_SUPPORT_DERIVED = ("consultation_hours", "share_remote")

_PROGRAMME_MEASURES = (
    ColumnSpec(
        "n_pupils_activities",
        "integer",
        "Atšķirīgu skolēnu skaits, kas uzskaitīti kā pasākumu dalībnieki (pasākumi tikai ar dalībnieku skaitu "
        "šeit neskaitās; aizsargāts atsevišķi no konsultāciju skaitiem)",
        "Distinct pupils listed as participants of activities (activities with only a head count are not counted "
        "here; protected on its own, apart from the consultation counts)",
        "skolēni",
        "pupils",
    ),
    ColumnSpec(
        "activity_hours",
        "number",
        "Pasākumu dalībnieku stundas: uzskaitīto dalībnieku minūtes un dalībnieku skaits × ilgums pasākumiem, "
        "kuros dalībnieki tikai saskaitīti, / 60, noapaļotas līdz 0,1; aizklātas kopā ar `n_pupils_activities`",
        "Participant-hours of activities: listed participants' minutes plus head count × duration where "
        "participants were only counted, / 60, rounded to 0.1; withheld with `n_pupils_activities`",
        "skolēnstundas",
        "pupil-hours",
        decimals=1,
        minimum=0,
    ),
    ColumnSpec(
        "n_pupils_financial_support",
        "integer",
        "Atšķirīgu skolēnu skaits, kas saņēma individuālo finansiālo atbalstu",
        "Distinct pupils who received individual financial support",
        "skolēni",
        "pupils",
    ),
    ColumnSpec(
        "financial_support_eur",
        "number",
        "Izmaksātā finansiālā atbalsta summa; aizklāta kopā ar `n_pupils_financial_support` (mazas grupas summa "
        "atklātu viena skolēna atbalstu) un arī tad, ja to nosaka viena skolēna maksājumi (p % dominances likums, "
        "`params.yaml` `export.dominance_p` = 0,1: visi skolēni, izņemot divus lielākos, saņēmuši mazāk par "
        "10 % no lielākā skolēna summas, tāpēc otrs lielākais saņēmējs to varētu aprēķināt 10 % robežās); tad "
        "šūnu aizklāj kā mazu skaitu — ar papildu šūnām un LP auditu (pārskatu kopsummām piemēro to pašu likumu)",
        "Financial support paid; withheld with `n_pupils_financial_support` (a small group's sum would reveal one "
        "pupil's support), and also where one pupil's payments dominate it (p% dominance rule, `params.yaml` "
        "`export.dominance_p` = 0.1: the pupils other than the two largest got less than 10 % of the largest "
        "pupil's sum, so the second-largest recipient could estimate it within 10 %); such a cell is withheld "
        "like a small count, with complementary cells and the LP audit (the reports' totals follow the same rule)",
        "EUR",
        "EUR",
        decimals=2,
        minimum=0,
    ),
)

SUPPORT_SUMMARY = TableSpec(
    name="support_summary",
    title_lv="Atbalsta apjoms",
    title_en="Support provided",
    grain_lv="viena rinda uz projektu × pašvaldību × mācību gadu × semestri, ar `ALL` kopsummām",
    grain_en="one row per project × municipality × school year × semester, with `ALL` totals",
    keys=("project_code", "municipality", "school_year", "semester"),
    columns=(*_KEY_COLUMNS, *_SUPPORT_MEASURES, *_PROGRAMME_MEASURES, _SUPPRESSED),
    counts=(*_SUPPORT_COUNTS, "n_pupils_activities", "n_pupils_financial_support"),
    derived=(*_SUPPORT_DERIVED, "activity_hours", "financial_support_eur"),
)

SUPPORT_BY_SUBJECT = TableSpec(
    name="support_by_subject",
    title_lv="Atbalsta apjoms pa mācību priekšmetiem",
    title_en="Support provided by subject",
    grain_lv="kā `support_summary`, papildus pa mācību priekšmetiem",
    grain_en="as `support_summary`, further broken down by subject",
    keys=(*SUPPORT_SUMMARY.keys, "subject"),
    columns=(
        *_KEY_COLUMNS,
        ColumnSpec(
            "subject",
            "string",
            f"Mācību priekšmeta kods (sk. kodu sarakstu); `{NO_SUBJECT}` — atbalsts bez priekšmeta; `{ALL}` — visi",
            f"Subject code (see the code list); `{NO_SUBJECT}` — non-subject support; `{ALL}` — all",
            enum=SUBJECT_CODES,
        ),
        *_SUPPORT_MEASURES,
        _SUPPRESSED,
    ),
    counts=_SUPPORT_COUNTS,
    derived=_SUPPORT_DERIVED,
)

SUPPORT_BY_ROLE = TableSpec(
    name="support_by_role",
    title_lv="Atbalsta apjoms pa darbinieku amatiem",
    title_en="Support provided by staff role",
    grain_lv="kā `support_summary`, papildus pa atbalsta sniedzēja amatiem",
    grain_en="as `support_summary`, further broken down by the role of the staff member",
    keys=(*SUPPORT_SUMMARY.keys, "staff_role"),
    columns=(
        *_KEY_COLUMNS,
        ColumnSpec(
            "staff_role",
            "string",
            f"Amata kods (sk. kodu sarakstu); `{UNKNOWN}` — amats nav norādīts; `{ALL}` — visi",
            f"Role code (see the code list); `{UNKNOWN}` — role not given; `{ALL}` — all",
            enum=ROLE_CODES,
        ),
        *_SUPPORT_MEASURES,
        _SUPPRESSED,
    ),
    counts=_SUPPORT_COUNTS,
    derived=_SUPPORT_DERIVED,
)

_GRADE_POINTS = ("balles (10 ballu skala)", "grade points (10-point scale)")
_SD = ("standartnovirzes", "standard deviations")

EFFECTIVENESS = TableSpec(
    name="effectiveness",
    title_lv="Atbalsta efektivitāte",
    title_en="Effectiveness of support",
    grain_lv="viena rinda uz projektu × pašvaldību × mācību priekšmetu × mācību gadu, ar `ALL` kopsummām",
    grain_en="one row per project × municipality × subject × school year, with `ALL` totals",
    keys=("project_code", "municipality", "subject", "school_year"),
    columns=(
        _KEY_COLUMNS[0],
        _KEY_COLUMNS[1],
        ColumnSpec(
            "subject",
            "string",
            f"Mācību priekšmeta kods; `{ALL}` — visi",
            f"Subject code; `{ALL}` — all",
            enum=SUBJECT_CODES,
        ),
        _KEY_COLUMNS[2],
        ColumnSpec(
            "n_pupils", "integer", "Novērtētie atbalstītie skolēni", "Supported pupils evaluated", "skolēni", "pupils"
        ),
        ColumnSpec(
            "n_comparison",
            "integer",
            "Salīdzināmās grupas skolēni",
            "Pupils in the comparison group",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "naive_change",
            "number",
            "Atbalstīto skolēnu vidējo atzīmju izmaiņa (pēc − pirms), bez salīdzinājuma",
            "Change in supported pupils' mean marks (after − before), without comparison",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "effect",
            "number",
            "Novērtētais atbalsta efekts pret salīdzināmo grupu",
            "Estimated effect of support against the comparison group",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_low",
            "number",
            "Efekta 95% TI apakšējā robeža",
            "Lower bound of the effect's 95% CI",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_high",
            "number",
            "Efekta 95% TI augšējā robeža",
            "Upper bound of the effect's 95% CI",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec("hedges_g", "number", "Efekta lielums (Hedges g)", "Effect size (Hedges' g)", *_SD, decimals=2),
        ColumnSpec(
            "baseline_std_diff",
            "number",
            "Grupu standartizētā atšķirība pirms atbalsta (līdzsvara pārbaude)",
            "Standardised difference between the groups before support (balance check)",
            *_SD,
            decimals=2,
        ),
        ColumnSpec(
            "improvement_index",
            "number",
            "Uzlabojuma indekss (kā WWC): procentiļu izmaiņa vidējam skolēnam",
            "Improvement index (as WWC): percentile change for the average pupil",
            "procentiļu punkti",
            "percentile points",
            decimals=2,
        ),
        ColumnSpec(
            "n_supported_total",
            "integer",
            "Atbalstītie skolēni ar bāzes un rezultāta atzīmēm pirms salīdzināmo atlases (`n_pupils` ≤ šis skaits; "
            "starpība — skolēni bez salīdzināma vienaudža, parasti ar viszemākajām atzīmēm); aizklāts arī, ja "
            "starpība ir 1..k-1 (1–4 pie k = 5)",
            "Supported pupils with baseline and outcome marks before matching (`n_pupils` ≤ this; the difference "
            "is pupils without a comparable peer, usually those with the very lowest marks); also withheld where "
            "the difference is 1..k-1 (1–4 at k = 5)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "interval_method",
            "string",
            f"Kā iegūts `ci_low`/`ci_high` (sk. docs/method.md, „Intervāli”): `{SCHOOL_JACKKNIFE}` — pa vienai "
            f"skolai izlaižot un atlasi atkārtojot (noklusējums); `{SCHOOL_BOOTSTRAP}` — skolu bootstrap, kas "
            f"atkārto atlasi; `{CLUSTER_ROBUST}` — regresijas skolu klasteru (CR1) kļūda, par šauru; "
            f"`{NO_INTERVAL}` — nav intervāla; citas vērtības (`cr2`, `cr3`, `wild_cluster_bootstrap`) — pārējās "
            "metodes, ko var izvēlēties `evaluate.interval_method`",
            f"How `ci_low`/`ci_high` were made: `{SCHOOL_JACKKNIFE}` — leave one school out and re-run the "
            f"matching (the default); `{SCHOOL_BOOTSTRAP}` — school bootstrap re-running the matching; "
            f"`{CLUSTER_ROBUST}` — the regression's school-clustered (CR1) SE, too narrow; "
            f"`{NO_INTERVAL}` — no interval; other values (`cr2`, `cr3`, `wild_cluster_bootstrap`) — the other "
            "methods `evaluate.interval_method` may name",
            enum=(*INTERVAL_METHODS, NO_INTERVAL),
        ),
        ColumnSpec(
            "placebo_effect",
            "number",
            "Placebo A: tas pats novērtējums ar sākuma semestra atzīmēm pirms atbalsta sākuma kā rezultātu; "
            "atbalsts tās nevarēja ietekmēt, tāpēc jābūt ap nulli",
            "Placebo A: the same estimate with the start term's marks from before support began as the outcome; "
            "support cannot have changed them, so it should be near zero",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "placebo_ci_low",
            "number",
            "Placebo A 95% TI apakšējā robeža (tā pati metode kā `interval_method`)",
            "Lower bound of placebo A's 95% CI (the same method as `interval_method`)",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "placebo_ci_high",
            "number",
            "Placebo A 95% TI augšējā robeža",
            "Upper bound of placebo A's 95% CI",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "robustness_value",
            "number",
            "Noturības vērtība (Cinelli & Hazlett 2020): daļa no atlikušās dispersijas, kas nenovērotam faktoram "
            "jāizskaidro gan atbalsta piešķiršanā, gan rezultātā, lai efekts kļūtu nulle",
            "Robustness value (Cinelli & Hazlett 2020): the share of residual variance a hidden factor must explain "
            "in both who got support and the outcome to bring the effect to zero",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        ColumnSpec(
            "design_warning",
            "boolean",
            "`true`, ja dizaina pārbaude (placebo A vai B, starpība semestrī pirms atbalsta, atbalstītajiem "
            "biežāk trūkstošas atzīmes, placebo C — atbalstīto atzīmes priekšmetos bez atbalsta — vai atbalsta "
            "pārnese uz salīdzinājuma skolēniem savā skolā) liecina, ka salīdzinājums, visticamāk, nav godīgs "
            "un efekts ir nobīdīts "
            "(sk. docs/method.md)",
            "`true` when a design check (placebo A or B, a gap in a semester before support, marks missing "
            "more often for the supported, placebo C — the supported pupils' marks in subjects they were not "
            "supported in — or support spilling over to comparison pupils in their own school) says the "
            "comparison is probably not fair and the effect probably "
            "biased (see docs/method.md)",
        ),
        ColumnSpec(
            "mdes",
            "number",
            "Mazākais efekts, ko šī šūna varētu atklāt (80% jauda, divpusējs 5% tests, no šūnas standartkļūdas): "
            "mazākus efektus šūna nevar atšķirt no nejaušības; virs `evaluate.max_useful_mdes` — par mazu, "
            "lai spriestu",
            "Minimum detectable effect (80% power, two-sided 5% test, from the cell's standard error): the cell "
            "cannot tell smaller effects from chance; above `evaluate.max_useful_mdes` — too small to tell",
            *_GRADE_POINTS,
            decimals=2,
            minimum=0,
        ),
        ColumnSpec(
            "prob_positive",
            "number",
            "Varbūtība, ka atbalsts atzīmes uzlaboja (efekts > 0), ar skeptisku apriorisko sadalījumu N(0; 0,3²) "
            "(sk. docs/method.md); pieņem, ka salīdzinājums ir godīgs",
            "Probability that support raised marks (effect > 0) under a sceptical N(0, 0.3²) prior (see "
            "docs/method.md); assumes the comparison is fair",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        ColumnSpec(
            "prob_above_threshold",
            "number",
            "Varbūtība, ka efekts ir vismaz `evaluate.decision_threshold` (0,2 balles), ar to pašu apriorisko "
            "sadalījumu",
            "Probability that the effect is at least `evaluate.decision_threshold` (0.2 grade points), same prior",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        ColumnSpec(
            "effect_pooled",
            "number",
            "Daļēji apvienotais (empīriskā Beisa) efekts: šūnas novērtējums, pievilkts projekta kopējam efektam jo "
            "vairāk, jo neprecīzāks tas ir; tukšs projekta kopsummām (tās ir galvenais rezultāts)",
            "Partially pooled (empirical Bayes) effect: the cell's estimate pulled towards its project's total, the "
            "more the less precise it is; empty for the project totals (they are the primary result)",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_low_pooled",
            "number",
            "Apvienotā efekta 95% intervāla apakšējā robeža",
            "Lower bound of the pooled effect's 95% interval",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_high_pooled",
            "number",
            "Apvienotā efekta 95% intervāla augšējā robeža",
            "Upper bound of the pooled effect's 95% interval",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "estimate_withheld",
            "boolean",
            "`true`, ja novērtēšanas posms novērtējumu nesniedza (par maz skolēnu novērtējumam)",
            "`true` when the evaluation stage gave no estimate (too few pupils for an estimate)",
        ),
        _SUPPRESSED,
    ),
    counts=("n_pupils", "n_comparison", "n_supported_total"),
    derived=(
        *("naive_change", "effect", "ci_low", "ci_high", "hedges_g", "baseline_std_diff", "improvement_index"),
        *("placebo_effect", "placebo_ci_low", "placebo_ci_high", "robustness_value"),
        *("mdes", "prob_positive", "prob_above_threshold", "effect_pooled", "ci_low_pooled", "ci_high_pooled"),
    ),
)
# Text and flag columns withheld with the derived figures (they describe the same people's estimate).
EFFECTIVENESS_DESCRIPTIVE = ("interval_method", "design_warning")

EFFECTIVENESS_SUBGROUPS = TableSpec(
    name="effectiveness_subgroups",
    title_lv="Atbalsta efektivitāte pa skolēnu grupām",
    title_en="Effectiveness of support by group of pupils",
    grain_lv="viena rinda uz projektu × grupējumu (dzimums, klašu grupa, sākuma līmeņa terciļa) × grupu, ar `ALL` "
    "kopsummām; grupas `ALL` rinda ir projekta kopējais rezultāts (tas pats, kas `effectiveness.csv`)",
    grain_en="one row per project × subgroup (gender, grade band, baseline tercile) × level, with `ALL` totals; "
    "the `ALL` level is the project's total (the same as in `effectiveness.csv`)",
    keys=("project_code", "subgroup", "level"),
    columns=(
        _KEY_COLUMNS[0],
        ColumnSpec(
            "subgroup",
            "string",
            "Grupējums: `gender` — dzimums (no skolēnu sarakstiem); `grade_band` — klašu grupa; `baseline_tercile` "
            "— kurā trešdaļā ir skolēna priekšmeta vidējā atzīme pirms atbalsta starp visiem viņa atlases slāņa "
            "(priekšmets × semestris × pašvaldība × klašu grupa) skolēniem",
            "Subgroup: `gender` — from the rosters; `grade_band` — grades; `baseline_tercile` — which third of their "
            "matching stratum (subject × semester × municipality × grade band) the pupil's subject mean before "
            "support falls in, among all the stratum's pupils",
            enum=SUBGROUP_NAMES,
        ),
        ColumnSpec(
            "level",
            "string",
            "Grupa: `F`/`M` (`unknown` — dzimums nav norādīts; parādīts, bet nav iekļauts atšķirību testā); `4-6`, "
            f"`7-9`, `10-12`; `1` (zemākā trešdaļa), `2`, `3`; `{ALL}` — visi",
            "Level: `F`/`M` (`unknown` — no gender given; shown but left out of the heterogeneity test); `4-6`, "
            f"`7-9`, `10-12`; `1` (lowest third), `2`, `3`; `{ALL}` — all",
            enum=(*SUBGROUP_LEVELS, ALL),
        ),
        ColumnSpec(
            "n_pupils", "integer", "Novērtētie atbalstītie skolēni", "Supported pupils evaluated", "skolēni", "pupils"
        ),
        ColumnSpec(
            "n_comparison",
            "integer",
            "Salīdzināmās grupas skolēni (atlasīti šīs grupas atbalstītajiem)",
            "Pupils in the comparison group (matched to this level's supported pupils)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "effect",
            "number",
            "Novērtētais atbalsta efekts šai grupai pret salīdzināmo grupu (tā pati metode kā `effectiveness.csv`)",
            "Estimated effect of support for this level against the comparison group (as in `effectiveness.csv`)",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_low",
            "number",
            "Efekta 95% TI apakšējā robeža (tā pati intervāla metode kā kopējam efektam)",
            "Lower bound of the effect's 95% CI (the same interval method as the total)",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "ci_high",
            "number",
            "Efekta 95% TI augšējā robeža",
            "Upper bound of the effect's 95% CI",
            *_GRADE_POINTS,
            decimals=2,
        ),
        ColumnSpec(
            "p_heterogeneity",
            "number",
            "p vērtība testam, vai grupējuma grupu efekti ir vienādi (Walda tests ar atkārtojumu kovariāciju, "
            "sk. docs/method.md); tas pats visās projekta × grupējuma rindās; tukšs, ja kāda grupa aizklāta vai "
            "novērtēta mazāk nekā divas grupas",
            "p-value of the test that the subgroup's levels have equal effects (Wald test with the replicate "
            "covariance, see docs/method.md); the same on every row of the project × subgroup; empty when a level "
            "is withheld or fewer than two levels are estimated",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        _SUPPRESSED,
    ),
    counts=("n_pupils", "n_comparison"),
    derived=("effect", "ci_low", "ci_high", "p_heterogeneity"),
)


COSTS = TableSpec(
    name="costs",
    title_lv="Projektu izmaksas",
    title_en="Project costs",
    grain_lv="viena rinda uz projektu × pašvaldību × mācību gadu × izmaksu kategoriju, ar `ALL` kopsummām; "
    "izmaksas, kā projekti tās uzrādījuši, aizklātas tur, kur tās var būt dažu skolēnu maksājumi (sk. "
    "„Datu aizsardzība”)",
    grain_en="one row per project × municipality × school year × cost category, with `ALL` totals; costs as "
    "the projects reported them, withheld where they can be a few pupils' payments (see 'Disclosure control')",
    keys=("project_code", "municipality", "school_year", "cost_category"),
    columns=(
        _KEY_COLUMNS[0],
        ColumnSpec(
            "municipality",
            "string",
            f"Pašvaldība, kā skolu reģistrā (`{UNKNOWN}`, ja projekta rakstītās nav reģistrā); `{ALL}` — visas",
            f"Municipality as in the school registry (`{UNKNOWN}` when the one the project wrote is not there); "
            f"`{ALL}` — all",
        ),
        _KEY_COLUMNS[2],
        ColumnSpec(
            "cost_category",
            "string",
            f"Izmaksu kategorija (sk. kodu sarakstu); `{ALL}` — visas",
            f"Cost category (see the code list); `{ALL}` — all",
            enum=(*COST_CATEGORIES, UNKNOWN, ALL),
        ),
        ColumnSpec(
            "amount_eur",
            "number",
            "Uzrādītās izmaksas; `compensations` aizklātas, kur aizklāts tā paša projekta, pašvaldības un gada "
            "`support_summary.financial_support_eur` (tie ir skolēnu maksājumi); visas kategorijas, kur atbalstīti "
            "1–4 skolēni; un papildu šūnas, lai tās nevar izrēķināt no kopsummām",
            "Costs as reported; `compensations` withheld where the same project, municipality and year's "
            "`support_summary.financial_support_eur` is (they are the pupils' payments); every category where "
            "1–4 pupils were supported; and complementary cells so they cannot be worked out from the totals",
            "EUR",
            "EUR",
            decimals=2,
        ),
        ColumnSpec(
            "cost_per_supported_pupil",
            "number",
            "`amount_eur` / atšķirīgi skolēni, kas šajā projektā un mācību gadā saņēma jebkādu atbalstu "
            "(konsultācijas, pasākumus vai finansiālo atbalstu) = `esf_indicators.n_pupils_any`; tikai rindās ar "
            f"`municipality` = `{ALL}` (citur dalījums atklātu neaizsargātu skolēnu skaitu); aizklāts kopā ar "
            "`amount_eur` vai šo skolēnu skaitu",
            "`amount_eur` / distinct pupils supported in any way (consultations, activities or financial support) "
            "in this project and school year = `esf_indicators.n_pupils_any`; only in rows with `municipality` = "
            f"`{ALL}` (elsewhere amount ÷ ratio would publish an unprotected pupil count); withheld with "
            "`amount_eur` or that pupil count",
            "EUR uz skolēnu",
            "EUR per pupil",
            decimals=2,
        ),
        ColumnSpec(
            "cost_per_support_hour",
            "number",
            "`amount_eur` / atbalsta stundas (konsultāciju stundas + pasākumu dalībnieku stundas) tajā pašā "
            f"projektā un mācību gadā = `esf_indicators.support_hours`; tikai rindās ar `municipality` = `{ALL}`; "
            "aizklāts kā `cost_per_supported_pupil` un arī tur, kur `esf_indicators.support_hours` ir aizklāts",
            "`amount_eur` / support hours (consultation hours + activity participant-hours) of the same project "
            f"and school year = `esf_indicators.support_hours`; only in rows with `municipality` = `{ALL}`; "
            "withheld as `cost_per_supported_pupil`, and also where `esf_indicators.support_hours` is withheld",
            "EUR uz stundu",
            "EUR per hour",
            decimals=2,
        ),
        _SUPPRESSED,
    ),
    counts=(),
    derived=("cost_per_supported_pupil", "cost_per_support_hour"),
)

ESF_INDICATORS = TableSpec(
    name="esf_indicators",
    title_lv="ESF rādītāji",
    title_en="ESF indicators",
    grain_lv="viena rinda uz projektu × mācību gadu, ar `ALL` kopsummām",
    grain_en="one row per project × school year, with `ALL` totals",
    keys=("project_code", "school_year"),
    columns=(
        _KEY_COLUMNS[0],
        _KEY_COLUMNS[2],
        ColumnSpec(
            "n_pupils_any",
            "integer",
            "Atšķirīgi skolēni, kas saņēma jebkādu atbalstu: konsultācijas, pasākumus (uzskaitīti dalībnieki) vai "
            "finansiālo atbalstu",
            "Distinct pupils supported in any way: consultations, activities (listed participants) or financial "
            "support",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "n_pupils_consultations",
            "integer",
            "Skolēni ar konsultācijām (tas pats skaitlis un aizklāšana kā `support_summary.n_pupils_supported`, "
            "visas pašvaldības un semestri)",
            "Pupils with consultations (the same figure and suppression as `support_summary.n_pupils_supported`, "
            "all municipalities and semesters)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "n_pupils_activities",
            "integer",
            "Skolēni pasākumos (kā `support_summary.n_pupils_activities`)",
            "Pupils in activities (as `support_summary.n_pupils_activities`)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "n_pupils_financial_support",
            "integer",
            "Skolēni ar finansiālo atbalstu (kā `support_summary.n_pupils_financial_support`)",
            "Pupils with financial support (as `support_summary.n_pupils_financial_support`)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "n_schools",
            "integer",
            "Skolas, kurās atbalsts sniegts",
            "Schools where support was given",
            "skolas",
            "schools",
        ),
        ColumnSpec(
            "n_municipalities",
            "integer",
            "Pašvaldības, kurās atbalsts sniegts",
            "Municipalities where support was given",
            "pašvaldības",
            "municipalities",
        ),
        ColumnSpec(
            "support_hours",
            "number",
            "Atbalsta stundas: konsultāciju stundas + pasākumu dalībnieku stundas, noapaļotas līdz 0,1; aizklātas, "
            "ja support_summary.csv aizklāj kādu no tām (citādi to iegūtu, atņemot otru)",
            "Support hours: consultation hours + activity participant-hours, rounded to 0.1; withheld where "
            "support_summary.csv withholds either of them (or it would follow by subtracting the other)",
            "skolēnstundas",
            "pupil-hours",
            decimals=1,
            minimum=0,
        ),
        ColumnSpec(
            "n_left_year_end",
            "integer",
            "Atbalstītie skolēni sarakstos, kas līdz mācību gada beigām atskaitīti (katrā tā gada saraksta rindā "
            "ir atskaitīšanas datums; `ALL` gadu rindās: kāda no gadiem); skolēnu skaits kā citi: "
            "aizklāts, ja 1–4 (arī, ja palikušo ir 1–4), ar "
            "papildu šūnām un LP auditu (`ALL` projekts ir augšējā robeža: skolēns var būt vairākos projektos)",
            "Supported pupils on the rosters who left by the end of the school year (every roster row of that "
            "year has a leaving date; in `ALL` years: of any of them); a pupil count like the others: "
            "withheld at 1–4 (also where 1–4 stayed), "
            "with complementary cells and the LP audit (the `ALL` project is an upper bound: a pupil can be in "
            "several projects)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "share_enrolled_year_end",
            "number",
            "Daļa no atbalstītajiem skolēniem sarakstos, kas mācību gada beigās joprojām mācās (saraksta rinda tajā "
            "gadā bez atskaitīšanas datuma, jebkurā skolā; `ALL` gadu rindās: katra gada beigās); aizklāta kopā ar "
            "`n_pupils_any` vai `n_left_year_end` (daļa × skolēni dotu aizgājušos)",
            "Share of the supported pupils on the rosters still enrolled at the end of the school year (a roster "
            "row of that year without a leaving date, at any school; in `ALL` years: at the end of each); withheld "
            "with `n_pupils_any` or `n_left_year_end` (share × pupils would give the leavers)",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        ColumnSpec(
            "eur_spent",
            "number",
            "Uzrādītās izmaksas (`costs.csv`, visas pašvaldības un kategorijas; aizklātas kopā ar to)",
            "Costs as reported (`costs.csv`, all municipalities and categories; withheld with it)",
            "EUR",
            "EUR",
            decimals=2,
        ),
        ColumnSpec(
            "eur_per_pupil",
            "number",
            "`eur_spent` / `n_pupils_any`; aizklāts kopā ar `n_pupils_any`",
            "`eur_spent` / `n_pupils_any`; withheld with `n_pupils_any`",
            "EUR uz skolēnu",
            "EUR per pupil",
            decimals=2,
        ),
        _SUPPRESSED,
    ),
    counts=(
        "n_pupils_any",
        "n_pupils_consultations",
        "n_pupils_activities",
        "n_pupils_financial_support",
        "n_left_year_end",
    ),
    derived=("n_schools", "n_municipalities", "support_hours", "share_enrolled_year_end", "eur_per_pupil"),
)

RISK_BANDS = ("high", "medium", "low")

RISK_SUMMARY = TableSpec(
    name="risk_summary",
    title_lv="Priekšlaicīgas mācību pārtraukšanas risks un atbalsta plāni",
    title_en="Risk of leaving school early and support plans",
    grain_lv="viena rinda uz pašvaldību × mācību gadu × semestri × riska grupu, ar `ALL` kopsummām; skolēni, kas "
    "mācās jaunākās datu dienas datumā (sk. docs/method.md, „Agrīnā brīdināšana”)",
    grain_en="one row per municipality × school year × semester × risk band, with `ALL` totals; pupils enrolled "
    'on the latest data date (see docs/method.md, "Early warning")',
    keys=("municipality", "school_year", "semester", "risk_band"),
    columns=(
        _KEY_COLUMNS[1],
        _KEY_COLUMNS[2],
        _KEY_COLUMNS[3],
        ColumnSpec(
            "risk_band",
            "string",
            "Riska grupa: `high` augsts, `medium` vidējs, `low` zems (robežas `params.yaml` sadaļā "
            f"`early_warning`); `{ALL}` — visas",
            f"Risk band: `high`, `medium`, `low` (cut-offs in `params.yaml`, section `early_warning`); `{ALL}` — all",
            enum=(*RISK_BANDS, ALL),
        ),
        ColumnSpec(
            "n_pupils",
            "integer",
            "Skolēni sarakstā jaunākās datu dienas datumā (katrs skolēns vienā šūnā)",
            "Pupils on the roll on the latest data date (each pupil in one cell)",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "n_with_plan",
            "integer",
            "No tiem — ar atvērtu individuālo atbalsta plānu tajā dienā",
            "Of them, with an open individual support plan on that day",
            "skolēni",
            "pupils",
        ),
        ColumnSpec(
            "share_with_plan",
            "number",
            "`n_with_plan` / `n_pupils`, noapaļots līdz 0,001: cik no riska grupas atbalsts jau aptver",
            "`n_with_plan` / `n_pupils`, rounded to 0.001: how much of the band support already covers",
            "daļa 0–1",
            "share 0–1",
            decimals=3,
            minimum=0,
            maximum=1,
        ),
        _SUPPRESSED,
    ),
    counts=("n_pupils", "n_with_plan"),
    derived=("share_with_plan",),
)

TABLES: tuple[TableSpec, ...] = (
    SUPPORT_SUMMARY,
    SUPPORT_BY_SUBJECT,
    SUPPORT_BY_ROLE,
    EFFECTIVENESS,
    EFFECTIVENESS_SUBGROUPS,
    COSTS,
    ESF_INDICATORS,
    RISK_SUMMARY,
)


def suppression_rule(k: int) -> dict[str, str]:
    """The rule in one sentence per language, for datapackage.json and the dictionary."""
    return {
        "lv": (
            f"Jebkurš skaits no 1 līdz {k - 1} netiek publicēts (tukša šūna, `suppressed` = true), un kopā ar "
            "to tiek aizklāti visi rindas rādītāji, kas aprēķināti no tiem pašiem cilvēkiem. Papildu "
            "(komplementārā) aizklāšana un lineārās programmēšanas audits nodrošina, ka nevienu aizklātu "
            "skaitu par mazāk nekā k skolēniem nevar sašaurināt, risinot visas publicētās kopsummas kopā, "
            "šaurāk par max(3, 20 %). Skaits, kas kopš pēdējās publicēšanas iepriekšējā palaišanā mainījies "
            f"par 1..{k - 1}, arī tiek aizklāts. Nulles tiek publicētas. "
            "Noteikumu kopa: Apvienotās Karalistes GSS / DfE prakse skolēnu skaitiem (k = "
            f"{k}), ar Eurostat hiperkuba papildu aizklāšanu."
        ),
        "en": (
            f"Any count from 1 to {k - 1} is not published (empty cell, `suppressed` = true), and every figure "
            "in the row computed from the same people is withheld with it. Complementary suppression and a "
            "linear-programming audit make sure no withheld figure about fewer than k pupils can be narrowed, "
            "by solving all published totals together, to less than max(3, 20 %). A count that moved by "
            f"1..{k - 1} since it was last published in an earlier run is withheld too. Zeros are published. Rule "
            "set: UK GSS / DfE practice for pupil counts "
            f"(k = {k}), with Eurostat-style hypercube secondary suppression."
        ),
    }


def _field(column: ColumnSpec, keys: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "title": column.en,
        "description": f"{column.lv} / {column.en}",
    }
    if column.unit_en:
        out["unit"] = f"{column.unit_lv} / {column.unit_en}"
    constraints: dict[str, Any] = {}
    if column.name in keys:
        constraints["required"] = True
    if column.enum:
        constraints["enum"] = list(column.enum)
    if column.type == "integer":
        constraints["minimum"] = 0
    if column.minimum is not None:
        constraints["minimum"] = column.minimum
    if column.maximum is not None:
        constraints["maximum"] = column.maximum
    if constraints:
        out["constraints"] = constraints
    if column.type == "boolean":
        out["trueValues"] = ["true"]
        out["falseValues"] = ["false"]
    return out


def datapackage(k: int) -> dict[str, Any]:
    """Frictionless Data Package descriptor (Table Schema per file); contains no run-specific value."""
    rule = suppression_rule(k)
    return {
        "profile": "tabular-data-package",
        "name": "atbalsts-exports",
        "title": "Skolu atbalsta programmas: ministrijas dati / School-support programmes: ministry data",
        "description": f"{rule['lv']}\n\n{rule['en']}",
        "disclosureControl": {"k": k, "ruleSet": "UK GSS / DfE; Eurostat hypercube secondary", **rule},
        "resources": [
            {
                "name": table.name,
                "path": table.file,
                "profile": "tabular-data-resource",
                "title": f"{table.title_lv} / {table.title_en}",
                "description": f"{table.grain_lv} / {table.grain_en}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "schema": {
                    "fields": [_field(c, table.keys) for c in table.columns],
                    "primaryKey": list(table.keys),
                    "missingValues": [""],
                },
            }
            for table in TABLES
        ],
    }


def _codes_table(codes: dict[str, tuple[str, str, tuple[str, ...]]], extra: list[tuple[str, str, str]]) -> list[str]:
    lines = ["| kods / code | latviski | in English |", "|---|---|---|"]
    lines += [f"| `{code}` | {lv} | {en} |" for code, (lv, en, _) in codes.items()]
    lines += [f"| `{code}` | {lv} | {en} |" for code, lv, en in extra]
    return lines


def render_dictionary(k: int) -> str:
    """The human data dictionary (Markdown, Latvian and English)."""
    rule = suppression_rule(k)
    out = [
        "# Datu vārdnīca / Data dictionary",
        "",
        "<!-- Generated by pipelines.export.tables.write_docs(); edit pipelines/export/tables.py, not this file. -->",
        "",
        "Ministrijas eksporta faili, ko raksta `atbalsts export` mapē `exports/`.",
        "Ministry export files written by `atbalsts export` into `exports/`.",
        "",
        "## Formāts / Format",
        "",
        "- LV: CSV, UTF-8 (bez BOM), komats kā atdalītājs, pirmā rinda — virsraksti; decimāldaļas ar punktu; "
        "datumi ISO formātā (`2024-09-30`); tukša šūna — aizklāts vai nav piemērojams. Rindas sakārtotas pēc "
        "atslēgām, `ALL` katras atslēgas beigās. Tie paši ievaddati dod baitu līdz baitam vienādus failus.",
        "- EN: CSV, UTF-8 (no BOM), comma-separated, header row; dot decimals; ISO dates (`2024-09-30`); an empty "
        "cell is withheld or not applicable. Rows are sorted by the keys, `ALL` last within each key. The same "
        "inputs give byte-identical files.",
        "- LV: teksta šūna, kas sākas ar `=`, `+`, `-`, `@`, tabulāciju vai rindas atgriezi (CR), tiek rakstīta ar "
        "apostrofu priekšā (`=1+2` → `'=1+2`), lai izklājlapa to neizpildītu kā formulu (OWASP ieteikums pret CSV "
        "injekciju); skaitļi (arī negatīvi, piem., `-0.30`) netiek mainīti. `atbalsts.xlsx` teksts ir teksta šūnās, "
        "kas nekad nav formulas, tāpēc bez apostrofa.",
        "- EN: a text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a leading "
        "apostrophe (`=1+2` → `'=1+2`) so that a spreadsheet does not run it as a formula (OWASP advice against CSV "
        "injection); numbers (negative ones too, e.g. `-0.30`) are never changed. In `atbalsts.xlsx` text is in "
        "text cells, which are never formulas, so it carries no apostrophe.",
        "- LV: noapaļošana: stundas līdz 0,1; daļas līdz 0,001; efekti un efekta lielumi līdz 0,01. "
        "EN: rounding: hours to 0.1; shares to 0.001; effects and effect sizes to 0.01.",
        "- `datapackage.json`: Frictionless Table Schema katram failam / for every file; "
        "`manifest.json`: rindu skaits, SHA-256 un palaišanas ID / row counts, SHA-256 and the run ID; "
        "`atbalsts.xlsx` (pēc izvēles / optional): tās pašas tabulas / the same tables.",
        "- LV: kopsummas: `ALL` atslēgas kolonnā; rindā ar `ALL` visās atslēgās ir kopsumma. Atšķirīgu skolēnu, "
        "darbinieku un skolu skaits kopsummās ir skaitīts no rindu datiem, tāpēc tas var būt mazāks par šūnu "
        "summu (viens skolēns var būt vairākās šūnās). Atkārtoti piegādātie kumulatīvie faili tiek skaitīti vienreiz.",
        "- EN: totals: `ALL` in a key column; the row with `ALL` in every key is the grand total. Distinct counts "
        "of pupils, staff and schools in totals are counted from row-level data, so they can be smaller than the "
        "sum of the cells (a pupil can be in several cells). Cumulative re-deliveries are counted once.",
        "- LV: faili nesatur personas kodus, vārdus, ne skolēnu vai darbinieku līmeņa kolonnas. "
        "EN: the files hold no personal codes, names, or pupil- or staff-level columns.",
        "",
        "## Datu aizsardzība / Disclosure control",
        "",
        f"- LV: {rule['lv']}",
        f"- EN: {rule['en']}",
        f"- LV: primārais skaits katrā failā ir pirmā `n_*` kolonna (skolēni); ja tas ir aizklāts, aizklāta visa "
        "rinda. Citi `n_*` skaiti (piem., `n_staff`, `n_schools`) tiek aizsargāti katrs atsevišķi: ja tie ir "
        f"1–{k - 1}, aizklāta tikai šī šūna (un vajadzīgās papildu šūnas tajā pašā kolonnā). Stundas un daļas "
        "tiek aizklātas kopā ar skolēnu skaitu; efektivitātes novērtējumi — ja aizklāts `n_pupils` vai "
        "`n_comparison`. `support_summary` rindas atkārtojas kā `ALL` rindas `support_by_subject` un "
        "`support_by_role`; visos trijos failos tās aizklātas vienādi, lai failus salīdzinot nekas neatklātos.",
        "- EN: the primary count in each file is its first `n_*` column (pupils); when it is withheld, the whole "
        "row is withheld. Other `n_*` counts (e.g. `n_staff`, `n_schools`) are protected each on their own: when "
        f"1–{k - 1}, only that cell (and the complementary cells it needs in the same column) is withheld. Hours "
        "and shares are withheld with the pupil count; effectiveness estimates when `n_pupils` or `n_comparison` "
        "is withheld. `support_summary` rows reappear as the `ALL` rows of `support_by_subject` and "
        "`support_by_role`; all three files withhold them identically, so comparing files reveals nothing.",
        "- LV: papildu šūna: vienādojumā (kopsumma = šūnu summa pa vienu dimensiju) ar tieši vienu aizklātu "
        "locekli aizklāj mazāko publicēto šūnu, kas nav nulle (kopsummu tikai tad, ja šūnas nav), vienādības "
        "gadījumā — pirmo atslēgu secībā; atkārto, līdz neviens vienādojums nav ar tieši vienu aizklātu locekli. "
        "Atšķirīgu skaitu kopsummas nav precīzas summas; tās aizsargā tāpat (konservatīvi). Nulles tiek "
        "publicētas kā 0 (DfE praksē patiesas nulles neatklāj personas).",
        "- LV: lineārās programmēšanas (LP) audits: uzbrucējs, kam ir visi faili, var risināt visas kopsummas "
        "kopā. Tāpēc katrai aizklātai šūnai, kas raksturo mazāk nekā k skolēnus (`n_pupils_supported`, "
        "`n_consultations`, `consultation_hours` rindās ar 1–4 skolēniem, un katram aizklātam skaitam 1–4), "
        "aprēķina mazāko un lielāko vērtību, kas saskan ar visu publicēto visos trijos atbalsta failos (LP, "
        "HiGHS); starpībai jābūt vismaz max(3, 20 % no patiesās vērtības) (Hundepool u.c., *Statistical "
        "Disclosure Control*, 2012, 4. nod.: „slīdošais” aizsardzības līmenis). Ja nav, aizklāj lētāko "
        "publicēto partneri (mazāko vērtību, vienādības gadījumā — atslēgu secībā) un atkārto līdz "
        "līdzsvaram. Ja publicēta partnera, kas nav nulle, vairs nav (piem., septembrī, kad jaunā mācību gada "
        "skolēniem vēl nav plānu un publicētās kopsummas 0 piesaista aizklāto 0), aizklāj publicētās nulles kā "
        "partnerus, un, ja arī to nav, visas šūnas, kas ar neaizsargāto saistītas vienādojumos (visas auditētās "
        "kolonnas); žurnālā viena rinda par to. Aizklāta nulle nav zināma kā ≥ 1. "
        "Ierakstu skaits un stundas ir precīzas summas (stundas ± 0,05 noapaļošanas dēļ); "
        "atšķirīgu skolēnu skaits kopsummā ir starp lielāko šūnu un šūnu summu, bet pa pašvaldībām to uzskata "
        "par precīzu summu visur, kur patiesās šūnas summējas (skolēns ir vienā pašvaldībā, ja nav pārcēlies; "
        "citādi ārējs uzbrucējs paraugā sašaurināja 10 `support_summary.csv` skolēnu skaitus, "
        "`tests/export/test_export_sample_outsider.py`). Rindā: ieraksti ≥ skolēni, "
        "ieraksti ≥ stundas × 60 / 240. `consultation_hours` aizklāj visur, kur aizklāts skolēnu vai "
        "ierakstu skaits (citādi stundas, kas piesaistītas publicētām kopsummām, prasa desmitiem "
        "papildu kārtu). Ātrums: demonstrācijas paraugā eksporta posms ~9 s (3 kārtas). "
        "Darbinieku un skolu skaitu LP neauditē. `effectiveness.csv` "
        "skaitus auditē atsevišķi, `risk_summary.csv` arī (katrs skolēns tur ir vienā šūnā, tāpēc abi skaiti ir "
        "precīzas summas; rindā skolēni ≥ skolēni ar plānu; `n_with_plan` aizklāj arī, ja 1–4 skolēniem plāna "
        "nav); `effectiveness_subgroups.csv` trīs grupējumus auditē "
        "kopā (to `ALL` rindas ir projektu kopsummas no `effectiveness.csv`, tāpēc abos failos tās aizklātas "
        "vienādi; skolēnu skaits pa dzimumiem ir precīza summa, jo katram skolēnam ir viens dzimums). "
        "SACRO `acro` 1.0.2 pārbaudīts: tas pārbauda sliekšņus un dominanci "
        "mikrodatu krustabulām, bet neveic komplementāro aizklāšanu un pārrēķina kopsummas bez "
        "aizklātajām šūnām, tāpēc netiek izmantots.",
        "- EN: complementary cell: in an equation (total = sum of cells along one dimension) with exactly one "
        "withheld member, the smallest non-zero published cell is withheld (the total only when no cell "
        "qualifies), ties broken by key order; repeated until no equation has exactly one withheld member. "
        "Totals of distinct counts are not exact sums; they are protected the same way (conservative). Zeros are "
        "published as 0 (true zeros are not disclosive in DfE practice).",
        "- EN: linear-programming (LP) audit: an attacker holding every file can solve all margins at once. So "
        "for every withheld figure about fewer than k pupils (`n_pupils_supported`, `n_consultations`, "
        "`consultation_hours` in rows with 1–4 pupils, and every withheld count of 1–4), the smallest and "
        "largest value consistent with everything published in all three support files is computed (LP, "
        "HiGHS); they must differ by at least max(3, 20 % of the true value) (Hundepool et al., *Statistical "
        "Disclosure Control*, 2012, ch. 4: a 'sliding' protection level, since a count of 1–4 cannot have a "
        "lower protection level of 3). Where they do not, the cheapest published partner (smallest value, "
        "ties by key order) is withheld too, repeated to a fixed point. Where no non-zero published partner is "
        "left (e.g. in September, when no pupil of the new school year has a plan yet and published 0 totals pin "
        "a withheld 0), published zeros are withheld as partners, and where none is left either, every cell "
        "linked to the exposed one through the equations (all audited columns); the log says so in one line. A "
        "withheld zero is not known to be ≥ 1. Records and hours are exact sums "
        "(hours within ±0.05 of rounding); a distinct pupil total lies between its largest cell and the sum "
        "of its cells, except along municipality, where it is taken as the exact sum wherever the true cells "
        "add up (a pupil is in one municipality unless she moved; otherwise an outsider narrowed 10 pupil "
        "counts of `support_summary.csv` on the sample, `tests/export/test_export_sample_outsider.py`). "
        "Within a row: records ≥ pupils, records ≥ hours × 60 / 240. `consultation_hours` "
        "is withheld wherever the pupil or record count is (otherwise hours pinned by published totals took "
        "dozens of extra rounds). Speed: on the demo sample the export stage takes ~9 s (3 rounds). "
        "Staff and school counts "
        "are not LP-audited. `effectiveness.csv` counts are audited on their own, and so are `risk_summary.csv`'s "
        "(each pupil is in one cell there, so both counts are exact sums; within a row pupils ≥ pupils with a "
        "plan; `n_with_plan` is also withheld where 1–4 pupils have no plan); "
        "the three subgroups of `effectiveness_subgroups.csv` are audited together (their `ALL` rows are "
        "the project totals of `effectiveness.csv`, so both files withhold them alike; pupils by gender add up "
        "exactly, each pupil having one gender). SACRO's `acro` 1.0.2 was "
        "tried: it checks thresholds and dominance on crosstabs of microdata, but does no complementary "
        "suppression and recomputes totals without the suppressed cells, so it is not used.",
        f"- LV: izmaiņas starp palaišanām: katrs skolēnu skaits (katra faila `n_pupils*`, `n_with_plan`, "
        "`n_comparison`, `n_supported_total`, `n_left_year_end`; ne konsultāciju, darbinieku vai skolu skaits, "
        "kas par vienu skolēnu neko "
        "nepasaka), kura patiesā "
        f"vērtība atšķiras par 1–{k - 1} no vērtības, kas tai pašai šūnai (fails, atslēga, kolonna) "
        "pēdējo reizi publicēta kādā iepriekšējā saglabātā palaišanā (`history/<run_id>/`, jaunākā, kurā "
        "šūna nebija aizklāta), šajā palaišanā tiek aizklāts kā primārā aizklāšana; pēc tam komplementārā "
        "aizklāšana, LP audits (tas šo rindu rādītājus aizsargā kā 1–4 skolēnu rindas) "
        "un atvasinātās vērtības (stundas, EUR, daļas) kā parasti. Citādi divu mēnešu "
        "rindu starpība (piem., 12 → 13 skolēni, EUR 2027,17 → 2804,94) atklātu viena skolēna maksājumu. "
        "Skaits, kas iepriekšējā saglabātajā palaišanā bija aizklāts, tiek publicēts tikai tad, ja tā patiesā "
        f"vērtība kopš tās mainījusies vismaz par {k}; citādi to aizklāj atkal (komplementārā aizklāšana un LP "
        "audits sāk ar to aizklātu): publicēts "
        "nemainīts, tas kopā ar iepriekšējās palaišanas kopsummām atklātu tur aizklāto šūnu (piem., 32 − 17 − 11 "
        "= 4 skolēni). Aizklāto šūnu patiesās vērtības glabājas tikai noliktavā (`meta.withheld_cells`), nekad "
        "publicētā mapē; ja to nav (pirmā palaišana pēc atjaunināšanas), visas iepriekš aizklātās šūnas paliek "
        "aizklātas vienu palaišanu. Tāpat atkal aizklāj konsultāciju skaitu, stundas un EUR (atbalsta faili, "
        "`support_summary.csv` pasākumu stundas un finansiālā atbalsta EUR, `esf_indicators.csv` atbalsta "
        "stundas, `costs.csv` summas), kas iepriekšējā palaišanā bija aizklāti (arī bez skolēnu skaita) un kopš "
        f"tās mainījušies mazāk nekā par {k} (savās vienībās), lai nemainītos datos atkārtota palaišana aizklātu "
        "tās pašas šūnas un publicēts nemainīts rādītājs neatklātu to, ko tas slēpa. Šūnu, kuras patiesā "
        "vērtība ir tā, kas tai pēdējo reizi publicēta (ar publicētajiem cipariem aiz komata), iepriekšējās "
        "palaišanas lasītājs zina arī tad, ja tā tagad aizklāta: komplementārā aizklāšana un LP audits to "
        "uzskata par publicētu un komplementārās šūnas izvēlas citur (parasti kopsummas, kas mainījās līdz ar "
        "aizklāto šūnu). "
        "Ierobežojums: salīdzina tikai ar šūnas pēdējo publicēto vērtību; starpības starp divām vecākām "
        "palaišanām vai starp vecu vērtību un šīs palaišanas kopsummām netiek pārbaudītas, tāpat kā rādītājs "
        "(stundas, EUR), kas mainās, kamēr skolēnu skaits nemainās (piem., labots viens maksājums).",
        f"- EN: change between runs: every pupil count (each file's `n_pupils*`, `n_with_plan`, `n_comparison`, "
        "`n_supported_total`, `n_left_year_end`; not the counts of consultations, staff or schools, which say "
        "nothing about "
        "one pupil) whose true value differs by "
        f"1–{k - 1} from the value last published for the same cell (file, key, column) in an earlier kept run "
        "(`history/<run_id>/`, the latest in which the cell was not withheld) is withheld in this run as a "
        "primary suppression; complementary suppression, the LP audit (which protects these rows' figures as "
        "it does those of 1–4 pupils) and the derived figures (hours, EUR, shares) then "
        "follow as usual. Otherwise the difference of two monthly rows (e.g. 12 → 13 pupils, EUR "
        "2027.17 → 2804.94) would publish one pupil's payment. A count withheld in the previous kept run is "
        f"published only if its true value moved by at least {k} since; otherwise it is withheld again (the "
        "complementary suppression and the LP audit start with it withheld): released unchanged, it would "
        "turn the previous run's margins into an equation "
        "with one unknown (e.g. 32 − 17 − 11 = 4 pupils). The true values of withheld cells are kept only in "
        "the warehouse (`meta.withheld_cells`), never in a published folder; without them (the first run after "
        "the upgrade) every cell withheld in the previous run stays withheld for one run. The log says how "
        "many cells were withheld for "
        "this. Consultations, hours and EUR withheld in the previous run, also where the row's pupils were "
        "published (support files; `support_summary.csv`'s activity hours and financial support EUR; "
        "`esf_indicators.csv`'s support hours; `costs.csv`'s amounts), are withheld again in the same way "
        f"while they moved by less than {k} (in their own unit), so an unchanged re-run withholds the same "
        "cells and a figure released unchanged does not give what it hid. A cell whose true value is what "
        "was last published for it (to the published decimals) is known to a reader of that run even where "
        "withheld now: the complementary suppression and the LP audit count it as published and choose "
        "complementary cells elsewhere (usually the totals, which moved with the withheld cell). "
        "Limit: only a cell's own last published value is compared; differences "
        "between two older runs, "
        "or between an old value and this run's margins, are not checked, nor is a figure (hours, EUR) that "
        "moves while its pupil count does not (e.g. one payment corrected).",
        "- LV: skolas kā lasītājas (respondenta noteikums): skolas pašas iesniedz datus un saņem atpakaļ "
        "savus skaitļus (savu eksportu, savu agrīnās brīdināšanas sarakstu), tāpēc skola, kas viena veido "
        "kādu šūnu (piem., vienīgā projekta skola savā pašvaldībā tajā gadā vai vienīgā skola ar kādu "
        "priekšmetu), šo šūnu zina precīzi, arī aizklātu. Ja vienādojumā (kopsumma = šūnu summa) visas "
        "aizklātās šūnas, izņemot vienu, ir vienas skolas, šī skola atlikušo izrēķina („ALL − publicētās − "
        "sava”). Tāpēc komplementārā aizklāšana prasa vairāk: nevienā vienādojumā nevienai skolai nedrīkst "
        "palikt tieši viena aizklāta šūna, ko tā nezina; ja paliek, aizklāj vēl lētāko publicēto šūnu, kas "
        "nav šīs skolas (`pipelines/disclosure.py` `protect_column`; `support_by_subject.csv`, "
        "`support_by_role.csv`, `support_summary.csv`, `risk_summary.csv`; pārskatos riska tabula, atbalsta "
        "tabulas (priekšmeti, lomas, veidi), jaunie plāni pa skolām, aktivitāšu un finansiālā atbalsta "
        "skolēni pa pašvaldībām un izlases plūsma, `pipelines/report/queries.py`). Kuras "
        "skolas šūna ir, nosaka eksporta SQL (`sole_school_id`, nekad netiek publicēts): konsultāciju skola "
        "atbalsta failos, saraksta skola riska failā. Izmaksas paraugā (`atbalsts sample --schools 3 --seed "
        "7`, katra skola viena savā pašvaldībā, sliktākais gadījums): sk. EN. Ierobežojumi: noteikums ir "
        "vienādojumu līmenī; uzbrucēja LP ar skolas šūnām zināmām (`benchmarks/insider_attack.py`) paraugā "
        "vairs nesašaurina nevienu konsultāciju skaitu (iepriekš 115), bet 2 skolēnu skaitus (atšķirīgu "
        "skaitu modelī; iepriekš 4) sašaurina līdz [3, 5] (patiesais 4; prasītais platums 3); ja skolēnus pa "
        "pašvaldībām uzskata par summu, vienai parauga skolai neviens nav precīzi atrodams, bet 34–35 katrā "
        "failā ir šaurāki par prasīto platumu; skola "
        "pašvaldībā ar vairākām skolām zina savu daļu (apakšējo robežu), ko audits neizmanto. Netiek "
        "lietots (ierobežojums; sk. EN): efektivitātes šūnu skolēni un salīdzinājuma skolēni (atlasīti "
        "novērtējumā, skola tos precīzi nezina; `effectiveness.csv` `n_supported_total` vienīgā skola zina, "
        "tāpēc šim failam noteikums tiek lietots visām skaitu kolonnām, `pipelines/effect_schools.sql`); "
        "agrīnās brīdināšanas audita tabulas pa pašvaldībām (nav "
        "skolēnu līmeņa rindu, no kurām noteikt skolu); izmaksas; devas, apakšgrupu, palikšanas un "
        "kavējumu tabulas (nav pa pašvaldībām).",
        "- EN: schools as readers (the respondent rule): schools deliver the data and get their own figures "
        "back (their own export, their own early-warning list), so a school that alone makes up a cell (e.g. "
        "a project's only school in its municipality that year, or the only school with some subject) knows "
        "that cell exactly, withheld or not. Where all withheld cells of an equation (total = sum of cells) "
        'but one are one school\'s, that school gets the one by subtraction ("ALL − published − own": the '
        "probe recovered 38 cells about 1–4 pupils in the 3-school sample's `support_by_subject.csv`, and "
        "`risk_summary.csv` with the schools' lists). So the complementary suppression asks more: no equation"
        " may leave any school exactly one withheld cell it does not know; where one does, the cheapest "
        "published cell that is not that school's is withheld too (`pipelines/disclosure.py` "
        "`protect_column`; `support_by_subject.csv`, `support_by_role.csv`, `support_summary.csv` (also its "
        "activities and financial support: the one school that listed or paid a cell's pupils, "
        "`activity_school`/`financial_school` in programme_cube.sql; a school alone in its municipality got "
        "another's withheld EUR by subtraction, 6 cells on the sample), "
        "`risk_summary.csv`; in the evaluators' reports the risk table, the support tables (subject, role, "
        "mode), the new plans by school, the activity and financial-support pupils by municipality and the "
        "sample flow, `pipelines/report/queries.py`). Whose cell it is comes from the export's SQL "
        "(`sole_school_id`, never published): the school of the consultations in the support files, the "
        "school whose list shows the pupil in the risk file. Cost on the 3-school sample (`atbalsts sample "
        "--schools 3 --seed 7`, each school alone in its municipality, the worst case), withheld cells before"
        " → after: `support_by_subject.csv` pupils 719 → 798 and consultations 737 → 798 of 905 rows, "
        "`support_by_role.csv` 379 → 443 and 411 → 443 of 530, `support_summary.csv` 60 → 84 and 70 → 84 of "
        "140, `risk_summary.csv` pupils 16 → 24 and with a plan 40 → 44 of 64; with pupils also summed along "
        "municipality in the LP audit (29 November, probe5 N0) the support files withhold more still: pupils "
        "and consultations 851 of 905, 483 of 530 and 111 of 140 (the worst case: every municipality one "
        "school, so nearly every small cell has an insider); the export stage is no slower "
        "(one LP audit round). Limits: the rule works equation by equation. An attacker's LP over all the "
        "support files with a school's cells filled in (`benchmarks/insider_attack.py`; test: "
        "`tests/export/test_export_lp_audit.py`, `test_an_insider_…`) narrows no consultation count on the "
        "sample any more (115 before), but narrows 2 pupil counts (in the distinct-count model; 4 before) to "
        "[3, 5] (true 4; the width asked is 3); an attacker who also takes pupils as sums along municipality "
        "(probe5, 29 November) pins none exactly but narrows 34 of the role file's and 35 of the subject "
        "file's small pupil counts below that width for one of the sample's schools; an audit per school "
        "was tried and was far too slow (minutes "
        "on the sample). A school in a municipality with several schools knows its own part of a cell (a "
        "lower bound), which the audit does not use. In the reports, the sole school comes from SQL beside "
        "each table's (`support_cells.sql`, `plans_by_school.sql`, `programme_by_municipality.sql`, "
        "`effect_schools.sql` for the flow; never shown; tests `tests/report/test_report_insider.py`); on the "
        "3-school sample the reports withhold 8 more rows' pupils, consultations and staff in the mode table "
        "(28 → 36 of 96 rows) and 2 more `n_supported_total` cells of the flow (7 → 9 of 12); the subject "
        "and role tables start from the export's blanks, which already follow the rule. Not applied (limits): "
        "the pupils and comparisons behind an effect estimate (`effectiveness.csv`, the reports' effect "
        "tables): the evaluation matches them, comparisons from any school, so no school knows them exactly; "
        "but `effectiveness.csv`'s `n_supported_total` (supported pupils) a municipality's only school does "
        "know, so the export applies the rule to that file's counts (conservatively to all three; the sole "
        "school from `pipelines/effect_schools.sql`, shared with the reports' flow; test "
        "`tests/export/test_export_insider.py`); the early-warning audit tables by municipality "
        "(the test year's counts are kept aggregated only, so the SQL cannot name a school); the costs table "
        "(per municipality it shows only the EUR, which the municipality reports, not a school); dose-"
        "response, subgroups, staying and absences (not by municipality; a level one school makes up alone is "
        "not checked).",
        "- LV: izmaksas (`costs.csv`): kategorija `compensations` ir skolēniem izmaksātais finansiālais atbalsts, "
        "tāpēc tās summa tiek aizklāta visur, kur `support_summary.csv` aizklāj tā paša projekta, pašvaldības un "
        "mācību gada `financial_support_eur` (visi semestri; jebkura iemesla dēļ: 1–4 skolēni, papildu šūna, "
        "izmaiņas starp palaišanām). Pārējās kategorijas (atlīdzība, pasākumi, administrēšana, citas) ir projekta "
        "izdevumi, nevis maksājumi skolēniem, un tiek publicētas, izņemot šūnas, kur jebkādu atbalstu saņēma 1–4 "
        "skolēni: tur viss iztērētais attiecas uz šiem dažiem skolēniem (kā viņu stundas). Pēc tam komplementārā "
        "aizklāšana un LP audits pār `costs.csv` kopsummām (visas četras atslēgas, summas precīzas līdz 0,01 EUR): "
        "aizklātās summas intervālam jābūt vismaz max(3 EUR, 20 %). Ja `costs.csv` kā papildu šūnu aizklāj "
        "kompensācijas, ko `support_summary.csv` publicē, tās aizklāj arī tur (atkārto, līdz abi faili aizklāj "
        "tās pašas summas). `esf_indicators.eur_spent` ir `costs.csv` kopsumma un tiek aizklāts kopā ar to. EUR uz "
        "skolēnu un uz stundu publicē tikai rindās ar `municipality` = `ALL`, kur saucējs ir "
        "`esf_indicators.csv` publicētais un aizsargātais skaits (arī izmaiņu starp palaišanām noteikums); "
        "pašvaldības rindās summa ÷ attiecība atklātu skolēnu un stundu skaitu, ko neviens noteikums nepārbauda. "
        "Ierobežojums: `costs.csv` un `support_summary.csv` auditē katru atsevišķi; kopīgās summas abos aizklātas "
        "vienādi.",
        "- EN: costs (`costs.csv`): the `compensations` category is the financial support paid to pupils, so its "
        "amount is withheld wherever `support_summary.csv` withholds the same project, municipality and school "
        "year's `financial_support_eur` (all semesters; for any reason: 1–4 pupils, a complementary cell, a move "
        "between runs). The other categories (remuneration, activities, administration, other) are the project's "
        "spending, not payments to pupils, and are published, except where 1–4 pupils were supported in any way: "
        "everything spent there is spent on those few pupils (as their hours are). Then complementary suppression "
        "and the LP audit over `costs.csv`'s totals (all four keys, amounts exact to 0.01 EUR): a withheld "
        "amount's interval must be at least max(3 EUR, 20 %) wide. Where `costs.csv` needs a compensations line "
        "that `support_summary.csv` publishes as a complementary cell, it is withheld there too (repeated until "
        "both files withhold the same amounts). `esf_indicators.eur_spent` is the `costs.csv` total and is "
        "withheld with it. EUR per pupil and per hour are published only in rows with `municipality` = `ALL`, "
        "whose denominator is the count `esf_indicators.csv` publishes and protects (the between-runs rule "
        "included); in a municipality's row amount ÷ ratio would publish a pupil and hour count no rule checks. "
        "Limit: `costs.csv` and `support_summary.csv` are audited each on its own; the amounts they share are "
        "withheld alike in both.",
        "- LV: `effectiveness.csv`: `n_supported_total` − `n_pupils` ir skolēni bez salīdzināma vienaudža; ja "
        f"to ir 1–{k - 1}, `n_supported_total` tiek aizklāts no sākuma (ar papildu šūnām, un LP audits to "
        "aizsargā kā 1–4 skolēnu skaitu), lai šos dažus skolēnus nevar izrēķināt ne rindā, ne no `ALL` rindām.",
        "- EN: `effectiveness.csv`: `n_supported_total` − `n_pupils` is the pupils without a comparable peer; "
        f"where they number 1–{k - 1}, `n_supported_total` is withheld from the outset (with complementary cells, "
        "and the LP audit protects it as a count of 1–4), so those few pupils cannot be worked out within the row "
        "or from the `ALL` rows.",
        "",
    ]
    for table in TABLES:
        out += [
            f"## `{table.file}` — {table.title_lv} / {table.title_en}",
            "",
            f"- LV: {table.grain_lv}. Atslēga: {', '.join(f'`{key}`' for key in table.keys)}.",
            f"- EN: {table.grain_en}. Key: {', '.join(f'`{key}`' for key in table.keys)}.",
            "",
            "| kolonna / column | tips / type | mērvienība / unit | latviski | in English |",
            "|---|---|---|---|---|",
        ]
        for c in table.columns:
            unit = f"{c.unit_lv} / {c.unit_en}" if c.unit_en else ""
            out.append(f"| `{c.name}` | {c.type} | {unit} | {c.lv} | {c.en} |")
        out.append("")
    extra_subject = [
        (
            OTHER_SUBJECT,
            "Priekšmets, kura nav vārdnīcā (teksts netiek publicēts)",
            "A subject not in the dictionary (the text is not published)",
        ),
        (NO_SUBJECT, "Atbalsts bez mācību priekšmeta", "Non-subject support"),
        (ALL, "Visi", "All"),
    ]
    extra_role = [(UNKNOWN, "Amats nav norādīts", "Role not given"), (ALL, "Visi", "All")]
    out += ["## Kodi / Codes", "", "### `subject`", "", *_codes_table(SUBJECTS, extra_subject), ""]
    out += ["### `staff_role`", "", *_codes_table(STAFF_ROLES, extra_role), ""]
    out += ["### `cost_category`", "", *_codes_table(COST_CATEGORIES, [(ALL, "Visas", "All")]), ""]
    out += ["### `project_code`", "", "| kods / code | nosaukums / name |", "|---|---|"]
    out += [f"| `{code}` | {lv} / {en} |" for code, (lv, en, _more) in PROJECTS.items()]
    out += [
        f"| `{OTHER_PROJECT}` | Skolas norādītais projekts nav atpazīts (teksts netiek glabāts) / "
        "the project the school gave is not recognised (the text is not kept) |",
        f"| `{NO_PROJECT}` | Nav piesaistīts projektam / not attributed to a project |",
        f"| `{ALL}` | Visi / all |",
        "",
    ]
    out += CHANGES_DOC_SECTION
    return "\n".join(out)


def write_docs(path: Path = DOCS_PATH) -> None:
    """Regenerate the committed dictionary (rendered with the default k = 5)."""
    path.write_text(render_dictionary(5), encoding="utf-8")
