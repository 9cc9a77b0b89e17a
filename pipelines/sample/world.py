"""The fixed vocabulary of the sample world: places, school names, people's names, the school calendar.

Kept apart from the model so that `simulate.py` reads as the data-generating process only.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

# municipality -> (registration-number prefix, folder slug, school names)
MUNICIPALITIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "Rēzeknes valstspilsēta": (
        "27",
        "rezeknes-valstspilseta",
        ("Rēzeknes 5. vidusskola", "Rēzeknes Valsts 1. ģimnāzija", "Rēzeknes 2. vidusskola", "Rēzeknes 6. vidusskola"),
    ),
    "Balvu novads": (
        "38",
        "balvu-novads",
        ("Balvu pamatskola", "Balvu Valsts ģimnāzija", "Viļakas Valsts ģimnāzija", "Tilžas vidusskola"),
    ),
    "Madonas novads": (
        "70",
        "madonas-novads",
        ("Madonas Valsts ģimnāzija", "Madonas pilsētas 1. vidusskola", "Ērgļu vidusskola", "Lubānas vidusskola"),
    ),
    "Ludzas novads": (
        "68",
        "ludzas-novads",
        ("Ludzas 2. vidusskola", "Zilupes vidusskola", "Kārsavas vidusskola", "Ludzas pilsētas ģimnāzija"),
    ),
    "Daugavpils valstspilsēta": (
        "27",
        "daugavpils-valstspilseta",
        (
            "Daugavpils 9. vidusskola",
            "Daugavpils Valsts ģimnāzija",
            "Daugavpils 12. vidusskola",
            "Daugavpils 3. vidusskola",
        ),
    ),
}

MALE_FIRST = (
    "Jānis", "Kārlis", "Artūrs", "Roberts", "Dāvis", "Ēriks", "Mārtiņš", "Markuss", "Gustavs", "Rihards",
    "Edgars", "Oskars", "Ričards", "Emīls", "Aleksandrs", "Daniels", "Niks", "Raivis", "Kristers", "Ingus",
    "Andris", "Uldis", "Māris", "Valdis", "Juris", "Gatis", "Aivars", "Ģirts", "Reinis", "Toms",
)  # fmt: skip
FEMALE_FIRST = (
    "Līga", "Elīza", "Anna", "Marta", "Sofija", "Emīlija", "Alise", "Paula", "Katrīna", "Dārta",
    "Ieva", "Laura", "Estere", "Annija", "Kristiāna", "Megija", "Viktorija", "Agnese", "Rūta", "Evelīna",
    "Inese", "Ilze", "Dace", "Sandra", "Baiba", "Gunta", "Solvita", "Zane", "Līva", "Ērika",
)  # fmt: skip
# (masculine, feminine) surname forms
SURNAMES = (
    ("Bērziņš", "Bērziņa"), ("Kalniņš", "Kalniņa"), ("Ozoliņš", "Ozoliņa"), ("Liepiņš", "Liepiņa"),
    ("Jansons", "Jansone"), ("Krūmiņš", "Krūmiņa"), ("Zariņš", "Zariņa"), ("Balodis", "Balode"),
    ("Eglītis", "Eglīte"), ("Vītols", "Vītola"), ("Kļaviņš", "Kļaviņa"), ("Pētersons", "Pētersone"),
    ("Ozols", "Ozola"), ("Siliņš", "Siliņa"), ("Lācis", "Lāce"), ("Rudzītis", "Rudzīte"),
    ("Vanags", "Vanaga"), ("Strazds", "Strazda"), ("Kalējs", "Kalēja"), ("Āboliņš", "Āboliņa"),
    ("Grīnbergs", "Grīnberga"), ("Šmits", "Šmite"), ("Ivanovs", "Ivanova"), ("Petrovs", "Petrova"),
    ("Kozlovskis", "Kozlovska"), ("Logins", "Logina"), ("Vilcāns", "Vilcāne"), ("Laizāns", "Laizāne"),
    ("Žukovs", "Žukova"), ("Čaklais", "Čaklā"), ("Gailītis", "Gailīte"), ("Ķiploks", "Ķiploka"),
)  # fmt: skip

# Canonical subject codes (contract.SUBJECTS) taught at each grade level, 10-point scale from grade 4.
SUBJECTS_EARLY = ("mathematics", "latvian", "english", "science")  # grades 1–3, levels S/T/A/P
SUBJECTS_4_6 = ("mathematics", "latvian", "literature", "english", "science")
SUBJECTS_7 = ("mathematics", "latvian", "literature", "english", "biology", "geography", "history")
SUBJECTS_8_12 = (*SUBJECTS_7, "physics", "chemistry")
PASS_FAIL_SUBJECT = "computing"  # "ieskaite" (i/ni) once a semester in grades 7–9
PASS_FAIL_LEVELS = (7, 8, 9)
ELIGIBLE = ("mathematics", "latvian", "physics", "chemistry", "biology", "geography", "english")

SUBJECT_CODES: tuple[str, ...] = (
    "mathematics", "latvian", "literature", "english", "science",
    "biology", "geography", "history", "physics", "chemistry", "computing",
)  # fmt: skip


def subjects_for_level(level: int) -> tuple[str, ...]:
    if level <= 3:
        return SUBJECTS_EARLY
    if level <= 6:
        return SUBJECTS_4_6
    if level == 7:
        return SUBJECTS_7
    return SUBJECTS_8_12


LEAVING_REASONS = ("pārtrauca mācības", "pārcēlās uz citu skolu", "izbrauca uz ārzemēm")
LEAVING_REASON_P = (0.5, 0.35, 0.15)
# Risk factors as schools type them (a `;` or `,` list): every code of contract.RISK_FACTORS
# appears, and one item no vocabulary knows (kept as `other`).
RISK_FACTORS = (
    "zemas sekmes",
    "mācību grūtības; kavējumi",
    "kavējumi, ģimenes situācija",
    "uzvedība; psihoemocionālās grūtības; materiālās grūtības",
    "veselība; motivācijas trūkums",
)
PROJECT_CODES = ("8.3.4.0/16/I/001", "8.3.2.2/16/I/001", "4.2.3.1/1/24/I/001")
# How one school system writes the project instead of the number (others write the number).
PROJECT_SPELLINGS = {
    "utf8_bom_en": {"8.3.4.0/16/I/001": "8.3.4.0/16/i/001"},
    "tab_plain": {
        "8.3.4.0/16/I/001": "PuMPuRS",
        "8.3.2.2/16/I/001": "Atbalsts izglitojamo individualo kompetencu attistibai",
        "4.2.3.1/1/24/I/001": "Skola-kopiena",
    },
    "xlsx": {"4.2.3.1/1/24/I/001": "Skola – kopienā"},
}
PROJECT_P = (0.75, 0.15, 0.10)

SCHOOL_YEARS = ("2024/2025", "2025/2026")

# The data-generating processes `simulate(world_name=...)` knows (docs/sample-data.md, "Worlds").
WORLDS = (
    "baseline",  # the world the estimator is built for: selection on the previous semester only
    "school_effects",  # school intercepts (SD 0.3) and an effect that varies by school
    "heterogeneous",  # a larger effect for weaker pupils
    "term_trend",  # marks rise within each term
    "dip",  # selection also on a dip in the start term, unseen by a match on the previous semester
)


def _days(start: date, end: date, breaks: tuple[tuple[date, date], ...], holidays: tuple[date, ...]) -> np.ndarray:
    out: list[date] = []
    day = start
    while day <= end:
        closed = day.weekday() >= 5 or day in holidays or any(a <= day <= b for a, b in breaks)
        if not closed:
            out.append(day)
        day += timedelta(days=1)
    return np.array(out, dtype="datetime64[D]")


def semester_calendar() -> list[dict]:
    """The four semesters simulated: school days (breaks and public holidays off) and key dates."""
    d = date
    specs = [
        ("2024/2025", 1, d(2024, 9, 2), d(2024, 12, 20), ((d(2024, 10, 28), d(2024, 11, 1)),), (d(2024, 11, 18),)),
        (
            "2024/2025",
            2,
            d(2025, 1, 6),
            d(2025, 5, 30),
            ((d(2025, 3, 17), d(2025, 3, 21)),),
            (d(2025, 5, 1), d(2025, 5, 5)),
        ),
        ("2025/2026", 1, d(2025, 9, 1), d(2025, 12, 19), ((d(2025, 10, 27), d(2025, 10, 31)),), (d(2025, 11, 18),)),
        (
            "2025/2026",
            2,
            d(2026, 1, 5),
            d(2026, 5, 29),
            ((d(2026, 3, 16), d(2026, 3, 20)),),
            (d(2026, 5, 1), d(2026, 5, 4)),
        ),
    ]
    out = []
    for year, semester, start, end, breaks, holidays in specs:
        days = _days(start, end, breaks, holidays)
        out.append(
            {
                "school_year": year,
                "year_index": SCHOOL_YEARS.index(year),
                "semester": semester,
                "start": np.datetime64(start, "D"),
                "end": np.datetime64(end, "D"),
                "school_days": days,
                "year_end": np.datetime64(d(int(year[5:]), 8, 31), "D"),
            }
        )
    return out
