"""The input contract: which columns each export kind has, their accepted names, and the
dictionaries that turn free-text values (subjects, roles, modes) into stable codes.

This is the one place where the schools' vocabulary is written down; the sample generator,
ingest and validation all read it from here so they cannot drift apart.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

KINDS: tuple[str, ...] = (
    "schools",
    "pupils",
    "plans",
    "consultations",
    "grades",
    "activities",
    "financial_support",
    "costs",
    "attendance_lessons",
    "attendance_periods",
)
# The staging table each kind loads into: both attendance shapes (a day-by-day register export and a
# per-month or per-semester summary) into one typed table, staging.attendance.
STAGING_TABLES: dict[str, str] = {kind: kind for kind in KINDS} | {
    "attendance_lessons": "attendance",
    "attendance_periods": "attendance",
}


@dataclass(frozen=True)
class Column:
    name: str  # canonical English name, used in the warehouse
    latvian: str  # the header Latvian exports use
    required: bool = False
    aliases: tuple[str, ...] = ()  # further accepted spellings


# Column order here is the order the sample generator writes them in.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "schools": (
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("school_name", "Nosaukums", True, ("Iestādes nosaukums",)),
        Column("municipality", "Pašvaldība", True, ("Novads",)),
        Column("school_type", "Iestādes veids", False, ("Skolas veids", "institution_type")),
    ),
    "pupils": (
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("first_name", "Vārds"),
        Column("last_name", "Uzvārds"),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("class", "Klase", True),
        Column("gender", "Dzimums"),
        Column("school_year", "Mācību gads", True),
        Column("left_on", "Atskaitīts", False, ("Atskaitīšanas datums",)),
        Column("leaving_reason", "Atskaitīšanas iemesls"),
    ),
    "plans": (
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("plan_start", "Sākuma datums", True),
        Column("plan_end", "Beigu datums"),
        Column("project_code", "Projekts", False, ("Projekta numurs",)),
        Column("risk_factors", "Riska faktori"),
    ),
    "consultations": (
        Column("date", "Datums", True),
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("staff_name", "Pedagogs", False, ("Darbinieks",)),
        Column("staff_role", "Amats"),
        Column("subject", "Mācību priekšmets"),
        Column("minutes", "Ilgums", True, ("duration",)),
        Column("mode", "Forma"),
        Column("group_size", "Grupas lielums"),
        Column("project_code", "Projekts", False, ("Projekta numurs",)),
    ),
    "grades": (
        Column("date", "Datums", True),
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("subject", "Mācību priekšmets", True),
        Column("grade", "Vērtējums", True),
        Column("assessment_type", "Vērtējuma veids"),
    ),
    # One row per participant (pupil_code) or one row per activity with a head count (participants).
    "activities": (
        Column("date", "Datums", True),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("activity_id", "Pasākuma ID", True, ("Pasākuma identifikators", "Pasākuma numurs")),
        Column("activity_type", "Pasākuma veids", True, ("Nodarbības veids",)),
        # Free text: recognised so the column is not mistaken for anything else, never stored.
        Column("title", "Pasākuma nosaukums", False, ("Nodarbības nosaukums", "Tēma")),
        Column("subject", "Mācību priekšmets"),
        Column("minutes", "Ilgums", True, ("duration",)),
        Column("project_code", "Projekts", True, ("Projekta numurs",)),
        Column("pupil_code", "Personas kods", False, ("personal_code",)),
        Column("participants", "Dalībnieku skaits", False, ("Dalībnieki", "participant_count")),
    ),
    "financial_support": (
        Column("date", "Datums", True),
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("support_type", "Atbalsta veids", True, ("Atbalsta veids (finansiālais)", "Izdevumu veids")),
        Column("amount_eur", "Summa (EUR)", True, ("Summa EUR", "Summa euro", "amount")),
        Column("project_code", "Projekts", False, ("Projekta numurs",)),
    ),
    "costs": (
        Column("month", "Mēnesis", True, ("Pārskata mēnesis",)),
        Column("project_code", "Projekts", True, ("Projekta numurs",)),
        Column("municipality", "Pašvaldība", True, ("Novads",)),
        Column("cost_category", "Izmaksu kategorija", True, ("Izmaksu pozīcija", "Izdevumu kategorija")),
        Column("amount_eur", "Summa (EUR)", True, ("Summa EUR", "Summa euro", "amount")),
    ),
    # One row per pupil × day (× reason, × subject when the register names it): lessons missed.
    "attendance_lessons": (
        Column("date", "Datums", True),
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("lessons_missed", "Kavētās stundas", True, ("Kavējumi", "Kavēto stundu skaits")),
        Column("reason", "Iemesls", False, ("Kavējuma iemesls", "absence_reason")),
        Column("subject", "Mācību priekšmets"),
    ),
    # One row per pupil × period (a month or a semester): lessons missed in it, by reason.
    "attendance_periods": (
        Column("pupil_code", "Personas kods", True, ("personal_code",)),
        Column("school_id", "Iestādes kods", True, ("registration_number", "Reģistrācijas numurs")),
        Column("period_start", "Perioda sākums", True, ("Periods no",)),
        Column("period_end", "Perioda beigas", True, ("Periods līdz",)),
        Column("excused", "Attaisnotas stundas", False, ("Attaisnoti kavējumi", "excused_lessons")),
        Column("unexcused", "Neattaisnotas stundas", True, ("Neattaisnoti kavējumi", "unexcused_lessons")),
        Column("illness", "Slimības dēļ", False, ("Kavējumi slimības dēļ", "illness_lessons")),
        Column("lessons_held", "Notikušās stundas", False, ("Stundu skaits", "Notikušo stundu skaits")),
    ),
}

# Columns that only one kind has; a header is recognised by these, never by the file name.
SIGNATURE: dict[str, frozenset[str]] = {
    "schools": frozenset({"school_name", "municipality", "school_type"}),
    "pupils": frozenset({"class", "school_year", "first_name", "last_name", "gender", "left_on", "leaving_reason"}),
    "plans": frozenset({"plan_start", "plan_end", "risk_factors"}),
    "consultations": frozenset({"minutes", "mode", "staff_name", "staff_role", "group_size"}),
    "grades": frozenset({"grade", "assessment_type"}),
    # `minutes` (consultations' signature) is in activities too: an activities header still wins,
    # as it holds at least activity_id and activity_type (kinds.recognise ranks by signature columns).
    "activities": frozenset({"activity_id", "activity_type", "title", "participants"}),
    "financial_support": frozenset({"support_type"}),
    "costs": frozenset({"month", "cost_category"}),
    "attendance_lessons": frozenset({"lessons_missed", "reason"}),
    "attendance_periods": frozenset({"period_start", "period_end", "excused", "unexcused", "illness", "lessons_held"}),
}

# Columns holding personal data: never stored, logged or shown.
PERSONAL_COLUMNS: frozenset[str] = frozenset({"pupil_code", "first_name", "last_name", "staff_name"})
# Free text mapped to codes at ingest (PROJECTS, RISK_FACTORS); the text itself is never stored.
# An activity's title is free text that nothing needs: dropped at ingest, never stored.
FREE_TEXT_COLUMNS: frozenset[str] = frozenset({"project_code", "risk_factors", "title", "leaving_reason"})

# The EU fund projects a plan or consultation may belong to: canonical code -> (Latvian name,
# English name, further accepted spellings). Schools type the number, the programme's name or its
# nickname; anything else is stored as OTHER_PROJECT (never as the text: it may hold a name).
PROJECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "8.3.4.0/16/I/001": (
        "PuMPuRS — Atbalsts priekšlaicīgas mācību pārtraukšanas samazināšanai",
        "PuMPuRS — Support for reducing early school leaving",
        ("PuMPuRS", "projekts PuMPuRS", "Atbalsts priekšlaicīgas mācību pārtraukšanas samazināšanai", "8.3.4.0"),
    ),
    "8.3.2.2/16/I/001": (
        "Atbalsts izglītojamo individuālo kompetenču attīstībai",
        "Support for the development of learners' individual competences",
        ("Individuālo kompetenču attīstība", "8.3.2.2"),
    ),
    "4.2.3.1/1/24/I/001": (
        "Skola – kopienā (ESF+)",
        "School – in the community (ESF+)",
        ("Skola – kopienā", "ESF+ Skola – kopienā", "projekts Skola – kopienā", "4.2.3.1"),
    ),
}
# The period each project runs (first and last day), inclusive: an activity, a payment or a month of
# costs outside it is quarantined (validation). Only the defaults: params.yaml `validate.project_periods`
# sets them (config.ValidateSettings); the two ESF 2014–2020 ends are to be confirmed (docs/input-contract.md).
PROJECT_PERIODS: dict[str, tuple[date, date]] = {
    "8.3.4.0/16/I/001": (date(2017, 1, 1), date(2026, 12, 31)),
    "8.3.2.2/16/I/001": (date(2016, 9, 1), date(2026, 12, 31)),
    "4.2.3.1/1/24/I/001": (date(2024, 1, 1), date(2029, 12, 31)),
}
OTHER_PROJECT = "other"  # a project value that is none of PROJECTS (schools are told, see validation rules)

# Risk factors recorded in a support plan (`Riska faktori`, a list separated by `;` or `,`):
# canonical code -> (Latvian, English, accepted spellings). An item that is none of these is kept
# as `other`; the text itself is never stored.
RISK_FACTORS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "learning_difficulties": (
        "Mācību grūtības",
        "Learning difficulties",
        ("mācīšanās grūtības", "zemas sekmes", "nepietiekami vērtējumi", "learning difficulty"),
    ),
    "absences": ("Kavējumi", "Absences", ("stundu kavējumi", "neattaisnoti kavējumi", "absence", "absenteeism")),
    "behaviour": ("Uzvedība", "Behaviour", ("uzvedības problēmas", "uzvedības grūtības", "behavior")),
    "socio_economic": (
        "Sociālekonomiskie apstākļi",
        "Socio-economic circumstances",
        ("materiālās grūtības", "sociālie apstākļi", "sociālekonomiskā situācija", "socio-economic", "socioeconomic"),
    ),
    "family": ("Ģimenes situācija", "Family situation", ("ģimenes apstākļi", "family")),
    "health": ("Veselība", "Health", ("veselības problēmas", "veselības stāvoklis", "health problems")),
    "psycho_emotional": (
        "Psihoemocionālās grūtības",
        "Psycho-emotional difficulties",
        ("emocionālās grūtības", "psihoemocionālie traucējumi", "psycho-emotional", "psychoemotional"),
    ),
    "other": ("Cits", "Other", ("citi", "cits iemesls", "citi apstākļi")),
}
RISK_FACTOR_SEPARATORS = r"[;,]"

# Why a lesson was missed (`Iemesls` of the lesson records): canonical code -> (Latvian, English, accepted
# spellings). An empty cell is `unknown`; a value that is none of these is stored as `unknown` too and
# the school is told (validation warning `unknown_absence_reason`).
ABSENCE_REASONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "excused": ("attaisnots", "excused", ("attaisnoti", "attaisnots kavējums", "a")),
    "unexcused": ("neattaisnots", "unexcused", ("neattaisnoti", "neattaisnots kavējums", "n")),
    "illness": ("slimība", "illness", ("slimības dēļ", "slims", "sick", "s")),
}
UNKNOWN_REASON = "unknown"

# Why a pupil left (`Atskaitīšanas iemesls`, free text on the roster): code -> (Latvian, English, word
# stems found in the normalised text). Read by the early-warning model (pipelines/evaluate/early_warning.py)
# to tell leaving school without finishing from finishing, moving school or emigrating; a text with
# none of the stems is `other`. The order matters: the first code whose stem occurs wins.
LEAVING_REASONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "completed": (
        "Ieguva izglītību",
        "Completed",
        ("pabeidz", "pabeig", "absolv", "ieguva", "ieguvis", "beidza skolu", "izsniegt", "sekmigi", "complet"),
    ),
    "transfer": (
        "Pārcēlās uz citu izglītības iestādi",
        "Moved to another school",
        ("parcel", "cita skola", "citu skolu", "citu izglitibas", "cita izglitibas", "parvietot", "transfer"),
    ),
    "emigrated": ("Izbrauca uz ārzemēm", "Emigrated", ("arzem", "izbrauc", "emigr", "abroad")),
    "dropout": (
        "Pārtrauca mācības",
        "Stopped school without finishing",
        ("partrauc", "partrauk", "nemacas", "neapmekle", "atbirum", "drop"),
    ),
}


def leaving_reason_code(reason: str | None) -> str | None:
    """`Pārtrauca mācības` -> `dropout`; None when empty; `other` when no stem is found. Only the code
    is stored: a roster's reason is free text and may name the pupil or hold a personal code."""
    if reason is None or not str(reason).strip():
        return None
    text = normalise_text(reason)
    for code, (_lv, _en, stems) in LEAVING_REASONS.items():
        if any(stem in text for stem in stems):
            return code
    return "other"


