"""Files not loaded reach the school's feedback file (issue 13, item 6): a rejected file or sheet
(error) and a skipped one (warning), with the reason in both languages, addressed to the school its
rows name, the school id in its path, or the one school of its folder."""

from __future__ import annotations

import csv

from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_old_code
from pipelines.validate.stage import run_validate

KEY = b"test-key-32-characters-or-longer!"
ANNA = make_old_code(15, 3, 2012, 123)
SCHOOL = "2712900123"
OTHER = "2712900456"


def read_feedback(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def test_rejected_and_skipped_files_are_in_the_schools_feedback(con, settings, runner, tmp_path) -> None:
    raw = tmp_path / "raw"
    (raw / "riga").mkdir(parents=True)
    (raw / "skolas.csv").write_text(
        f"Iestādes kods;Nosaukums;Pašvaldība\n{SCHOOL};Skola A;Rīga\n{OTHER};Skola B;Rīga\n", encoding="utf-8"
    )
    grades = "date,personal_code,school_id,subject,grade\n"
    (raw / "riga" / "ok.csv").write_text(f"{grades}15.01.2024,{ANNA},{SCHOOL},Fizika,8\n", encoding="utf-8")
    # its rows name the school, but the grade column is missing
    (raw / "riga" / "no_grade.csv").write_text(
        f"date,personal_code,school_id,subject,assessment_type\n15.01.2024,{ANNA},{SCHOOL},Fizika,\n", encoding="utf-8"
    )
    (raw / "riga" / "piezimes.txt").write_text("Sveiki!\n", encoding="utf-8")  # its folder's school
    bad = f"{grades}15.01.2024,{ANNA},{OTHER},Fizika".encode() + b"\x81,8\n"  # neither UTF-8 nor cp1257
    (raw / f"{OTHER}_janvaris.csv").write_bytes(bad)  # its path names the school
    offset = bad.index(b"\x81")
    run_ingest(con, raw, KEY, "r1")
    run_validate(con, settings, "r1", runner=runner)

    def problems(school: str) -> list[tuple[str, str, str, str, str]]:
        found = read_feedback(settings.feedback_dir / f"{school}.csv")
        return [
            (r["file"], r["line"], r["severity"], r["reason_code"], r["message_en"])
            for r in found
            if r["reason_code"].startswith("file_")
        ]

    assert problems(SCHOOL) == [
        (
            "riga/no_grade.csv",
            "",
            "error",
            "file_rejected",
            "Required column missing: “Vērtējums” (grade)",
        ),
        ("riga/piezimes.txt", "", "warning", "file_skipped", "The header matches no kind of export (not a data file?)"),
    ]
    assert problems(OTHER) == [
        (
            f"{OTHER}_janvaris.csv",
            "",
            "error",
            "file_rejected",
            f"The file is neither UTF-8 nor Windows-1257 text: invalid byte at offset {offset}",
        )
    ]
    rejected = [r for r in read_feedback(settings.feedback_dir / f"{SCHOOL}.csv") if r["file"] == "riga/no_grade.csv"]
    assert [r["message_lv"] for r in rejected] == ["Trūkst obligātās kolonnas: “Vērtējums” (grade)"]
