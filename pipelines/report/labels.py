"""The one dictionary of report labels (Latvian first, English alongside).

Notebooks never spell a heading, axis label or sentence themselves: they call `t(key, lang)`,
so a wording change or a new language touches this file only. Subject, role and mode names
come from `pipelines.contract`, the same dictionaries ingest uses.
"""

from __future__ import annotations

from pipelines.contract import MODES, OTHER_PROJECT, OTHER_SUBJECT, PROJECTS, STAFF_ROLES, SUBJECTS, published_subject

LANGS: tuple[str, ...] = ("lv", "en")

LABELS: dict[str, tuple[str, str]] = {
    # report titles
    "title_index": ("Atbalsta programmu pārskati", "Support programme reports"),
    "title_data_quality": ("Datu kvalitāte", "Data quality"),
    "title_support_overview": ("Atbalsta pārskats", "Support overview"),
    "title_effectiveness": ("Atbalsta efektivitāte", "Effectiveness of support"),
    "title_municipality": ("Pašvaldības pārskats", "Municipality report"),
    # index page
    "index_run_date": ("Pārskati izveidoti", "Reports created"),
    "index_run_id": ("Palaišanas ID", "Run ID"),
    "index_period": ("Datu periods", "Data period"),
    "index_files": ("Ielādētās datnes", "Files loaded"),
    "index_rows": ("Ielādētās rindas", "Rows loaded"),
    "index_reports": ("Pārskati", "Reports"),
    "index_municipalities": ("Pašvaldību pārskati", "Municipality reports"),
    "index_changes": ("Kas mainījies kopš iepriekšējās palaišanas", "What changed since the previous run"),
    "index_changes_file": ("Publicētā datne", "Published file"),
    "index_changes_cells": ("Mainītas šūnas", "Cells changed"),
    "index_changes_added": ("Jaunas rindas", "New rows"),
    "index_changes_removed": ("Izņemtas rindas", "Rows removed"),
    "index_changes_none": (
        "Eksporti vēl nav saglabāti: izmaiņas būs redzamas pēc nākamās palaišanas.",
        "No exports kept yet: the changes show after the next run.",
    ),
    "index_changes_note": (
        "Katra izmaiņa (datne, rindas atslēga, kolonna, iepriekšējā un jaunā vērtība) ir exports/{name}; "
        "aizklāta šūna ir tukša.",
        "Every change (file, row key, column, previous and new value) is in exports/{name}; a withheld cell is empty.",
    ),
    "index_note": (
        "Visi skaitļi ir apkopoti; skaiti, kas mazāki par {k}, nav parādīti.",
        "All figures are aggregated; counts below {k} are not shown.",
    ),
    # common
    "filters": ("Atlase", "Filter"),
    "all": ("Visi", "All"),
    "total": ("Kopā", "Total"),
    "period": ("Periods", "Period"),
    "no_data": ("Šai sadaļai datu nav.", "There are no data for this section."),
    "not_available": (
        "Šī sadaļa vēl nav pieejama: novērtējuma tabula nav izveidota.",
        "This section is not available yet: the evaluation table has not been built.",
    ),
    "suppressed_note": (
        "„[c]” — slēpts skaitlis: skolēnu skaits no 1 līdz {km1} vai skaitlis, no kura to varētu aprēķināt, "
        "kā arī visi no šiem skolēniem aprēķinātie rādītāji. Tā neviens skolēns nav atpazīstams.",
        "“[c]”: a withheld figure — a count of 1 to {km1} pupils or a figure from which it could be worked out, "
        "and every measure computed from those pupils. This way no pupil can be identified.",
    ),
    "school": ("Skola", "School"),
    "municipality": ("Pašvaldība", "Municipality"),
    "month": ("Mēnesis", "Month"),
    "school_year": ("Mācību gads", "School year"),
    "semester": ("Semestris", "Semester"),
    "semester_short": ("sem.", "sem."),
    "subject": ("Mācību priekšmets", "Subject"),
    "role": ("Amats", "Role"),
    "mode": ("Forma", "Mode"),
    "project": ("Projekts", "Project"),
    "other_support": ("Bez priekšmeta / cits atbalsts", "No subject / other support"),
    "other_subject": ("Cits priekšmets (nav vārdnīcā)", "Other subject (not in the dictionary)"),
    "unknown": ("Nav norādīts", "Not given"),
    "project_wide": ("Projektā kopā", "Whole project"),
    "this_municipality": ("Šī pašvaldība", "This municipality"),
    # measures
    "pupils": ("Skolēni", "Pupils"),
    "pupils_supported": ("Atbalstītie skolēni", "Pupils supported"),
    "consultations": ("Konsultācijas", "Consultations"),
    "hours": ("Stundas", "Hours"),
    "hours_unit": ("Stundas (h)", "Hours (h)"),
    "staff": ("Darbinieki", "Staff"),
    "plans": ("Individuālie plāni", "Individual plans"),
    "plans_total": ("Skolēni ar plānu, visi gadi", "Pupils with a plan, all years"),
    "share": ("Daļa", "Share"),
    "share_pct": ("Daļa (%)", "Share (%)"),
    "share_hours_pct": ("Daļa no atbalsta stundām (%)", "Share of support hours (%)"),
    "rows": ("Rindas", "Rows"),
    "rows_received": ("Saņemtās rindas", "Rows received"),
    "rows_loaded": ("Ielādētās rindas", "Rows loaded"),
    "rows_quarantined": ("Karantīnā", "Quarantined"),
    "warnings": ("Brīdinājumi", "Warnings"),
    "reason": ("Iemesls", "Reason"),
    "stage": ("Posms", "Stage"),
    "kind": ("Datu veids", "Data kind"),
    "column": ("Kolonna", "Column"),
    "reason_code": ("Kods", "Code"),
    "kind_schools": ("Skolas", "Schools"),
    "kind_pupils": ("Skolēnu saraksti", "Pupil rosters"),
    "kind_plans": ("Atbalsta plāni", "Support plans"),
    "kind_consultations": ("Konsultācijas", "Consultations"),
    "kind_grades": ("Vērtējumi", "Grades"),
    "status": ("Statuss", "Status"),
    "files": ("Datnes", "Files"),
    "growth": ("Pieaugums", "Growth"),
    # data quality
    "dq_intro": (
        "Cik datu skolas iesūtīja, cik rindu netika ielādētas un kāpēc, kādi ir brīdinājumi "
        "un kuras skolas nav iesūtījušas datus.",
        "How much data the schools delivered, how many rows were not loaded and why, which warnings "
        "were raised and which schools did not deliver.",
    ),
    "dq_files": ("Datnes pēc statusa", "Files by status"),
    "dq_deliveries": ("Piegādes pa skolām un mēnešiem", "Deliveries per school and month"),
    "dq_deliveries_chart": ("Saņemtās rindas pa mēnešiem", "Rows received per month"),
    "dq_deliveries_note": (
        "Attēlā — saņemto rindu skaits katrai skolai katrā mēnesī; balts lauciņš nozīmē, ka dati netika saņemti.",
        "The chart shows rows received per school and month; a white cell means nothing was received.",
    ),
    "dq_quarantine": ("Karantīnā ievietotās rindas pēc iemesla", "Quarantined rows by reason"),
    "dq_warnings": ("Brīdinājumi pēc iemesla", "Warnings by reason"),
    "dq_missing": ("Skolas, kas nav iesūtījušas datus", "Schools that did not deliver"),
    "dq_missing_note": (
        "Skola, kurai kādā perioda mēnesī nav konsultāciju vai vērtējumu datu.",
        "A school with no consultation or grade data in some month of the period.",
    ),
    "dq_missing_months": ("Mēneši bez datiem", "Months without data"),
    "dq_last_month": ("Pēdējais mēnesis ar datiem", "Last month with data"),
    "dq_first_month": ("Pirmais mēnesis ar datiem", "First month with data"),
    "dq_months_with_data": ("Mēneši ar datiem", "Months with data"),
    "dq_none_missing": ("Visas skolas iesūtīja datus par visiem mēnešiem.", "Every school delivered every month."),
    "status_loaded": ("ielādēta", "loaded"),
    "status_unchanged": ("bez izmaiņām", "unchanged"),
    "status_rejected": ("noraidīta", "rejected"),
    "status_skipped": ("izlaista", "skipped"),
    "stage_ingest": ("nolasīšana", "reading"),
    "stage_validate": ("pārbaude", "validation"),
    # support overview
    "so_intro": (
        "Cik skolēnu saņēma atbalstu, cik konsultāciju un stundu notika, kas tās vadīja, kādos "
        "priekšmetos un kādā formā — pa semestriem.",
        "How many pupils were supported, how many consultations and hours took place, who led them, "
        "in which subjects and in which form — per semester.",
    ),
    "so_totals": ("Kopsavilkums", "Summary"),
    "so_by_semester": ("Atbalsts pa semestriem", "Support per semester"),
    "so_pupils_chart": ("Atbalstītie skolēni pa semestriem", "Pupils supported per semester"),
    "so_hours_chart": ("Atbalsta stundas pa semestriem", "Support hours per semester"),
    # where the in-person/remote split is withheld, the semester's hours are shown unsplit
    "so_hours_unsplit": ("Kopā (sadalījums aizklāts)", "Total (split withheld)"),
    "so_roles": ("Darbinieki pēc amata", "Staff by role"),
    "so_subjects": ("Mācību priekšmeti", "Subjects"),
    "so_roles_chart": ("Atbalsta stundas pēc amata", "Support hours by role"),
    "so_subjects_chart": ("Atbalsta stundas pēc mācību priekšmeta", "Support hours by subject"),
    "so_modes": ("Klātienē un attālināti", "In person and remote"),
    "so_modes_chart": ("Konsultāciju stundas pēc formas", "Consultation hours by mode"),
    "so_plans": ("Individuālo plānu skaita pieaugums pa skolām", "Growth of individual plans per school"),
    "so_plans_note": (
        "Jauno individuālo atbalsta plānu skaits katrā mācību gadā; pieaugums — pret iepriekšējo gadu.",
        "New individual support plans per school year; growth is against the previous year.",
    ),
    # effectiveness
    "ef_intro": (
        "Vai atbalstītie skolēni uzlaboja vērtējumus vairāk nekā līdzīgi skolēni, kuri atbalstu nesaņēma.",
        "Did supported pupils improve their grades more than similar pupils who did not receive support.",
    ),
    "ef_summary": ("Kopsavilkums vienkāršā valodā", "Summary in plain language"),
    "ef_overall": ("Kopējais novērtējums", "Overall estimate"),
    "ef_forest_subject": ("Ietekme pēc mācību priekšmeta", "Effect by subject"),
    "ef_forest_municipality": ("Ietekme pēc pašvaldības", "Effect by municipality"),
    "ef_forest_x": ("Vērtējuma izmaiņas (balles, 10 ballu skala)", "Change in grade (points, 10-point scale)"),
    "ef_forest_note": (
        "Punkts — novērtējums, līnija — 95 % ticamības intervāls. Ja intervāls šķērso nulli, "
        "ietekme nav droši atšķirama no nulles.",
        "Dot: estimate; line: 95% confidence interval. An interval that crosses zero means the effect "
        "cannot be told apart from zero.",
    ),
    "naive": ("Vienkāršās izmaiņas", "Naive change"),
    "adjusted": ("Koriģētā ietekme", "Adjusted effect"),
    "effect": ("Ietekme", "Effect"),
    "ci95": ("95 % TI", "95% CI"),
    "ci_low": ("TI apakšā", "CI low"),
    "ci_high": ("TI augšā", "CI high"),
    "hedges_g": ("Hedža g", "Hedges' g"),
    "n_comparison": ("Salīdzinājuma skolēni", "Comparison pupils"),
    "improvement_index": ("Uzlabojuma indekss", "Improvement index"),
    "ef_balance": ("Sākotnējā līdzvērtība", "Baseline equivalence"),
    "ef_balance_note": (
        "Standartizētā atšķirība sākotnējos vērtējumos starp atbalstītajiem un salīdzinājuma skolēniem. "
        "Līdz 0,05 — līdzvērtīgi; 0,05–0,25 — nepieciešama korekcija; virs 0,25 — nav līdzvērtīgi.",
        "Standardised difference in baseline grades between supported and comparison pupils. "
        "Up to 0.05: equivalent; 0.05–0.25: adjustment needed; above 0.25: not equivalent.",
    ),
    "baseline_std_diff": ("Standartizētā atšķirība", "Standardised difference"),
    "balance_verdict": ("Vērtējums", "Verdict"),
    "balance_ok": ("līdzvērtīgi", "equivalent"),
    "balance_adjust": ("nepieciešama korekcija", "adjustment needed"),
    "balance_bad": ("nav līdzvērtīgi", "not equivalent"),
    "ef_dose": ("Ietekme pēc atbalsta apjoma", "Effect by amount of support"),
    "ef_dose_x": ("Atbalsta stundas", "Hours of support"),
    "ef_support_form": ("Atbalsta veids", "Form of support"),
    "support_form_consultations_only": ("tikai konsultācijas", "consultations only"),
    "support_form_consultations_and_activities": (
        "konsultācijas un pasākumi tajā pašā semestrī",
        "consultations and activities in the same semester",
    ),
    "ef_support_form_note": (
        "Aprakstošs salīdzinājums, nevis cēloņsakarība: kuri skolēni piedalās arī pasākumos, ir izvēle. "
        "Skolēniem, kas piedalījās tikai pasākumos, nav priekšmeta epizodes ar vērtējumiem, tāpēc vērtējumu "
        "ietekmē viņu nav; palikšanu skolā viņiem vērtē (sk. metodiku).",
        "A descriptive contrast, not a causal one: who also takes part in activities is itself chosen. Pupils "
        "who took part only in activities have no subject episode with marks, so they are not in the effect on "
        "marks; their staying in school is evaluated (see the method).",
    ),
    "ef_event": ("Vērtējumi ap atbalsta sākumu", "Grades around the start of support"),
    "ef_event_x": ("Mēneši no atbalsta sākuma", "Months from the start of support"),
    "ef_event_y": ("Vidējais vērtējums (balles)", "Mean grade (points)"),
    "ef_event_note": (
        "Mēnesis 0 ir pirmais atbalsta mēnesis. Salīdzinājuma skolēniem atskaites datums ir viņu grupas "
        "atbalstīto skolēnu atbalsta sākuma mediāna. Mēneši, kuros ir mazāk nekā {k} skolēnu, nav attēloti.",
        "Month 0 is the first month of support. For comparison pupils the reference date is the median start of "
        "support of the supported pupils in their group. Months with fewer than {k} pupils are not shown.",
    ),
    "supported": ("Atbalstītie", "Supported"),
    "comparison": ("Salīdzinājuma grupa", "Comparison group"),
    "ef_subgroups": ("Ietekme pa skolēnu grupām", "Effects by group of pupils"),
    "ef_subgroups_intro": (
        "Vai atbalsts palīdz vienādi meitenēm un zēniem, jaunākām un vecākām klasēm, un skolēniem ar zemāku vai "
        "augstāku sākuma līmeni (trešdaļa savā atlases grupā)? Katrai grupai — tā pati salīdzināšana kā kopā; "
        "p vērtība — tests, vai grupu efekti atšķiras.",
        "Does support help girls and boys, younger and older grades, and pupils starting lower or higher (the "
        "third of their matching group) alike? Each level has the same comparison as the total; the p-value "
        "tests whether the levels' effects differ.",
    ),
    "subgroup_gender": ("Dzimums", "Gender"),
    "subgroup_grade_band": ("Klašu grupa", "Grade band"),
    "subgroup_baseline_tercile": ("Sākuma līmenis", "Baseline level"),
    "level_F": ("Meitenes", "Girls"),
    "level_M": ("Zēni", "Boys"),
    "level_unknown": ("Dzimums nav norādīts", "Gender not given"),
    "level_1": ("Zemākā trešdaļa", "Lowest third"),
    "level_2": ("Vidējā trešdaļa", "Middle third"),
    "level_3": ("Augstākā trešdaļa", "Top third"),
    "level_ALL": ("Visi", "All"),
    "level_grades": ("{grades}. klase", "grades {grades}"),
    "p_heterogeneity": ("p (atšķirība)", "p (difference)"),
    "ef_subgroups_differ": (
        "{name}: efekti grupās atšķiras (p = {p}).",
        "{name}: the effects differ between levels (p = {p}).",
    ),
    "ef_subgroups_same": (
        "{name}: nav skaidru pierādījumu, ka efekti grupās atšķiras (p = {p}); grupu efekti var būt vienādi.",
        "{name}: no clear evidence that the effects differ between levels (p = {p}); they may well be the same.",
    ),
    "ef_subgroups_untested": (
        "{name}: atšķirību nevar pārbaudīt (par maz novērtētu vai publicējamu grupu).",
        "{name}: the difference cannot be tested (too few levels estimated or publishable).",
    ),
    "ef_subgroups_note": (
        "Trīs testi: pat ja atbalsts visiem darbojas vienādi, vismaz viens no tiem ar p < 0,05 gadās aptuveni "
        "reizi septiņos pārskatos. Grupu efekti ir mazāku grupu novērtējumi, tāpēc plašāki par kopējo.",
        "Three tests: even when support works the same for everyone, at least one of them shows p < 0.05 in "
        "about one report in seven. Level effects rest on smaller groups, so their intervals are wider than "
        "the total's.",
    ),
    "ef_staying": ("Palikšana skolā", "Staying in school"),
    "ef_staying_y": ("Skolā palikušo daļa (%)", "Share still in school (%)"),
    "stayed": ("Palika skolā", "Stayed in school"),
    "ef_staying_note": (
        "Daļa skolēnu, kuri mācību gada beigās joprojām mācās. Starpība — procentpunktos (p.p.).",
        "Share of pupils still enrolled at the end of the school year. Difference in percentage points (p.p.).",
    ),
    "ef_staying_unbalanced": (
        "Salīdzinājuma grupu nevarēja līdzsvarot {n} no {m} šūnām (sākuma semestris × klašu grupa), parasti "
        "tāpēc, ka atbalstīto skolēnu vidējās atzīmes tur ir ārpus salīdzinājuma skolēnu atzīmju robežām; tur "
        "palikšanas skolā novērtējums balstās tikai uz atlasi (salīdzināmu vienaudžu izvēli pēc atzīmēm).",
        "The comparison group could not be balanced in {n} of {m} cells (start semester × grade band), usually "
        "because the supported pupils' mean marks there lie outside the comparison pupils' range; there the "
        "staying estimate rests on matching alone (choosing comparable peers by their marks).",
    ),
    "ef_absences": ("Neattaisnoti kavējumi", "Unexcused absences"),
    "unexcused_per_month": ("Neattaisnotas stundas mēnesī", "Unexcused lessons per month"),
    "ef_absences_note": (
        "Otrs iznākums tiem pašiem skolēniem: neattaisnoti kavētās stundas mēnesī atbalsta semestrī (mēneši pēc "
        "atbalsta sākuma mēneša), salīdzinot ar līdzīgām atzīmēm un klasi skolēniem bez atbalsta. Starpība < 0 — "
        "atbalstītie kavē mazāk. Tikai skolām, kas sūta kavējumu datus; intervāls ir par šauru, ja skolu ir maz. "
        "Palikšana skolā — tabulā augstāk.",
        "A second outcome for the same pupils: lessons missed without a valid reason per month in the semester of "
        "support (the months after the month support began), against pupils with similar marks and grade and no "
        "support. A difference below 0 means the supported miss fewer lessons. Only schools that send attendance; "
        "the interval is too narrow when there are few schools. Staying in school: the table above.",
    ),
    "ef_caveats_title": ("Ko šie skaitļi nerāda", "What these numbers do not show"),
    "ef_caveats": (
        "Salīdzinājums ir novērojums, nevis eksperiments: atbalstu saņēma skolēni, kurus skola izvēlējās, "
        "un salīdzinājuma grupa var atšķirties arī tajā, ko dati neapraksta (motivācija, ģimene, veselība). "
        "Vērtējumi ir skolu liktas atzīmes, nevis vienots tests. Mazās grupās novērtējums ir neprecīzs, "
        "tāpēc skatieties uz intervāliem, nevis tikai uz punktu.",
        "This is an observational comparison, not an experiment: pupils received support because their school "
        "chose them, and the comparison group may differ in things the data do not record (motivation, family, "
        "health). Grades are marks given by schools, not a common test. In small groups the estimate is "
        "imprecise, so read the intervals, not only the point.",
    ),
    "ef_summary_positive": (
        "Atbalstītie skolēni vidēji uzlaboja vērtējumus par {effect} ballēm vairāk nekā līdzīgi skolēni bez "
        "atbalsta (95 % ticamības intervāls no {low} līdz {high}). Intervāls neietver nulli, tāpēc "
        "ietekme, visticamāk, ir pozitīva.",
        "Supported pupils improved their grades by {effect} points more than similar pupils without support "
        "(95% confidence interval {low} to {high}). The interval does not include zero, so the effect is "
        "most likely positive.",
    ),
    "ef_summary_negative": (
        "Atbalstīto skolēnu vērtējumi mainījās par {effect} ballēm sliktāk nekā līdzīgiem skolēniem bez "
        "atbalsta (95 % ticamības intervāls no {low} līdz {high}). Intervāls neietver nulli, tāpēc "
        "ietekme, visticamāk, ir negatīva. Dizaina pārbaudes nebrīdina par negodīgu salīdzinājumu, tāpēc to "
        "nevar izskaidrot ar to, kuri skolēni tika izvēlēti (ciktāl dati to rāda): pārskatiet, kā atbalsts tika "
        "sniegts.",
        "Supported pupils' grades changed by {effect} points less than those of similar pupils without support "
        "(95% confidence interval {low} to {high}). The interval does not include zero, so the effect is "
        "most likely negative. The design checks raise no warning of an unfair comparison, so this cannot be "
        "put down to who was chosen for support (as far as the data show): review how the support was given.",
    ),
    "ef_summary_unclear": (
        "Atšķirība starp atbalstītajiem un līdzīgiem skolēniem bez atbalsta ir {effect} balles (95 % "
        "ticamības intervāls no {low} līdz {high}). Intervāls ietver nulli: ar šiem datiem nevar droši "
        "apgalvot, ka atbalsts mainīja vērtējumus.",
        "The difference between supported pupils and similar pupils without support is {effect} points (95% "
        "confidence interval {low} to {high}). The interval includes zero: these data cannot show with "
        "confidence that support changed grades.",
    ),
    "ef_summary_naive": (
        "Bez salīdzinājuma (vienkārši „pirms” un „pēc”) atbalstīto vērtējumi mainījās par {naive} ballēm; "
        "šis skaitlis ietver arī to, kas būtu noticis bez atbalsta.",
        "Without a comparison (simply “before” and “after”), supported pupils' grades changed by {naive} "
        "points; that figure also contains what would have happened without support.",
    ),
    "ef_summary_count": (
        "Novērtējums balstās uz {n} atbalstītajiem un {m} salīdzinājuma skolēniem.",
        "The estimate rests on {n} supported and {m} comparison pupils.",
    ),
    # for decisions (docs/method.md, "For decisions")
    "ef_primary": ("Galvenais rezultāts", "Primary result"),
    "ef_primary_probs": (
        "{pos} % varbūtība, ka atbalsts uzlaboja atzīmes; {above} % — ka tas tās uzlaboja vismaz par {threshold} "
        "ballēm.",
        "{pos}% probability that support raised marks; {above}% that it raised them by at least {threshold} points.",
    ),
    "ef_primary_mdes": (
        "Ar šo datu apjomu varēja droši pamanīt tikai efektu, kas lielāks par {mdes} ballēm (80 % jauda); "
        "mazāku efektu nevar atšķirt no nejaušības.",
        "With this much data only an effect larger than {mdes} points could be reliably detected (80% power); "
        "a smaller effect cannot be told apart from chance.",
    ),
    "ef_primary_prior": (
        "Varbūtības sākas no piesardzīga pieņēmuma, ka skolu atbalsta programmas atzīmes parasti maina maz "
        "(normālsadalījums ap nulli ar standartnovirzi {sd} balles), un tad ņem vērā šos datus. Galvenais "
        "rezultāts ir visu projektu kopējais efekts; sadalījumi zemāk to tikai paskaidro.",
        "The probabilities start from the cautious assumption that school-support programmes usually change "
        "marks little (a normal distribution around zero with a standard deviation of {sd} points) and then "
        "take these data into account. The primary result is the total effect across projects; the "
        "breakdowns below only explain it.",
    ),
    "ef_projects": ("Galvenais rezultāts pa projektiem", "Primary result by project"),
    "prob_positive": ("P(efekts > 0), %", "P(effect > 0), %"),
    "prob_above": ("P(efekts ≥ {threshold}), %", "P(effect ≥ {threshold}), %"),
    "mdes": ("Mazākais atklājamais efekts", "Minimum detectable effect"),
    "pooled": ("Apvienotais novērtējums", "Pooled estimate"),
    "pooled_ci": ("Apvienotā 95 % TI", "Pooled 95% CI"),
    "ef_forest_tested": (
        "Attēlā ir {n} novērtējumi. Pat ja atbalsts nekur neko nemainītu, aptuveni katrs divdesmitais "
        "intervāls nejauši neietvertu nulli, tāpēc atsevišķa „nozīmīga” rinda vēl nav pierādījums. "
        "Pelēkās rindas ir par mazām, lai spriestu (mazākais atklājamais efekts virs {max} ballēm).",
        "The chart shows {n} estimates. Even if support changed nothing anywhere, about one interval in twenty "
        "would exclude zero by chance, so a single “significant” row is not proof. Grey rows are too small to "
        "tell (minimum detectable effect above {max} points).",
    ),
    "ef_too_small": ("Par mazu, lai spriestu: {names}.", "Too small to tell: {names}."),
    "ef_pooled_note": (
        "Apvienotais novērtējums pievelk katras rindas novērtējumu kopējam efektam — jo vairāk, jo neprecīzāka "
        "rinda. Mazām rindām tas ir labāks minējums par neapstrādāto: to novērtējumos liela daļa ir nejaušība, "
        "un visaugstākie un viszemākie skaitļi parasti ir galēji tieši nejaušības dēļ. Lielas rindas tas maina maz.",
        "The pooled estimate pulls each row's estimate towards the overall effect — the more, the less precise "
        "the row. For small rows it is a better guess than the raw one: much of their estimate is chance, and "
        "the highest and lowest figures are usually extreme precisely because of chance. Large rows it changes "
        "little.",
    ),
    # design diagnostics (docs/method.md, "Design diagnostics")
    "ef_warning_title": (
        "Brīdinājums: salīdzinājums, visticamāk, nav godīgs",
        "Warning: the comparison is probably not fair",
    ),
    "ef_warning_box": (
        "Pārbaude ar atzīmēm, ko atbalsts nevarēja ietekmēt, rāda, ka atbalstītie skolēni jau "
        "atšķīrās no salīdzinājuma grupas {what}: {placebo} balles (95 % TI {low} līdz {high}). Tāpēc "
        "salīdzinājuma grupa, visticamāk, nav salīdzināma, un zemāk norādītais efekts, visticamāk, ir "
        "nobīdīts: {direction} Neuzskatiet šo skaitli par atbalsta efektu.",
        "A check on marks that support cannot have changed shows that the supported pupils already differed "
        "from the comparison group {what}: {placebo} points (95% CI {low} to {high}). "
        "The comparison group is therefore probably not comparable, and the effect below is probably biased: "
        "{direction} Do not read this figure as the effect of support.",
    ),
    "ef_warning_what_a": ("sākuma semestra atzīmēs pirms atbalsta", "in the start term's marks before support"),
    "ef_warning_what_b": (
        "atzīmju izmaiņā starp diviem semestriem pirms atbalsta",
        "in how their marks changed over the two semesters before support",
    ),
    "ef_warning_down": (
        "atbalstītie jau atpalika, tāpēc efekts, visticamāk, ir novērtēts par zemu (ja šī atšķirība "
        "saglabājās, patiesais efekts ir lielāks).",
        "the supported were already behind, so the effect is probably understated (if that gap persisted, the "
        "true effect is larger).",
    ),
    "ef_warning_up": (
        "atbalstītie jau bija priekšā, tāpēc efekts, visticamāk, ir novērtēts par augstu (patiesais efekts var "
        "būt mazāks vai nulle). Cits iespējams skaidrojums: atbalsts (vai sarunas par plānu) sākās pirms pirmās "
        "reģistrētās konsultācijas; tad šis pārsvars jau ir atbalsta efekts, un zemāk norādītais skaitlis nav "
        "pārvērtēts. Pārbaudiet ar skolām, kad atbalsts patiešām sākās.",
        "the supported were already ahead, so the effect is probably overstated (the true effect may be smaller "
        "or zero). Another possible reason: support (or talks about the plan) began before the first recorded "
        "consultation; then this lead is already the effect of support, and the figure below is not overstated. "
        "Check with the schools when support really began.",
    ),
    "ef_warning_none": ("virziens nav zināms.", "the direction is unknown."),
    "ef_flow": ("Kuri atbalstītie skolēni ir novērtējumā", "Which supported pupils the estimate covers"),
    "ef_flow_step": ("Solis", "Step"),
    "ef_flow_share": ("Daļa no atbalstītajiem (%)", "Share of the supported (%)"),
    "ef_flow_episodes": ("Atbalstīti kādā mācību priekšmetā", "Supported in a subject"),
    "ef_flow_baseline": (
        "… ar atzīmēm iepriekšējā semestrī (bāze)",
        "… with marks in the previous semester (baseline)",
    ),
    "ef_flow_outcome": (
        "… un ar atzīmēm pēc atbalsta sākuma (rezultāts)",
        "… and with marks after support began (outcome)",
    ),
    "ef_flow_matched": (
        "… un ar salīdzināmu vienaudzi (novērtējumā)",
        "… and with a comparable peer (in the estimate)",
    ),
    "ef_flow_chart": ("Skolēnu plūsma līdz novērtējumam", "From supported pupils to the estimate"),
    "ef_flow_note": (
        "Bez bāzes paliek skolēni, kuriem iepriekšējā semestrī priekšmetā nav 10 ballu atzīmju (piem., pirmajā "
        "datu semestrī vai 1.–3. klasē). Bez salīdzināma vienaudža parasti paliek skolēni ar viszemākajām "
        "atzīmēm: galvenais novērtējums uz viņiem neattiecas. Tāpēc blakus ir arī efekts visiem atbalstītajiem "
        "ar bāzi un rezultātu (regresija visā salīdzinājuma kopā, bez atlases).",
        "Pupils without marks in the subject in the previous semester (e.g. the first semester of the data, or "
        "grades 1–3) have no baseline. Pupils without a comparable peer are usually those with the very lowest "
        "marks: the headline does not cover them. So the effect on all supported pupils with a baseline and an "
        "outcome (a regression on the whole comparison pool, no matching) is shown beside it.",
    ),
    "ef_estimates": ("Novērtējumi blakus", "The estimates side by side"),
    "ef_est_headline": (
        "Galvenais: atbalstītie ar salīdzināmu vienaudzi (atlase + regresija)",
        "Headline: supported with a comparable peer (matching + regression)",
    ),
    "ef_est_all": (
        "Jutīgums: visi atbalstītie ar bāzi un rezultātu (regresija, bez atlases)",
        "Sensitivity: all supported with baseline and outcome (regression, no matching)",
    ),
    "ef_est_naive": ("Vienkāršās izmaiņas (bez salīdzinājuma)", "Naive change (no comparison)"),
    "ef_est_what": ("Novērtējums", "Estimate"),
    "ef_placebo": ("Pārbaude: vai grupas atšķīrās jau pirms atbalsta?", "Check: did the groups differ before support?"),
    "ef_placebo_a": (
        "A: sākuma semestra atzīmes pirms atbalsta sākuma",
        "A: the start term's marks before support began",
    ),
    "ef_placebo_b": (
        "B: izmaiņa no semestra s−2 uz s−1",
        "B: the change from semester s−2 to s−1",
    ),
    "ef_placebo_ok": ("nav skaidras atšķirības", "no clear difference"),
    "ef_placebo_bad": ("atšķiras — brīdinājums", "differs — warning"),
    "ef_placebo_small": ("niecīga atšķirība", "a negligible difference"),
    "ef_placebo_na": ("nav aprēķināms", "cannot be computed"),
    "ef_placebo_note": (
        "Atbalsts nevar mainīt atzīmes, kas liktas pirms tā sākuma, tāpēc godīgā salīdzinājumā šīm starpībām "
        "jābūt ap nulli. Intervāli — tāpat kā galvenajam novērtējumam. Brīdinājums tiek dots, ja intervāls "
        "neietver nulli un starpība ir vismaz 0,05 balles vai vismaz puse no efekta. Ja brīdinājuma nav, tas "
        "nepierāda, ka grupas ir salīdzināmas: platā intervālā var slēpties atšķirība.",
        "Support cannot change marks given before it began, so in a fair comparison these differences are near "
        "zero. Intervals are made as for the headline. A warning is given when an interval excludes zero and the "
        "difference is at least 0.05 points or at least half the effect. No warning does not prove the groups "
        "comparable: a wide interval can hide a difference.",
    ),
    "ef_sensitivity": (
        "{name}: lai šo efektu izskaidrotu nenovērots faktors (piemēram, motivācija), tam jāizskaidro vismaz "
        "{rv} % no atlikušās atšķirības gan tajā, kurš saņem atbalstu, gan rezultātā (noturības vērtība). "
        "Faktors, kas ir tikpat spēcīgs kā skolēna kopējais vidējais vērtējums iepriekšējā semestrī, {verdict}",
        "{name}: to explain this effect away, a hidden factor (such as motivation) would have to explain at "
        "least {rv}% of the remaining variation in both who was supported and the outcome (robustness value). "
        "A factor as strong as the pupil's overall mean mark in the previous semester {verdict}",
    ),
    "ef_sensitivity_away": (
        "efektu izskaidrotu — novērtējums nav noturīgs.",
        "would explain it away — the estimate is fragile.",
    ),
    "ef_sensitivity_stays": (
        "efektu neizskaidrotu (tas samazinātos līdz {adjusted} ballēm).",
        "would not explain it away (it would shrink to {adjusted} points).",
    ),
    "ef_event_diff": ("Starpība: atbalstītie − salīdzinājuma grupa", "Gap: supported − comparison group"),
    "ef_event_periods": (
        "s−2|s−1 (atlase)|sākuma sem. pirms|sākuma sem. no atbalsta|s+1",
        "s−2|s−1 (matched)|start term before|start term from support|s+1",
    ),
    "ef_event_x_sem": ("Semestris attiecībā pret atbalsta sākumu (s)", "Semester relative to the start of support (s)"),
    "ef_event_note_sem": (
        "Skolēni ir izlīdzināti pēc semestra: s — semestris, kurā sākās atbalsts, s−1 — iepriekšējais. "
        "Salīdzinājuma grupa atlasīta pēc s−1 vidējām atzīmēm (viss iepriekšējais semestris: janvāris–augusts, "
        "ja atbalsts sākās septembrī–decembrī; septembris–decembris, ja janvārī–augustā), tāpēc tur grupas "
        "sakrīt pēc konstrukcijas. s−2 un sākuma semestris pirms atbalsta atlasē nav izmantoti: starpība tur "
        "liecina, ka salīdzinājums nav godīgs. Josla — 95 % intervāls (kā galvenajam novērtējumam). Soļi, kuros "
        "ir mazāk nekā {k} skolēnu vai kuru skolēnu skaits kopš iepriekšējā pārskata mainījies par 1–{k1}, nav "
        "attēloti.",
        "Pupils are aligned by semester: s is the semester in which support began, s−1 the one before. The "
        "comparison group was matched on the mean marks of s−1 (the whole previous semester: January–August for "
        "a start in September–December; September–December for a start in January–August), so the groups agree "
        "there by construction. s−2 and the start term before support were not used for matching: a gap there "
        "means the comparison is not fair. Bars: 95% interval (as for the headline). Steps with fewer than {k} "
        "pupils, or whose pupils changed by 1–{k1} since the previous report, are not shown.",
    ),
    # municipality
    "mu_intro": (
        "Pašvaldības skaitļi blakus visa projekta skaitļiem.",
        "This municipality's figures next to those of the whole project.",
    ),
    "mu_key_figures": ("Galvenie rādītāji", "Key figures"),
    # activities, financial support and costs (issue 17)
    "programme_other": ("Pasākumi un finansiālais atbalsts", "Activities and financial support"),
    "programme_intro": (
        "Bez konsultācijām programmas rīko pasākumus (grupu nodarbības, darbnīcas, mācību ekskursijas u. c.) "
        "un maksā individuālo finansiālo atbalstu (transports, ēdināšana, dienesta viesnīca u. c.). "
        "Pasākumu stundas ir dalībnieku stundas (arī pasākumos, kuros dalībnieki tikai saskaitīti).",
        "Besides consultations, the programmes hold activities (group lessons, workshops, study visits and "
        "more) and pay individual financial support (transport, meals, dormitory and more). Activity hours "
        "are participant-hours (also for activities whose participants were only counted).",
    ),
    "activities_held": ("Pasākumi", "Activities held"),
    "activity_pupils": ("Skolēni pasākumos (uzskaitīti)", "Pupils in activities (listed)"),
    "activity_hours": ("Pasākumu dalībnieku stundas", "Activity participant-hours"),
    "financial_pupils": ("Skolēni ar finansiālo atbalstu", "Pupils with financial support"),
    "financial_eur": ("Finansiālais atbalsts, EUR", "Financial support, EUR"),
    "costs_title": ("Izmaksas", "Costs"),
    "costs_caveat": (
        "Izmaksas ir tādas, kā projekti tās uzrādījuši (nav pārbaudītas pret grāmatvedību). EUR uz skolēnu: "
        "izmaksas / skolēni, kas saņēma jebkādu atbalstu (konsultācijas, pasākumus vai finansiālo atbalstu); "
        "EUR uz stundu: izmaksas / konsultāciju un pasākumu dalībnieku stundas.",
        "Costs are as the projects reported them (not checked against the accounts). EUR per pupil: costs / "
        "pupils supported in any way (consultations, activities or financial support); EUR per hour: costs / "
        "consultation and activity participant-hours.",
    ),
    "municipality_col": ("Pašvaldība", "Municipality"),
    "costs_eur": ("Izmaksas, EUR", "Costs, EUR"),
    "supported_any": ("Atbalstītie skolēni (jebkāds atbalsts)", "Pupils supported (any support)"),
    "support_hours": ("Atbalsta stundas", "Support hours"),
    "eur_per_pupil": ("EUR uz skolēnu", "EUR per pupil"),
    "eur_per_hour": ("EUR uz stundu", "EUR per hour"),
    "mu_measure": ("Rādītājs", "Measure"),
    "mu_share_of_project": ("Daļa no projekta (%)", "Share of project (%)"),
    "hours_per_pupil": ("Stundas uz skolēnu", "Hours per pupil"),
    "remote_share": ("Attālināto stundu daļa (%)", "Share of remote hours (%)"),
    "schools": ("Skolas", "Schools"),
    # early warning
    "ew_title": (
        "Agrīnā brīdināšana: priekšlaicīgas mācību pārtraukšanas risks",
        "Early warning: risk of leaving school early",
    ),
    "ew_model": (
        "Risku novērtē loģistiskā regresija pēc rādītājiem, kas skolai bija zināmi momentuzņēmuma dienā (atzīmes, "
        "`nv`, atkārtota klase, skolas maiņa, riska faktori plānos, kavējumi, ja tie ir). Pārbaude ārpus laika: "
        "apmācīts {train}, pārbaudīts {test}. Saraksti ar skolēniem ir tikai skolām, nekad pārskatos.",
        "The risk is estimated by a logistic regression on the indicators a school had on the snapshot day "
        "(marks, `nv`, repeated grade, school change, risk factors in plans, absences where sent). Checked out of "
        "time: trained on {train}, tested on {test}. Lists of pupils go to the schools only, never into reports.",
    ),
    "ew_rules": (
        "Aizgājušo skolēnu vēsturē ir par maz modeļa apmācībai, tāpēc risku nosaka dokumentēti rādītāju "
        "noteikumi (docs/method.md). ({note})",
        "History holds too few leavers to train a model, so the documented indicator rules set the risk "
        "(docs/method.md). ({note})",
    ),
    "ew_coverage": (
        "Skolēni pēc riska grupas jaunākajā datu dienā un cik no viem ir atvērts atbalsta plāns.",
        "Pupils by risk band on the latest data date, and how many of them have an open support plan.",
    ),
    "ew_band": ("Riska grupa", "Risk band"),
    "ew_band_high": ("Augsts", "High"),
    "ew_band_medium": ("Vidējs", "Medium"),
    "ew_band_low": ("Zems", "Low"),
    "ew_band_ALL": ("Kopā", "Total"),
    "ew_pupils": ("Skolēni", "Pupils"),
    "ew_with_plan": ("Ar plānu", "With a plan"),
    "ew_share_with_plan": ("Daļa ar plānu (%)", "Share with a plan (%)"),
    "ew_auc": (
        "Pārbaudes gadā {test} modelis sarindo aizgājušos augstāk par palikušajiem ar varbūtību {auc} (AUC; "
        "95 % TI {ci}; 0,5 — nejauši).",
        "In the test year {test} the model ranks a leaver above a stayer with probability {auc} (AUC; 95% CI "
        "{ci}; 0.5 is chance).",
    ),
    "ew_by_gender": ("Pēc dzimuma (pārbaudes gads)", "By gender (test year)"),
    "ew_by_grade_band": ("Pēc klašu grupas (pārbaudes gads)", "By grade band (test year)"),
    "ew_by_municipality": ("Pēc pašvaldības (pārbaudes gads)", "By municipality (test year)"),
    "ew_leavers": ("Aizgāja", "Left"),
    "ew_flagged": ("Augsts risks", "Flagged high"),
    "ew_flag_rate": ("Atzīmēti (%)", "Flag rate (%)"),
    "ew_recall": ("Atrasti no aizgājušajiem (%)", "Recall (%)"),
    "ew_fpr": ("Kļūdaini atzīmēti no palikušajiem (%)", "False-positive rate (%)"),
    "ew_note": (
        "Intervāli — Vilsona 95 %. Grupas ar mazāk nekā {k} skolēniem kādā skaitā un to likmes ir aizklātas, "
        "kā arī papildu šūnas, lai tās nevarētu atrēķināt no kopsummas.",
        "Intervals: Wilson 95%. Groups with fewer than {k} pupils in any count are withheld with their rates, and "
        "further cells so that they cannot be recovered from the total.",
    ),
    # placebo C (negative control) and the spill-over check (docs/method.md, "Design diagnostics")
    "ef_warning_c": (
        "Atbalstītie mainījās arī priekšmetos, kuros viņi atbalstu nesaņēma (tajās pašās nedēļās): {placebo} "
        "balles (95 % TI {low} līdz {high}). Rezultātu var noteikt kas cits, nevis atbalsts (motivācija, "
        "pārmaiņas ģimenē, pārmaiņas visā skolā) — vai arī atbalsts pārnesās uz citiem priekšmetiem "
        "(mācīšanās prasmes).",
        "The supported also moved in subjects they were not supported in (in the same weeks): {placebo} "
        "points (95% CI {low} to {high}). Something other than support (motivation, a family change, a "
        "school-wide shift) may drive the result — or support spilled into other subjects (study skills).",
    ),
    "ef_warning_spill": (
        "Salīdzinājuma skolēni atbalstīto skolēnu skolās (tajā pašā priekšmetā un klašu grupā) uzlabojās par "
        "{placebo} ballēm vairāk nekā salīdzinājuma skolēni citās skolās (95 % TI {low} līdz {high}). "
        "Atbalsts, visticamāk, sasniedza arī viņu klasesbiedrus (nav spēkā 3. pieņēmums: nav pārneses), tāpēc "
        "pacēlās arī salīdzinājuma grupa, un efekts, visticamāk, ir novērtēts par zemu (patiesais efekts ir "
        "lielāks). No šādām skolām nāk {share} % salīdzinājuma grupas svara.",
        "Comparison pupils in the supported pupils' own schools (same subject and grade band) improved by "
        "{placebo} points more than comparison pupils in other schools (95% CI {low} to {high}). Support "
        "probably reached their classmates too (assumption 3, no spill-over, fails), so the comparison group "
        "was lifted as well and the effect is probably understated (the true effect is larger). {share}% of "
        "the comparison group's weight comes from such schools.",
    ),
    "ef_warning_spill_up": (
        "Salīdzinājuma skolēnu vērtējumi atbalstīto skolēnu skolās (tajā pašā priekšmetā un klašu grupā) "
        "mainījās par {placebo} ballēm citādi nekā salīdzinājuma skolēniem citās skolās (95 % TI {low} līdz "
        "{high}): tie atpalika. Atbalsts varēja atņemt laiku viņu klasesbiedriem (nav spēkā 3. pieņēmums: nav "
        "pārneses), vai šīs skolas vērtē citādi; tad salīdzinājuma grupa ir nospiesta uz leju un efekts, "
        "visticamāk, ir novērtēts par augstu. No šādām skolām nāk {share} % salīdzinājuma grupas svara.",
        "Comparison pupils in the supported pupils' own schools (same subject and grade band) changed by "
        "{placebo} points against comparison pupils in other schools (95% CI {low} to {high}): they fell "
        "behind. Support may have taken time from their classmates (assumption 3, no spill-over, fails), or "
        "those schools grade differently; then the comparison group was pulled down and the effect is probably "
        "overstated. {share}% of the comparison group's weight comes from such schools.",
    ),
    "ef_placebo_c": (
        "C: atzīmes priekšmetos bez atbalsta, tajās pašās nedēļās",
        "C: marks in subjects without support, in the same weeks",
    ),
    "ef_placebo_spill": (
        "Pārnese: salīdzinājuma skolēni atbalstīto skolās pret citām skolām",
        "Spill-over: comparisons in the supported pupils' schools vs other schools",
    ),
    "ef_placebo_c_note": (
        "C salīdzina atbalstīto un salīdzinājuma skolēnu atzīmes priekšmetos, kuros skolēnam atbalsta nav, "
        "no tā paša datuma: atšķirība liecina par kaut ko, kas skar visus skolēna priekšmetus (motivācija, "
        "ģimene, visa skola), vai par atbalsta pārnesi uz citiem priekšmetiem. Skolēni, kuriem šajās nedēļās "
        "nav atzīmju priekšmetos bez atbalsta, šajā pārbaudē netiek ņemti vērā.",
        "C compares the supported and comparison pupils' marks in the subjects where the pupil has no support, "
        "from the same date: a difference points to something that touches all of a pupil's subjects "
        "(motivation, family, the whole school) or to support spilling into other subjects. Pupils with no "
        "marks in an unsupported subject in those weeks drop out of this check only.",
    ),
    "ef_est_other_schools": (
        "Jutīgums: kā iepriekš, bet salīdzinājums tikai no skolām bez atbalstītajiem šajā priekšmetā un klašu grupā",
        "Sensitivity: as above, comparisons only from schools with no supported pupils in that subject and grade band",
    ),
    "ef_warning_spill_other": (
        "Ar salīdzinājumu tikai no citām skolām (bez atlases, regresija) efekts ir {effect} balles (95 % TI "
        "{low} līdz {high}).",
        "With comparisons from other schools only (regression, no matching) the effect is {effect} points "
        "(95% CI {low} to {high}).",
    ),
    "ef_spill_share": (
        "{share} % salīdzinājuma grupas svara nāk no skolām, kurās tajā pašā priekšmetā un klašu grupā kāds "
        "saņēma atbalstu. Ja atbalsts sasniedz arī klasesbiedrus (3. pieņēmums: nav pārneses), pacelsies arī "
        "salīdzinājuma grupa, un efekts būs novērtēts par zemu; pārneses pārbaude salīdzina šos skolēnus ar "
        "salīdzinājuma skolēniem citās skolās (nav aprēķināma, ja gandrīz visās skolās kāds saņem atbalstu).",
        "{share}% of the comparison group's weight comes from schools where someone in the same subject and "
        "grade band was supported. If support reaches classmates too (assumption 3: no spill-over), the "
        "comparison group is lifted as well and the effect understated; the spill-over check compares these "
        "pupils with comparison pupils in other schools (it cannot be made when nearly every school supports "
        "someone).",
    ),
    # design diagnostics added after the probe of the design (docs/method.md, "Design diagnostics")
    "ef_warning_b_ambiguous": (
        "virziens nav zināms: ja atbalstītie pirms atbalsta bija īslaicīgi kritušies, viņu atzīmes būtu "
        "atkopušās arī bez atbalsta (efekts novērtēts par augstu); ja kritums turpinājās, efekts ir novērtēts "
        "par zemu.",
        "the direction is unknown: if the supported had a passing fall before support, their marks would have "
        "recovered anyway (the effect is overstated); if the fall was continuing, the effect is understated.",
    ),
    "ef_warning_pretrend": (
        "Semestru salīdzinājumā (zemāk) atbalstītie jau pirms atbalsta skaidri atšķīrās no salīdzinājuma grupas "
        "(starpība semestrī, ko atbalsts nevarēja ietekmēt): atzīmes, visticamāk, mainījās atšķirīgi jau pirms "
        "atbalsta, tāpēc efekts var būt nobīdīts; virziens nav zināms.",
        "In the semester-by-semester comparison (below) the supported already clearly differed from the "
        "comparison group before support (a gap in a semester support cannot have changed): their marks were "
        "probably already moving differently, so the effect may be biased; the direction is unknown.",
    ),
    "ef_warning_missing": (
        "Atbalstītajiem pēc atbalsta sākuma ir mazāk reģistrētu atzīmju nekā līdzīgiem skolēniem: vērtējuma "
        "periods ar atzīmēm ir {out_t} % atbalstīto un {out_c} % salīdzinājuma grupas skolēnu mācību priekšmetu; "
        "“nv” (nav vērtējuma) ir {nv_t} % un {nv_c} % no šī perioda atzīmēm. Ja trūkst tieši nesekmīgo "
        "atzīmju, efekts izskatās lielāks, nekā tas ir.",
        "The supported have fewer recorded marks after support started than comparable pupils: {out_t}% of the "
        "supported pupils' subjects have an outcome period with marks, against {out_c}% of the comparison "
        "group's; “nv” (no grade) makes up {nv_t}% and {nv_c}% of that period's marks. Missing failing marks "
        "would make the effect look larger than it is.",
    ),
    "ef_warning_missing_plain": (
        "Atbalstītajiem pēc atbalsta sākuma ir mazāk reģistrētu atzīmju nekā līdzīgiem skolēniem (daļas šeit "
        "nav parādītas, lai nevarētu atpazīt atsevišķus skolēnus). Ja trūkst tieši nesekmīgo atzīmju, efekts "
        "izskatās lielāks, nekā tas ir.",
        "The supported have fewer recorded marks after support started than comparable pupils (the shares are "
        "not shown here, so that no pupil can be singled out). Missing failing marks would make the effect look "
        "larger than it is.",
    ),
    "ef_warning_end": (
        "Neuzskatiet šo skaitli par atbalsta efektu, kamēr brīdinājums nav izskaidrots.",
        "Do not read this figure as the effect of support until the warning is explained.",
    ),
    "ef_summary_warning": (
        "Novērtējums ir {effect} balles (95 % ticamības intervāls no {low} līdz {high}), taču pārbaudes "
        "(brīdinājums augstāk) liecina, ka salīdzinājums var nebūt godīgs: šo skaitli nevar uzskatīt par "
        "atbalsta efektu, kamēr brīdinājums nav izskaidrots.",
        "The estimate is {effect} points (95% confidence interval {low} to {high}), but the checks (the warning "
        "above) say the comparison may not be fair: this figure cannot be read as the effect of support until "
        "the warning is explained.",
    ),
    "ef_primary_probs_if_fair": (
        "Tikai ja salīdzinājums būtu godīgs: {pos} % varbūtība, ka atbalsts uzlaboja atzīmes; {above} % — ka "
        "vismaz par {threshold} ballēm. Pārbaudes (brīdinājums augstāk) liecina, ka tas var nebūt godīgs, "
        "tāpēc šīs varbūtības nav varbūtība, ka atbalsts darbojās.",
        "Only if the comparison were fair: {pos}% probability that support raised marks; {above}% that it "
        "raised them by at least {threshold} points. The checks (the warning above) say it may not be fair, so "
        "these are not the probability that support worked.",
    ),
    "ef_few_schools": (
        "Šis intervāls balstās tikai uz {n} skolām; ar tik maz skolām intervāls ir plašs un neprecīzs, un "
        "pārbaužu brīdinājums (vai tā trūkums) maz ko nozīmē.",
        "This interval rests on only {n} schools; with so few, the interval is wide and imprecise, and a "
        "check's warning (or its absence) says little.",
    ),
    "ef_cr1_fallback": (
        "Šim intervālam skolu aizstāšanas metodei bija par maz datu, tāpēc tas aprēķināts ar vienkāršāku "
        "formulu (CR1), kas, visticamāk, ir pārāk šaura: patiesā nenoteiktība ir lielāka.",
        "This interval had too little data for the school replicates, so it comes from a simpler formula (CR1) "
        "that is likely too narrow: the true uncertainty is larger.",
    ),
    "ef_cr1_rows": (
        "Šo rindu intervāli aprēķināti ar vienkāršāku formulu (CR1), kas, visticamāk, ir pārāk šaura: {names}.",
        "These rows' intervals come from a simpler formula (CR1) that is likely too narrow: {names}.",
    ),
    "ef_event_pretrend": (
        "Uzmanību: semestrī pirms atbalsta ({period}) starpība ir {gap} balles, un tās 95 % intervāls "
        "({low} līdz {high}) neietver nulli. Atbalsts tur nevarēja ietekmēt atzīmes, tāpēc grupas, visticamāk, "
        "atšķīrās jau pirms atbalsta.",
        "Caution: before support ({period}) the gap is {gap} points, and its 95% interval ({low} to {high}) "
        "excludes zero. Support cannot have changed marks there, so the groups probably already differed before "
        "support.",
    ),
    "ef_event_fades": (
        "Nākamajā semestrī (s+1) starpības intervāls ietver nulli, lai gan atbalsta semestrī tas to neietver: "
        "efekts var nesaglabāties nākamajā semestrī.",
        "In the next semester (s+1) the gap's interval includes zero, while in the start term it does not: the "
        "effect may not last into the next term.",
    ),
    "ef_attrition_note": (
        "Reģistrētās atzīmes pēc atbalsta sākuma: vērtējuma periods ar atzīmēm ir {out_t} % atbalstīto un "
        "{out_c} % salīdzinājuma grupas skolēnu mācību priekšmetu; “nv” ir {nv_t} % un {nv_c} % no perioda "
        "atzīmēm. Ja atbalstītajiem atzīmju trūkst biežāk, efekts var izskatīties lielāks, nekā tas ir.",
        "Recorded marks after support started: {out_t}% of the supported pupils' subjects have an outcome period "
        "with marks, against {out_c}% of the comparison group's; “nv” makes up {nv_t}% and {nv_c}% of that "
        "period's marks. If the supported miss marks more often, the effect can look larger than it is.",
    ),
}