# The subjects of the Latvian general-education standards: basic education (Cabinet regulation
# No. 747 of 27 November 2018, grades 1–9) and general secondary education (No. 416 of 3 September
# 2019, grades 10–12: basic, advanced and specialised courses), grouped by learning area, plus the
# foreign and minority languages schools teach. Sources and what is left out: docs/input-contract.md,
# "Mācību priekšmeti / Subjects". canonical code -> (Latvian name, English name, further accepted
# spellings). A secondary course's level suffix (`Matemātika II`) and `val.` for `valoda` are
# understood without listing them (subject_code). A subject that is none of these is kept under
# its normalised text (UNKNOWN_SUBJECT_PREFIX), never dropped.
SUBJECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # languages (valodu mācību joma)
    "latvian": (
        "Latviešu valoda",
        "Latvian",
        ("latviešu valoda un literatūra", "latvian language", "valsts valoda", "latv. val."),
    ),
    "literature": ("Literatūra", "Literature", ("latviešu literatūra", "latvian literature")),
    "latgalian": ("Latgaliešu valoda", "Latgalian", ("latgalīšu volūda", "latgalian language")),
    "minority_language": (
        "Mazākumtautības valoda",
        "Minority language",
        ("mazākumtautības valoda un literatūra", "mazākumtautību valoda", "minority language"),
    ),
    "foreign_language": (
        "Svešvaloda",
        "Foreign language",
        ("pirmā svešvaloda", "svešvalodas", "foreign language", "first foreign language"),
    ),
    "second_foreign_language": (
        "Otrā svešvaloda",
        "Second foreign language",
        ("second foreign language", "trešā svešvaloda", "third foreign language"),
    ),
    "english": ("Angļu valoda", "English", ("english language", "angļu val.")),
    "german": ("Vācu valoda", "German", ("german language",)),
    "russian": (
        "Krievu valoda",
        "Russian",
        ("russian language", "krievu valoda un literatūra", "krievu literatūra"),
    ),
    "french": ("Franču valoda", "French", ("french language",)),
    "spanish": ("Spāņu valoda", "Spanish", ("spanish language",)),
    "italian": ("Itāļu valoda", "Italian", ("italian language",)),
    "swedish": ("Zviedru valoda", "Swedish", ("swedish language",)),
    "norwegian": ("Norvēģu valoda", "Norwegian", ("norwegian language",)),
    "danish": ("Dāņu valoda", "Danish", ("danish language",)),
    "finnish": ("Somu valoda", "Finnish", ("finnish language",)),
    "estonian": ("Igauņu valoda", "Estonian", ("estonian language",)),
    "lithuanian": ("Lietuviešu valoda", "Lithuanian", ("lithuanian language",)),
    "polish": ("Poļu valoda", "Polish", ("polish language", "poļu valoda un literatūra")),
    "ukrainian": ("Ukraiņu valoda", "Ukrainian", ("ukrainian language", "ukraiņu valoda un literatūra")),
    "belarusian": ("Baltkrievu valoda", "Belarusian", ("belarusian language", "baltkrievu valoda un literatūra")),
    "hebrew": ("Ivrits", "Hebrew", ("ebreju valoda", "hebrew language")),
    "chinese": ("Ķīniešu valoda", "Chinese", ("chinese language",)),
    "japanese": ("Japāņu valoda", "Japanese", ("japanese language",)),
    "latin": ("Latīņu valoda", "Latin", ("latin language",)),
    # social and civic (sociālā un pilsoniskā mācību joma)
    "social_studies": (
        "Sociālās zinības",
        "Social studies",
        ("sociālās zinības un vēsture", "social studies and history", "soc. zinības"),
    ),
    "history": (
        "Vēsture",
        "History",
        (
            "latvijas un pasaules vēsture",
            "latvijas vēsture",
            "pasaules vēsture",
            "vēsture un sociālās zinātnes",
            "history and social sciences",
            "latvian and world history",
        ),
    ),
    "politics_law": ("Politika un tiesības", "Politics and law", ("politics and law",)),
    "economics": ("Ekonomika", "Economics", ("ekonomikas pamati",)),
    "entrepreneurship": (
        "Uzņēmējdarbības pamati",
        "Entrepreneurship",
        ("uzņēmējdarbība", "komerczinības", "business studies"),
    ),
    "psychology": ("Psiholoģija", "Psychology", ()),
    "philosophy": ("Filozofija", "Philosophy", ()),
    "ethics": ("Ētika", "Ethics", ()),
    "christian_studies": ("Kristīgā mācība", "Christian studies", ("ticības mācība",)),
    # cultural understanding and self-expression in the arts (kultūras izpratnes un pašizpausmes mākslā)
    "visual_art": ("Vizuālā māksla", "Visual art", ("vizuālā māksla un dizains", "art", "visual arts")),
    "music": ("Mūzika", "Music", ()),
    "theatre_art": ("Teātra māksla", "Theatre art", ("teātris", "teātris un drāma", "theatre", "drama")),
    "culture_fundamentals": ("Kultūras pamati", "Fundamentals of culture", ("kultūras vēsture",)),
    "culture_and_arts": ("Kultūra un māksla", "Culture and arts", ("culture and arts",)),
    # natural sciences (dabaszinātņu mācību joma)
    "science": ("Dabaszinības", "Science", ("dabaszinātnes", "natural science", "natural sciences")),
    "biology": ("Bioloģija", "Biology", ()),
    "physics": ("Fizika", "Physics", ()),
    "chemistry": ("Ķīmija", "Chemistry", ()),
    "geography": ("Ģeogrāfija", "Geography", ()),
    # mathematics (matemātikas mācību joma)
    "mathematics": ("Matemātika", "Mathematics", ("math", "maths", "matem.")),
    # technologies (tehnoloģiju mācību joma)
    "design_technology": (
        "Dizains un tehnoloģijas",
        "Design and technology",
        ("mājturība un tehnoloģijas", "mājturība", "design and technologies", "tehnoloģijas"),
    ),
    "computing": ("Datorika", "Computing", ("informātika", "informatics", "computer science")),
    "programming": ("Programmēšana", "Programming", ()),
    "engineering": ("Inženierzinības", "Engineering", ("engineering science", "inženierzinātnes")),
    # health, safety and physical activity (veselības, drošības un fiziskās aktivitātes mācību joma)
    "sport_health": (
        "Sports un veselība",
        "Sport and health",
        ("sports", "sport", "physical education", "fiziskā audzināšana", "sports and health"),
    ),
    "health_education": ("Veselības mācība", "Health education", ("health education",)),
    "national_defence": (
        "Valsts aizsardzības mācība",
        "National defence",
        ("vam", "valsts aizsardzības mācība un jaunsardze", "national defence training"),
    ),
    # secondary school's cross-subject work
    "project_work": ("Projekta darbs", "Project work", ("projektu darbs", "project work")),
}
UNKNOWN_SUBJECT_PREFIX = "~"  # `~robotika kursi`: a subject kept under its normalised text (no code)
OTHER_SUBJECT = "other"  # what published files and reports show for any unknown subject (never the text)

