"""Issue 17: the full curriculum and vocational schools, from the files to the warnings.

A standard subject is no warning; a subject no dictionary knows is kept (under its normalised text)
and warned once per school and distinct value with its row count; a vocational school's course
years are read from every usual spelling and kept apart from grades."""

from __future__ import annotations

from datetime import date, timedelta

from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.transform.stage import run_transform
from pipelines.validate.stage import run_validate

KEY = b"test-key-32-characters-or-longer!"
GENERAL = "2712900123"
VOCATIONAL = "2712900456"
PUPILS = [make_old_code(10 + i, 3, 2008, 100 + i) for i in range(8)]
COURSES = ["1. kurss", "2.kurss", "K3", "4.k", "2. kursa", "K-1", "3. kurss B"]  # PUPILS[0..6]


def write_files(raw) -> None:
    raw.mkdir(parents=True)
    (raw / "skolas.csv").write_text(
        "Iestādes kods;Nosaukums;Pašvaldība;Iestādes veids\n"
        f"{GENERAL};Skola A;Rēzekne;vispārējā\n{VOCATIONAL};Tehnikums;Rēzekne;Profesionālā\n",
        encoding="utf-8",
    )
    roster = ["Personas kods;Iestādes kods;Klase;Mācību gads"]
    roster += [f"{code};{VOCATIONAL};{course};2024/2025" for code, course in zip(PUPILS, COURSES, strict=False)]
    roster += [f"{PUPILS[7]};{GENERAL};10.a;2024/2025"]
    roster += [f"{make_old_code(1, 1, 2008, 999)};{VOCATIONAL};5. kurss;2024/2025"]
    (raw / "saraksts.csv").write_text("\n".join(roster) + "\n", encoding="utf-8")
    grades = ["Datums;Personas kods;Iestādes kods;Mācību priekšmets;Vērtējums"]
    day = date(2024, 10, 1)
    for i in range(300):  # one unknown value at one school, in two spellings, on 300 rows
        subject = "Robotika" if i % 2 else "ROBOTIKA"
        grades.append(f"{(day + timedelta(days=i % 40)):%d.%m.%Y};{PUPILS[i % 7]};{VOCATIONAL};{subject};7")
    grades += [
        f"01.10.2024;{PUPILS[0]};{VOCATIONAL};Sports un veselība;8",
        f"01.10.2024;{PUPILS[1]};{VOCATIONAL};Dizains un tehnoloģijas;8",
        f"01.10.2024;{PUPILS[2]};{VOCATIONAL};Matemātika II;6",
        f"01.10.2024;{PUPILS[3]};{VOCATIONAL};Angļu val.;9",
        f"02.10.2024;{PUPILS[7]};{GENERAL};Robotika;7",  # the same value at another school: its own warning
        f"02.10.2024;{PUPILS[7]};{GENERAL};Šahs;7",
    ]
    (raw / "vertejumi.csv").write_text("\n".join(grades) + "\n", encoding="utf-8")
    (raw / "konsultacijas.csv").write_text(
        "Datums;Personas kods;Iestādes kods;Mācību priekšmets;Ilgums\n"
        f"03.10.2024;{PUPILS[0]};{VOCATIONAL};robotika;40\n"
        f"03.10.2024;{PUPILS[1]};{VOCATIONAL};Teātra māksla;40\n",
        encoding="utf-8",
    )


