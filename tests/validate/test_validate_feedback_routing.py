"""A row naming another school's id (a typo, or a pupil's former school) in a file that school A
delivered: its problems (with A's free text) go to A's feedback, which also says the row names
another school's id; the named school B's feedback gets nothing from A's file (probe4 F6).
A file whose deliverer is unknown (path and folder name no school, its rows several) keeps the
old rule: each row's problems go to the school the row names."""

from __future__ import annotations

import csv

from validate_fixtures import REFERENCE_DATE

from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.validate.stage import run_validate

KEY = b"test-key-for-feedback-routing-0123456789"
A = "7013971576"
B = "3813966257"
PUPIL = make_old_code(14, 3, 2011, 123)
OTHER_PUPIL = make_old_code(2, 5, 2011, 456)
SENSITIVE = "Psihologa saruna par vardarbību ģimenē"
CONSULT = "Datums;Personas kods;Iestādes kods;Pedagogs;Ilgums;Mācību priekšmets;Forma;Projekts"


def read_feedback(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_a_row_naming_another_school_is_fed_back_to_the_school_that_delivered_the_file(
    con, settings, runner, tmp_path
) -> None:
    assert REFERENCE_DATE.year == 2025
    raw = tmp_path / "raw"
    a_dir, b_dir = raw / "madonas-novads" / A, raw / "balvu-novads" / B
    a_dir.mkdir(parents=True)
    b_dir.mkdir(parents=True)
    (raw / "skolas.csv").write_text(
        f"Iestādes kods;Nosaukums;Pašvaldība\n{A};Skola A;Madonas novads\n{B};Skola B;Balvu novads\n",
        encoding="utf-8",
    )
    roster = "Personas kods;Vārds;Uzvārds;Iestādes kods;Klase;Mācību gads\n"
    (a_dir / "skoleni.csv").write_text(f"{roster}{PUPIL};Anna;Ozola;{A};7.a;2024/2025\n", encoding="utf-8")
    (b_dir / "skoleni.csv").write_text(f"{roster}{OTHER_PUPIL};Rita;Kalna;{B};7.a;2024/2025\n", encoding="utf-8")
    (a_dir / "konsultacijas.csv").write_text(
        f"{CONSULT}\n"
        f"22.01.2025;{PUPIL};{B};Dārta Žukova;40;{SENSITIVE};klātiene;PuMPuRS\n"  # line 2: B's id
        f"31.01.2025;{PUPIL};{B};Dārta Žukova;40;{SENSITIVE};klātiene;PuMPuRS\n"  # line 3: B's id
        f"23.01.2025;{PUPIL};{A};Dārta Žukova;40;Matemātika;klātiene;PuMPuRS\n",  # line 4: A's own row
        encoding="utf-8",
    )
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    to_b = read_feedback(settings.feedback_dir / f"{B}.csv")
    assert to_b == [], "school B must get nothing from a file school A delivered"
    text_b = (settings.feedback_dir / f"{B}.csv").read_text(encoding="utf-8-sig")
    assert "vardarbību" not in text_b and "konsultacijas" not in text_b

    to_a = [r for r in read_feedback(settings.feedback_dir / f"{A}.csv") if r["file"].endswith("konsultacijas.csv")]
    by_code = {r["reason_code"]: r for r in to_a}
    assert by_code["unknown_subject"]["line"] == "2"
    assert SENSITIVE in by_code["unknown_subject"]["value"]
    other = by_code["school_id_other_school"]
    assert (other["line"], other["column"], other["severity"]) == ("2", "school_id", "warning")
    assert other["value"] == f"{B} (2 rindas / rows)"
    assert B in other["message_en"] and "another school" in other["message_en"]
    assert A in other["message_en"]
    # checks made against school B's roster and plans are no oracle on B's records for school A
    named_b = {(r["line"], r["reason_code"]) for r in to_a if r["line"] in ("2", "3")}
    assert not {code for _, code in named_b} & {"pupil_not_on_roster", "consultation_outside_plan"}
    # A's own row is judged as before
    assert ("4", "consultation_outside_plan") in {(r["line"], r["reason_code"]) for r in to_a}


def test_a_file_of_unknown_deliverer_keeps_routing_rows_to_the_school_they_name(
    con, settings, runner, tmp_path
) -> None:
    """A municipality's file with several schools' rows, in a folder naming no school: no single
    deliverer, so each row's problems go to the school it names and nobody is told of 'another
    school'."""
    raw = tmp_path / "raw"
    (raw / "novads").mkdir(parents=True)
    (raw / "skolas.csv").write_text(
        f"Iestādes kods;Nosaukums;Pašvaldība\n{A};Skola A;Madonas novads\n{B};Skola B;Balvu novads\n",
        encoding="utf-8",
    )
    (raw / "novads" / "konsultacijas.csv").write_text(
        f"{CONSULT}\n"
        f"22.01.2025;{PUPIL};{B};Dārta Žukova;40;Robotika;klātiene;PuMPuRS\n"
        f"23.01.2025;{OTHER_PUPIL};{A};Dārta Žukova;40;Šahs;klātiene;PuMPuRS\n",
        encoding="utf-8",
    )
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    to_a = read_feedback(settings.feedback_dir / f"{A}.csv")
    to_b = read_feedback(settings.feedback_dir / f"{B}.csv")
    assert {r["line"] for r in to_a} == {"3"}
    assert {r["line"] for r in to_b} == {"2"}
    assert not [r for r in to_a + to_b if r["reason_code"] == "school_id_other_school"]
