"""Parsers for one cell value of the columns written in words and codes (grades, classes,
subjects, personal codes...).

These columns have few distinct values even in a national file, so each distinct value is
parsed once here and the result joined back to the rows (see normalise.py): the rules stay
readable Python without a Python loop per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.contract import (
    ABSENCE_REASON_LOOKUP,
    ACTIVITY_TYPE_LOOKUP,
    ASSESSMENT_LOOKUP,
    COST_CATEGORY_LOOKUP,
    LEARNING_LEVELS,
    MODE_LOOKUP,
    NO_GRADE,
    OTHER_PROJECT,
    PASS_FAIL,
    PROJECT_LOOKUP,
    RISK_FACTOR_LOOKUP,
    RISK_FACTOR_SEPARATORS,
    ROLE_LOOKUP,
    SUBJECT_LOOKUP,
    SUPPORT_TYPE_LOOKUP,
    normalise_project,
    normalise_text,
)
from pipelines.personal_code import MASK, compact_personal_code, looks_like_code
from pipelines.pseudonym import pseudonym


@dataclass(frozen=True)
class Grade:
    """A mark, typed. error is set (and the rest None) when the notation is unknown."""

    kind: str | None = None  # score | level | no_grade | pass_fail | percent
    score: int | None = None
    level: str | None = None
    passed: bool | None = None
    percent: float | None = None
    error: str | None = None

    @property
    def key(self) -> str | None:
        """The normalised mark for row_key: `8`, `8.0` and ` 8 ` are one mark."""
        if self.kind is None:
            return None
        value = {"score": self.score, "level": self.level, "passed": self.passed, "percent": self.percent}
        shown = next((v for v in value.values() if v is not None), "")
        return f"{self.kind}:{shown}"


_SCORE = re.compile(r"\d{1,3}(?:[.,]0+)?")
_PERCENT = re.compile(r"(\d{1,3}(?:[.,]\d+)?)\s*%")
_PASS_WORDS = {"ieskaitits": True, "neieskaitits": False}


def parse_grade(raw: str) -> Grade:
    """1–10 (range is checked later, in validation), S/T/A/P, nv, i/ni, or a percentage."""
    text = raw.strip()
    low = text.lower()
    if _SCORE.fullmatch(text):
        return Grade("score", score=int(re.split(r"[.,]", text)[0]))
    if text.upper() in LEARNING_LEVELS:
        return Grade("level", level=text.upper())
    if low in (NO_GRADE, "n/v", "n.v."):
        return Grade("no_grade")
    if low in PASS_FAIL:
        return Grade("pass_fail", passed=PASS_FAIL[low])
    if normalise_text(text) in _PASS_WORDS:
        return Grade("pass_fail", passed=_PASS_WORDS[normalise_text(text)])
    if match := _PERCENT.fullmatch(text):
        return Grade("percent", percent=float(match.group(1).replace(",", ".")))
    return Grade(error="unknown_grade_notation")


_CLASS = re.compile(r"(\d{1,2})\s*\.?\s*([^\W\d_]{0,2})", re.UNICODE)
# A vocational course year: `2. kurss`, `2.kurss`, `2. kursa`, `2.k`, `2 k.`, `K2`, `K-2`, `k.2`,
# `2. kurss B` / `K2b` (a group letter). `k` is always `kurss` here, never a class letter: a
# general school's class is a grade and a letter other than k/K is read as one (`2.b`).
_COURSE = re.compile(
    r"(?:(\d{1,2})\s*\.?\s*k(?:urs[sa]?|\.)?|k\s*[.\-]?\s*(\d{1,2}))\s*[.\-]?\s*([^\W\d_])?\.?",
    re.UNICODE | re.IGNORECASE,
)


def parse_class(raw: str) -> tuple[int | None, str | None, int | None]:
    """(grade level, class letter, course year): `7.b`, `7b`, `7. B`, `12.a` -> (7, 'b', None);
    a vocational `2. kurss`, `K2`, `2.k` -> (None, None, 2); (None, None, None) when it is neither.

    Course years are kept apart from grades (a first-year vocational pupil is not in grade 1)."""
    text = raw.strip()
    course = _COURSE.fullmatch(text)
    if course:
        year = course.group(1) or course.group(2)
        return None, (course.group(3).lower() if course.group(3) else None), int(year)
    match = _CLASS.fullmatch(text)
    if not match:
        return None, None, None
    return int(match.group(1)), (match.group(2).lower() or None), None


_YEAR = re.compile(r"(\d{4})\.?\s*[/\-–]\s*(\d{4}|\d{2})\.?")


def parse_school_year(raw: str) -> str | None:
    """`2024/2025`, `2024./2025.`, `2024-2025`, `2024/25` -> '2024/2025'."""
    match = _YEAR.fullmatch(raw.strip())
    if not match:
        return None
    start, end = match.group(1), match.group(2)
    if len(end) == 2:
        end = start[:2] + end
    return f"{start}/{end}"


_GENDERS = {
    "m": "M",
    "male": "M",
    "v": "M",
    "virietis": "M",
    "f": "F",
    "female": "F",
    "s": "F",
    "sieviete": "F",
}


def parse_gender(raw: str) -> str | None:
    """M/F, also V/S (vīrietis/sieviete) and male/female, in any case."""
    return _GENDERS.get(normalise_text(raw))


def lookup_code(table: dict[str, str], raw: str) -> tuple[str | None, str]:
    """(dictionary code or None, the key used in row_key: the code, else the normalised text)."""
    norm = normalise_text(raw)
    code = table.get(norm)
    return code, code or f"~{norm}"


# Subjects as row_key knew them before the full curriculum (issue 17): a subject's part of a
# row_key is its code from this frozen list, else `~` + its normalised text, so a cumulative
# export delivered again after the vocabulary grew repeats its old keys (counted once).
ROW_KEY_SUBJECTS: dict[str, str] = {
    normalise_text(spelling): code
    for code, spellings in {
        "mathematics": ("Matemātika", "Mathematics", "math", "maths", "matematika I"),
        "latvian": ("Latviešu valoda", "Latvian", "latviešu valoda un literatūra", "latvian language"),
        "literature": ("Literatūra", "Literature"),
        "english": ("Angļu valoda", "English", "english language"),
        "physics": ("Fizika", "Physics"),
        "chemistry": ("Ķīmija", "Chemistry"),
        "biology": ("Bioloģija", "Biology"),
        "geography": ("Ģeogrāfija", "Geography"),
        "science": ("Dabaszinības", "Science", "dabaszinātnes"),
        "history": ("Vēsture", "History", "latvijas un pasaules vēsture", "latvijas vēsture", "pasaules vēsture"),
        "social_studies": ("Sociālās zinības", "Social studies", "sociālās zinības un vēsture"),
        "computing": ("Datorika", "Computing", "informātika", "programmēšana"),
    }.items()
    for spelling in (code, *spellings)
}


def subject_row_key(raw: str) -> str:
    """A subject's part of row_key (see ROW_KEY_SUBJECTS)."""
    norm = normalise_text(raw)
    return ROW_KEY_SUBJECTS.get(norm) or f"~{norm}"