STATUS_KEYS = {"loaded", "unchanged", "rejected", "skipped"}


def check_lang(lang: str | None) -> str:
    """Default Latvian; anything else but the two known languages is a user error."""
    lang = (lang or "lv").lower()
    if lang not in LANGS:
        raise ValueError(f"Nezināma valoda / unknown language: {lang!r} (lv, en)")
    return lang


def t(key: str, lang: str = "lv", **values: object) -> str:
    """The label for `key` in `lang`, with `{placeholders}` filled from `values`."""
    lv, en = LABELS[key]
    text = en if check_lang(lang) == "en" else lv
    return text.format(**values) if values else text


def label_or(key: str, lang: str, fallback: str) -> str:
    """The label when the dictionary has one, else `fallback` (e.g. a code from the data)."""
    return t(key, lang) if key in LABELS else fallback


def _name(table: dict[str, tuple[str, str, tuple[str, ...]]], code: str | None, lang: str, fallback: str) -> str:
    if code == "ALL":
        return t("total", lang)
    if code is None or code not in table:
        return t(fallback, lang) if code in (None, "", "NONE") else str(code)
    lv, en, _ = table[code]
    return en if lang == "en" else lv


def subject_name(code: str | None, lang: str = "lv") -> str:
    """Subject code -> its name; null means non-subject support; a subject no dictionary knows
    (`other`, or its `~text` in the warehouse) is "other subject", never its text."""
    if published_subject(code) == OTHER_SUBJECT:
        return t("other_subject", lang)
    return _name(SUBJECTS, code, lang, "other_support")


def role_name(code: str | None, lang: str = "lv") -> str:
    return _name(STAFF_ROLES, code, lang, "unknown")


def mode_name(code: str | None, lang: str = "lv") -> str:
    return _name(MODES, code, lang, "unknown")


def project_name(code: str | None, lang: str = "lv") -> str:
    """Project names are written in Latvian only (they are official titles)."""
    if code in (None, "", "ALL"):
        return t("all", lang)
    if code == OTHER_PROJECT:
        return "cits projekts / other project"
    return f"{code} {PROJECTS[code][0]}" if code in PROJECTS else str(code)