# canonical code -> (Latvian, English, accepted spellings)
STAFF_ROLES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "teacher": ("Pedagogs", "Teacher", ("skolotājs", "skolotāja", "mācību priekšmeta skolotājs", "teacher")),
    "teaching_assistant": (
        "Pedagoga palīgs",
        "Teaching assistant",
        ("pedagoga palīgs", "skolotāja palīgs", "teaching assistant"),
    ),
    "class_teacher": ("Klases audzinātājs", "Class teacher", ("klases audzinātāja", "audzinātājs", "class teacher")),
    "psychologist": ("Psihologs", "Psychologist", ("psiholoģe", "izglītības psihologs", "psychologist")),
    "social_pedagogue": ("Sociālais pedagogs", "Social pedagogue", ("social pedagogue",)),
    "special_educator": ("Speciālais pedagogs", "Special educator", ("special educator",)),
    "speech_therapist": ("Logopēds", "Speech therapist", ("speech therapist",)),
}

MODES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "in_person": ("Klātienē", "In person", ("klātiene", "klātienes", "in person", "in-person", "onsite")),
    "remote": ("Attālināti", "Remote", ("attālināta", "attālinātā", "tiešsaistē", "remote", "online")),
}

ASSESSMENT_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "formative": ("Formatīvais", "Formative", ("formatīvs", "formative")),
    "summative": ("Summatīvais", "Summative", ("summatīvs", "summative", "noslēguma")),
    "term": ("Semestra", "Term", ("semestris", "semestra vērtējums", "term")),
    "year": ("Gada", "Year", ("gada vērtējums", "year")),
}