def test_curriculum_and_vocational_classes_from_files_to_warnings(con, settings, runner, tmp_path) -> None:
    write_files(tmp_path / "raw")
    run_ingest(con, tmp_path / "raw", KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    flags = con.execute(
        """select school_id, kind, source_line, value, row_count from validation.flags
           where reason_code = 'unknown_subject' order by school_id, value"""
    ).fetchall()
    # one warning per school and distinct value, on its first row (consultations first), with the count
    assert flags == [
        (GENERAL, "grades", 306, "Robotika (1 rindas / rows)", 1),
        (GENERAL, "grades", 307, "Šahs (1 rindas / rows)", 1),
        (VOCATIONAL, "consultations", 2, "robotika (301 rindas / rows)", 301),
    ]
    # standard subjects are no warning: only the unknown ones are flagged
    assert con.execute("select count(*) from validation.flags where reason_code = 'unknown_subject'").fetchone()[0] == 3
    known = "select subject_raw, subject from staging.grades where source_line in (302, 303, 304, 305)"
    subjects = dict(con.execute(known).fetchall())
    assert subjects == {
        "Sports un veselība": "sport_health",
        "Dizains un tehnoloģijas": "design_technology",
        "Matemātika II": "mathematics",
        "Angļu val.": "english",
    }

    # the unknown subject is kept, under its normalised text, through transform
    run_transform(con)
    kept = con.execute(
        "select subject, count(*) from core.grades where subject like '~%' group by all order by all"
    ).fetchall()
    assert kept == [("~robotika", 301), ("~sahs", 1)]
    assert con.execute("select subject from core.consultations order by subject").fetchall() == [
        ("theatre_art",),
        ("~robotika",),
    ]

    # vocational: the school type, and course years kept apart from grades
    types = dict(con.execute("select school_id, school_type from core.schools").fetchall())
    assert types == {GENERAL: "general", VOCATIONAL: "vocational"}
    roster = con.execute(
        "select class_raw, grade_level, course_year, class_letter from staging.pupils order by source_line"
    ).fetchall()
    assert roster[:7] == [
        ("1. kurss", None, 1, None),
        ("2.kurss", None, 2, None),
        ("K3", None, 3, None),
        ("4.k", None, 4, None),
        ("2. kursa", None, 2, None),
        ("K-1", None, 1, None),
        ("3. kurss B", None, 3, "b"),
    ]
    assert roster[7] == ("10.a", 10, None, "a")
    # course 5 is no PuMPuRS course: quarantined with what to fix
    bad = con.execute(
        "select value, reason_code from quarantine.rows where stage = 'validate' and kind = 'pupils'"
    ).fetchall()
    assert bad == [("5. kurss", "invalid_course_year")]


def test_unknown_subjects_of_attendance_and_activities_are_kept_and_warned_once_per_school_and_value(
    con, settings, runner, tmp_path
) -> None:
    """Lesson records and activities keep an unknown subject under its normalised text (a code-shaped
    one as `~***`) and are warned once per school and value with the row count, as grades are."""
    raw = tmp_path / "raw"
    write_files(raw)
    lessons = ["Datums;Personas kods;Iestādes kods;Kavētās stundas;Iemesls;Mācību priekšmets"]
    lessons += [f"{day:02d}.10.2024;{PUPILS[0]};{VOCATIONAL};1;neattaisnots;Šahs" for day in (7, 8, 9)]
    lessons += [f"10.10.2024;{PUPILS[0]};{VOCATIONAL};1;neattaisnots;Sports un veselība"]
    lessons += [f"11.10.2024;{PUPILS[0]};{VOCATIONAL};1;neattaisnots;Robotika {make_old_code(1, 2, 2009, 345)}"]
    (raw / "kavejumi.csv").write_text("\n".join(lessons) + "\n", encoding="utf-8")
    activities = [
        "Datums;Iestādes kods;Pasākuma ID;Pasākuma veids;Mācību priekšmets;Ilgums (min);Projekts;Personas kods"
    ]
    activities += [f"14.10.2024;{GENERAL};A1;interešu izglītība;Astronomija;90;8.3.4.0/16/I/001;{PUPILS[7]}"]
    activities += [f"15.10.2024;{GENERAL};A2;interešu izglītība;ASTRONOMIJA;90;8.3.4.0/16/I/001;{PUPILS[7]}"]
    activities += [f"16.10.2024;{GENERAL};A3;grupu nodarbība;Fizika;45;8.3.4.0/16/I/001;{PUPILS[7]}"]
    (raw / "pasakumi.csv").write_text("\n".join(activities) + "\n", encoding="utf-8")
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    flags = con.execute(
        """select kind, source_file, source_line, value, row_count from validation.flags
           where reason_code = 'unknown_subject' and kind in ('activities', 'attendance_lessons')
           order by kind, source_line"""
    ).fetchall()
    assert flags == [
        ("activities", "pasakumi.csv", 2, "Astronomija (2 rindas / rows)", 2),
        ("attendance_lessons", "kavejumi.csv", 2, "Šahs (3 rindas / rows)", 3),
        ("attendance_lessons", "kavejumi.csv", 6, "*** (1 rindas / rows)", 1),
    ]
    kept = con.execute("select subject, subject_raw from staging.attendance order by source_line").fetchall()
    assert kept == [("~sahs", "Šahs")] * 3 + [("sport_health", "Sports un veselība"), ("~***", "***")]
    run_transform(con)
    core = con.execute("select subject, count(*) from core.attendance group by all order by all").fetchall()
    assert core == [("sport_health", 1), ("~***", 1), ("~sahs", 3)]


def test_an_unrecognised_school_type_is_one_warning_naming_the_file_line_and_the_accepted_values(
    con, settings, runner, tmp_path
) -> None:
    """`Iestādes veids` outside contract.SCHOOL_TYPES is stored empty, and said so in the school's
    feedback; obvious spellings (case, diacritics, `… izglītības iestāde`) are read."""
    raw = tmp_path / "raw"
    raw.mkdir()
    schools = [
        "Iestādes kods;Nosaukums;Pašvaldība;Iestādes veids",
        f"{GENERAL};Skola A;Rēzekne;VISPARĒJĀ",
        f"{VOCATIONAL};Tehnikums;Rēzekne;profesionālā izglītības iestāde",
        "2712900789;Arodskola;Rēzekne;arodskola",
        "2712900790;Skola C;Rēzekne;",
    ]
    (raw / "skolas.csv").write_text("\n".join(schools) + "\n", encoding="utf-8")
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    types = dict(con.execute("select school_id, school_type from staging.schools").fetchall())
    assert types == {GENERAL: "general", VOCATIONAL: "vocational", "2712900789": None, "2712900790": None}
    flags = con.execute(
        "select school_id, source_file, source_line, value from validation.flags "
        "where reason_code = 'unknown_school_type'"
    ).fetchall()
    assert flags == [("2712900789", "skolas.csv", 4, "arodskola")]
    feedback = (settings.out_dir / "feedback" / "2712900789.csv").read_text(encoding="utf-8-sig").splitlines()
    line = next(row for row in feedback if "unknown_school_type" in row)
    assert line.startswith("skolas.csv;4;school_type;arodskola;warning;")
    assert "vispārējā" in line and "profesionālā" in line
