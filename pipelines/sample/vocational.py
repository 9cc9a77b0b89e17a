"""A vocational school for the sample files: course years instead of grades, and the full curriculum.

Written from its own random stream (seed, 17), after the simulated world, so the general schools'
files, frames and every figure drawn from them stay exactly as they were. It is in the files only,
not in the clean frames (`Simulation`): it has no planted effect to recover. Its roster writes the
course years in the spellings schools use (`1. kurss`, `K2`, `3.k`, ...), its marks cover every
subject of contract.SUBJECTS (some as secondary courses, `Matemātika II`), and a few of its pupils
get PuMPuRS consultations and plans.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.contract import SUBJECTS
from pipelines.personal_code import make_old_code
from pipelines.sample import world

NAME = "Rēzeknes Tehnikums"
TYPE_WORD = "profesionālā"
PUPILS = 48
COURSE_SPELLINGS = ("{n}. kurss", "K{n}", "{n}.k", "{n}.kurss", "K-{n}", "{n}. kurss")
SUPPORTED = 8
STREAM = 17


def vocational_school(schools: pl.DataFrame, seed: int) -> dict[str, str]:
    """The school's registry row: an id unlike the simulated schools', in the first municipality."""
    rng = np.random.default_rng([seed, STREAM])
    municipality = schools["municipality"][0]
    prefix = world.MUNICIPALITIES[municipality][0]
    taken = set(schools["school_id"].to_list())
    school_id = next(
        sid for sid in (f"{prefix}139{d:05d}" for d in rng.integers(10_000, 100_000, 50)) if sid not in taken
    )
    return {"school_id": school_id, "school_name": NAME, "municipality": municipality}


def vocational_files(
    school: dict[str, str], taken_codes: set[str], seed: int, folder: str
) -> tuple[dict[str, bytes], dict[str, int]]:
    """Roster, marks, plans and consultations of the vocational school (UTF-8, `;`, Latvian headers)."""
    rng = np.random.default_rng([seed, STREAM, 1])
    sid = school["school_id"]
    pupils = []
    for i in range(PUPILS):
        course = i % 4 + 1
        born = date(2009 - course, 1, 1) + timedelta(days=int(rng.integers(0, 365)))
        code = make_old_code(born.day, born.month, born.year, int(rng.integers(0, 1000)))
        while code in taken_codes:
            code = make_old_code(born.day, born.month, born.year, int(rng.integers(0, 1000)))
        taken_codes.add(code)
        female = bool(rng.random() < 0.4)
        first = (world.FEMALE_FIRST if female else world.MALE_FIRST)[int(rng.integers(0, 30))]
        last = world.SURNAMES[int(rng.integers(0, len(world.SURNAMES)))][1 if female else 0]
        spelling = COURSE_SPELLINGS[i % len(COURSE_SPELLINGS)].format(n=course)
        pupils.append((code, first, last, spelling, "S" if female else "M"))
    roster = ["Personas kods;Vārds;Uzvārds;Iestādes kods;Klase;Dzimums;Mācību gads"]
    roster += [f"{c};{f};{la};{sid};{k};{g};2024/2025" for c, f, la, k, g in pupils]

    subjects = [lv for lv, _en, _more in SUBJECTS.values()]
    subjects += ["Matemātika II", "Angļu val.", "Fizika I"]  # secondary course levels, an abbreviation
    grades = ["Datums;Personas kods;Iestādes kods;Mācību priekšmets;Vērtējums;Vērtējuma veids"]
    # school days of September–May (no month empty: a school month far below its usual would be flagged)
    days = [date(2024, 9, 2) + timedelta(days=d) for d in range(271)]
    days = [day for day in days if day.weekday() < 5 and day.month not in (6, 7, 8)]
    for i, (code, *_rest) in enumerate(pupils):
        # every subject is someone's: pupil i takes four subjects from the list, in turn
        for k in range(4):
            subject = subjects[(4 * i + k) % len(subjects)]
            for day in sorted(rng.choice(len(days), size=6, replace=False)):
                mark = int(np.clip(round(rng.normal(6.3, 1.6)), 1, 10))
                kind = "Summatīvais" if rng.random() < 0.3 else "Formatīvais"
                grades.append(f"{days[day]:%d.%m.%Y};{code};{sid};{subject};{mark};{kind}")

    plans = ["Personas kods;Iestādes kods;Sākuma datums;Beigu datums;Projekts;Riska faktori"]
    consultations = [
        "Datums;Personas kods;Iestādes kods;Pedagogs;Amats;Mācību priekšmets;Ilgums (min);Forma;Grupas lielums;Projekts"
    ]
    staff = "Inese Kalniņa"
    for code, *_rest in pupils[:SUPPORTED]:
        plans.append(f"{code};{sid};03.02.2025;31.05.2025;8.3.4.0/16/I/001;mācību grūtības, kavējumi")
        for week in range(4):
            day = date(2025, 2, 10) + timedelta(weeks=week)
            consultations.append(
                f"{day:%d.%m.%Y};{code};{sid};{staff};Pedagogs;Matemātika;40;Klātienē;1;8.3.4.0/16/I/001"
            )
    files = {
        f"{folder}/skoleni_2024-2025.csv": roster,
        f"{folder}/vertejumi_2024-2025.csv": grades,
        f"{folder}/iap_2024-2025.csv": plans,
        f"{folder}/konsultacijas_2024-2025.csv": consultations,
    }
    rows = {"pupils": len(roster) - 1, "grades": len(grades) - 1, "plans": len(plans) - 1}
    rows["consultations"] = len(consultations) - 1
    return {path: ("\n".join(lines) + "\n").encode("utf-8") for path, lines in files.items()}, rows