# A school's type (`Iestādes veids`, optional): canonical code -> (Latvian, English, accepted spellings).
SCHOOL_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "general": (
        "Vispārējā",
        "General",
        (
            "vispārējās izglītības iestāde",
            "vispārējā izglītības iestāde",
            "vispārējā izglītība",
            "vispārizglītojošā",
            "vispārizglītojošā skola",
            "vispārizglītojošā izglītības iestāde",
            "general education",
            "general school",
            "general education school",
        ),
    ),
    "vocational": (
        "Profesionālā",
        "Vocational",
        (
            "profesionālās izglītības iestāde",
            "profesionālā izglītības iestāde",
            "profesionālā izglītība",
            "profesionālā skola",
            "profesionālās izglītības kompetences centrs",
            "vocational education",
            "vocational school",
            "VET",
        ),
    ),
}
# Vocational schools count course years (`2. kurss`, `K2`, `2.k`), not grades: kept apart from
# grade_level everywhere (pupils.course_year). PuMPuRS covers courses 1–4.
COURSE_YEARS = (1, 4)

# What an activity was (`Pasākuma veids`): code -> (Latvian, English, accepted spellings).
ACTIVITY_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "group_lesson": ("Grupu nodarbība", "Group lesson", ("grupas nodarbība", "grupu nodarbības", "group session")),
    "research_workshop": (
        "Pētnieciskā darbnīca",
        "Research workshop",
        ("pētnieciskās darbnīcas", "pētniecības darbnīca", "research lab"),
    ),
    "interdisciplinary": (
        "Starpdisciplināra nodarbība",
        "Interdisciplinary session",
        ("starpdisciplinārā nodarbība", "starpdisciplināras nodarbības", "interdisciplinary lesson"),
    ),
    "interest_education": (
        "Interešu izglītība",
        "Interest education",
        ("interešu izglītības programma", "interešu izglītības nodarbība", "interest education programme"),
    ),
    "study_visit": (
        "Mācību ekskursija",
        "Study visit",
        ("mācību ekskursijas", "mācību vizīte", "ekskursija", "study trip", "field trip"),
    ),
    "mentoring": ("Mentorings", "Mentoring", ("mentora nodarbība", "mentorēšana")),
    "parent_event": (
        "Vecāku pasākums",
        "Parent event",
        ("vecāku iesaiste", "vecāku sapulce", "parent involvement", "parents event"),
    ),
    "other": ("Cits", "Other", ("cits pasākums", "citi")),
}