DICTIONARIES: dict[str, dict[str, str]] = {
    "subject": SUBJECT_LOOKUP,
    "staff_role": ROLE_LOOKUP,
    "mode": MODE_LOOKUP,
    "assessment_type": ASSESSMENT_LOOKUP,
    "reason": ABSENCE_REASON_LOOKUP,
    "activity_type": ACTIVITY_TYPE_LOOKUP,
    "support_type": SUPPORT_TYPE_LOOKUP,
    "cost_category": COST_CATEGORY_LOOKUP,
}


def pupil_pseudonym(key: bytes, raw: str | None) -> tuple[str | None, str | None]:
    """(pseudonym, None) for a valid personal code, else (None, reason code)."""
    digits, reason = compact_personal_code(raw)
    if digits is None:
        return None, "missing_required" if reason == "missing_personal_code" else reason
    return pseudonym(key, digits, "pupil"), None


class PupilIds:
    """pupil_pseudonym remembered for one run.

    Why: a pupil appears in every monthly file of a run, and checking the same code again with
    python-stdnum for each batch of files cost ~9 % of a national month's ingest. The codes stay
    in this process's memory for the run only (~50 MB for a national year), as they already are
    in the files' cells.
    """

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._seen: dict[str, tuple[str | None, str | None]] = {}

    def __call__(self, raw: str | None) -> tuple[str | None, str | None]:
        if raw is None:
            return pupil_pseudonym(self.key, raw)
        found = self._seen.get(raw)
        if found is None:
            found = self._seen[raw] = pupil_pseudonym(self.key, raw)
        return found


