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

KINDS: tuple[str, ...] = (
    "schools", "pupils", "plans", "consultations", "grades", "attendance_lessons", "attendance_periods",
)  # fmt: skip
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
    "schools": frozenset({"school_name", "municipality"}),
    "pupils": frozenset({"class", "school_year", "first_name", "last_name", "gender", "left_on", "leaving_reason"}),
    "plans": frozenset({"plan_start", "plan_end", "risk_factors"}),
    "consultations": frozenset({"minutes", "mode", "staff_name", "staff_role", "group_size"}),
    "grades": frozenset({"grade", "assessment_type"}),
    "attendance_lessons": frozenset({"lessons_missed", "reason"}),
    "attendance_periods": frozenset({"period_start", "period_end", "excused", "unexcused", "illness", "lessons_held"}),
}

# Columns holding personal data: never stored, logged or shown.
PERSONAL_COLUMNS: frozenset[str] = frozenset({"pupil_code", "first_name", "last_name", "staff_name"})
# Free text mapped to codes at ingest (PROJECTS, RISK_FACTORS); the text itself is never stored.
FREE_TEXT_COLUMNS: frozenset[str] = frozenset({"project_code", "risk_factors"})

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

# canonical code -> (Latvian name, English name, further accepted spellings)
SUBJECTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "mathematics": ("Matemātika", "Mathematics", ("math", "maths", "matematika I", "matemātika I")),
    "latvian": ("Latviešu valoda", "Latvian", ("latviešu valoda un literatūra", "latvian language")),
    "literature": ("Literatūra", "Literature", ()),
    "english": ("Angļu valoda", "English", ("english language",)),
    "physics": ("Fizika", "Physics", ()),
    "chemistry": ("Ķīmija", "Chemistry", ()),
    "biology": ("Bioloģija", "Biology", ()),
    "geography": ("Ģeogrāfija", "Geography", ()),
    "science": ("Dabaszinības", "Science", ("dabaszinātnes",)),
    "history": ("Vēsture", "History", ("latvijas un pasaules vēsture", "latvijas vēsture", "pasaules vēsture")),
    "social_studies": ("Sociālās zinības", "Social studies", ("sociālās zinības un vēsture",)),
    "computing": ("Datorika", "Computing", ("informātika", "programmēšana")),
}

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
RISK_FACTOR_LOOKUP = _lookup(RISK_FACTORS)
ABSENCE_REASON_LOOKUP = _lookup(ABSENCE_REASONS)

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