# What individual financial support paid for (`Atbalsta veids`).
SUPPORT_TYPES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "transport": ("Transports", "Transport", ("transporta izdevumi", "ceļa izdevumi", "transporta kompensācija")),
    "meals": ("Ēdināšana", "Meals", ("ēdināšanas izdevumi", "pusdienas", "food")),
    "dormitory": ("Dienesta viesnīca", "Dormitory", ("dienesta viesnīcas izdevumi", "kopmītne", "boarding")),
    "school_supplies": (
        "Mācību piederumi",
        "School supplies",
        ("mācību līdzekļi", "skolas piederumi", "learning materials"),
    ),
    "other": ("Cits", "Other", ("citi", "citi izdevumi")),
}

# Cost categories of a project's monthly costs (`Izmaksu kategorija`).
COST_CATEGORIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "remuneration": ("Atlīdzība", "Remuneration", ("atalgojums", "darba samaksa", "salaries", "pay")),
    "compensations": ("Kompensācijas", "Compensations", ("kompensācija", "compensation")),
    "activities": ("Pasākumi", "Activities", ("pasākumu izmaksas", "events")),
    "administration": ("Administrēšana", "Administration", ("administrācija", "administrēšanas izmaksas", "admin")),
    "other": ("Cits", "Other", ("citi", "citas izmaksas")),
}