def staff_pseudonym(key: bytes, school_id: str | None, name: str | None) -> str | None:
    """The same person in the same school gets one id however the name is capitalised."""
    if not school_id or not name or not normalise_text(name):
        return None
    return pseudonym(key, f"{school_id}:{normalise_text(name)}", "staff")


PROJECT_TEXT_HASH_DIGITS = 8


def project_code(key: bytes, raw: str | None) -> tuple[str | None, str | None]:
    """(project code, None) for a known spelling; (`other`, short keyed hash of the text) otherwise.

    The whole cell must be a known spelling: `PuMPuRS Jānis Ozols 010110-12345` is `other`, since
    the text may carry a name or a code. The hash lets a school be told which of its values was not
    recognised without keeping it; it is keyed, because a plain hash of a short text holding a
    personal code could be reversed by trying every code."""
    if raw is None:
        return None, None
    norm = normalise_project(raw)
    if not norm:
        return None, None
    code = PROJECT_LOOKUP.get(norm)
    if code is not None:
        return code, None
    return OTHER_PROJECT, pseudonym(key, norm, "project")[:PROJECT_TEXT_HASH_DIGITS]


def risk_factor_codes(raw: str | None) -> str | None:
    """`Kavējumi; ģimenes situācija` -> `absences;family`: the recognised codes, sorted, `;`-joined.
    An item that is no known spelling counts as `other`; the text is dropped."""
    if raw is None:
        return None
    items = [normalise_text(item) for item in re.split(RISK_FACTOR_SEPARATORS, raw)]
    codes = {RISK_FACTOR_LOOKUP.get(item, "other") for item in items if item}
    return ";".join(sorted(codes)) or None


# A school id as written in every file (`Iestādes kods`): the registry's code, digits (`2712900123`),
# or a short code of ASCII letters, digits, `-`, `_`, `.` (`S1`, `ABC`), up to 32 characters.
SCHOOL_ID_SHAPE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
# two words of three letters or more (`Zigfrids_Kalnins`, `Anna.Ozola`): a name, not a code
_NAME_LIKE = re.compile(r"[A-Za-z]{3,}[^A-Za-z]+[A-Za-z]{3,}")
UNSAFE_SCHOOL_ID = MASK  # what an unsafe school id is stored as


def school_id_check(raw: str | None) -> tuple[str | None, str | None]:
    """(the id as stored, reason code or None). An id shaped like a personal code, holding a name
    known to the run (already `***` from paths.PathScrubber.scrub_cells) or not shaped like a school
    code is stored as `***` and its row quarantined: schools sometimes type a pupil's code or name
    into the wrong column, and a school id is stored, shown and used as a feedback file name."""
    if raw is None:
        return None, None
    if looks_like_code(raw) or MASK in raw:
        return UNSAFE_SCHOOL_ID, "school_id_personal_data"
    if not SCHOOL_ID_SHAPE.fullmatch(raw) or _NAME_LIKE.search(raw):
        return UNSAFE_SCHOOL_ID, "school_id_not_code"
    return raw, None


def safe_school_id(raw: str | None) -> str | None:
    """A school id fit to store (school_id_check's first part)."""
    return school_id_check(raw)[0]