# Learning levels used in grades 1–3 (sācis apgūt, turpina apgūt, apguvis, apguvis padziļināti).
LEARNING_LEVELS: tuple[str, ...] = ("S", "T", "A", "P")
NO_GRADE = "nv"
PASS_FAIL = {"i": True, "ni": False}
FIRST_SCORED_GRADE = 4  # the 10-point scale is used from grade 4; levels S/T/A/P in grades 1–3


def normalise_text(text: str) -> str:
    """Lower-case, strip diacritics, units in brackets, underscores and repeated spaces.

    Schools type headers and dictionary values by hand, with or without Latvian letters,
    so matching must not depend on any of that.
    """
    text = re.sub(r"\([^)]*\)", " ", str(text))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[_\-\u2010-\u2015\u2212./]+", " ", text.lower())
    return re.sub(r"\s+", " ", text).strip()


def _lookup(table: dict[str, tuple[str, str, tuple[str, ...]]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, (lv, en, more) in table.items():
        for spelling in (code, lv, en, *more):
            out[normalise_text(spelling)] = code
    return out


SUBJECT_LOOKUP = _lookup(SUBJECTS)
ROLE_LOOKUP = _lookup(STAFF_ROLES)
MODE_LOOKUP = _lookup(MODES)
ASSESSMENT_LOOKUP = _lookup(ASSESSMENT_TYPES)
SCHOOL_TYPE_LOOKUP = _lookup(SCHOOL_TYPES)
RISK_FACTOR_LOOKUP = _lookup(RISK_FACTORS)
ABSENCE_REASON_LOOKUP = _lookup(ABSENCE_REASONS)
ACTIVITY_TYPE_LOOKUP = _lookup(ACTIVITY_TYPES)
SUPPORT_TYPE_LOOKUP = _lookup(SUPPORT_TYPES)
COST_CATEGORY_LOOKUP = _lookup(COST_CATEGORIES)

# A secondary course's level or kind after the subject name: `Matemātika II`, `Fizika I`,
# `Bioloģija padziļinātais kurss`; and `val.` written for `valoda`.
_COURSE_SUFFIX = re.compile(r"(?:\s+(?:i{1,3}|pamatkurss|padzilinatais kurss|specializetais kurss|kurss))+$")
_ABBREVIATIONS = ((re.compile(r"\bval\b"), "valoda"),)


def subject_code(text: str) -> str | None:
    """The SUBJECTS code of a subject as a school wrote it, or None when it is no known subject.

    Tries the normalised text, then without a course suffix, each with `val` read as `valoda`."""
    norm = normalise_text(text)
    expanded = norm
    for pattern, word in _ABBREVIATIONS:
        expanded = pattern.sub(word, expanded)
    for candidate in dict.fromkeys((norm, expanded)):
        code = SUBJECT_LOOKUP.get(candidate) or SUBJECT_LOOKUP.get(_COURSE_SUFFIX.sub("", candidate))
        if code is not None:
            return code
    return None


def subject_key(text: str) -> str | None:
    """The subject a row is kept under: its code, else `~` + its normalised text (so support and
    marks in a subject no dictionary knows still reach the evaluation); None for an empty cell."""
    norm = normalise_text(text)
    if not norm:
        return None
    return subject_code(text) or f"{UNKNOWN_SUBJECT_PREFIX}{norm}"


def is_unknown_subject(code: str | None) -> bool:
    return code is not None and code.startswith(UNKNOWN_SUBJECT_PREFIX)


def published_subject(code: str | None) -> str | None:
    """The subject as published files and reports show it: an unknown subject's text becomes
    OTHER_SUBJECT (free text from schools never leaves the warehouse)."""
    return OTHER_SUBJECT if is_unknown_subject(code) else code


_QUOTES = re.compile("[\"'„“”«»‘’`]")


def normalise_project(text: str) -> str:
    """normalise_text without quotes, which schools put round a programme's name („Skola – kopienā”)."""
    return normalise_text(_QUOTES.sub(" ", str(text)))


PROJECT_LOOKUP: dict[str, str] = {
    normalise_project(spelling): code for code, (lv, en, more) in PROJECTS.items() for spelling in (code, lv, en, *more)
}


def header_lookup() -> dict[str, str]:
    """Normalised header spelling -> canonical column name, across all kinds."""
    out: dict[str, str] = {}
    for columns in COLUMNS.values():
        for col in columns:
            for spelling in (col.name, col.latvian, *col.aliases):
                out[normalise_text(spelling)] = col.name
    return out


HEADER_LOOKUP = header_lookup()


def school_year_of(day: date) -> str:
    """The school year runs 1 September – 31 August: 2024-10-01 -> '2024/2025'."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}/{start + 1}"


def semester_of(day: date) -> int:
    """Semester 1 is September–December, semester 2 January–August."""
    return 1 if day.month >= 9 else 2


CONTRACT_SQL = Path(__file__).with_name("contract.sql")


def install_sql_macros(con: duckdb.DuckDBPyConnection) -> None:
    """school_year_of(d), semester_of(d), school_year_of_month('YYYY-MM') on this connection: the
    rule above, for SQL (temp macros: nothing is stored in the warehouse)."""
    con.execute(CONTRACT_SQL.read_text(encoding="utf-8"))
