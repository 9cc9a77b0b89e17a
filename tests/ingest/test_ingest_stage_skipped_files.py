"""Files that are not loaded (rejected, skipped, notes) are named with a reason and never stop the others."""

from __future__ import annotations

from ingest_fixtures import (
    ANNA,
    GRADES_HEADER_EN,
    KEY,
    SCHOOL,
    ingest_dir,
    rows,
    write,
)

from pipelines.ingest.stage import run_ingest
from pipelines.warehouse import connect


def test_rejected_and_skipped_files_do_not_stop_the_others(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(
        raw / "a_missing.csv",
        ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējuma veids"],
        [["15.01.2024", ANNA, SCHOOL, "Fizika", "summatīvs"]],
    )
    (raw / "b_note.txt").write_text("Sveiki! Dati par janvāri pievienoti.\n", encoding="utf-8")
    (raw / "c_empty.csv").write_bytes(b"")
    write(raw / "d_unknown.csv", ["Skolotājs", "Kabinets"], [["x", "101"]])
    write(raw / "e_ok.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    reports = ingest_dir(con, raw)
    missing = reports["a_missing.csv"]
    # a rejected file's rows are read and quarantined, none loaded (read = loaded + quarantined)
    assert (missing.kind, missing.status, missing.rows_read, missing.rows_quarantined) == ("grades", "rejected", 1, 1)
    assert "Vērtējums" in missing.reason and "grade" in missing.reason
    assert reports["b_note.txt"].status == "skipped"
    assert reports["c_empty.csv"].status == "skipped" and "Empty file" in reports["c_empty.csv"].reason
    assert reports["d_unknown.csv"].status == "skipped" and "matches no kind" in reports["d_unknown.csv"].reason
    assert reports["e_ok.csv"].status == "loaded"
    assert rows(con, "select file_path, status from meta.files order by 1") == [
        ("a_missing.csv", "rejected"),
        ("b_note.txt", "skipped"),
        ("c_empty.csv", "skipped"),
        ("d_unknown.csv", "skipped"),
        ("e_ok.csv", "loaded"),
    ]
    assert rows(con, "select count(*) from staging.grades") == [(1,)]


def test_school_registry_loads_and_a_markdown_note_is_skipped(tmp_path):
    """Regression: the registry has no pupil column; a README with ragged lines is a note, not bad data."""

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "skolu_registrs.csv").write_text(
        "Iestādes kods;Nosaukums;Pašvaldība\n2713968911;Rēzeknes 5. vidusskola;Rēzeknes valstspilsēta\n",
        encoding="utf-8",
    )
    (raw / "README.md").write_text("# Piezīmes\n\nŠis fails, ar komatiem, nav dati; tikai teksts.\n", encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    reports = {f.path: f for f in run_ingest(con, raw, KEY, "r1").files}
    assert reports["skolu_registrs.csv"].status == "loaded"
    assert con.execute("select school_id, municipality from staging.schools").fetchall() == [
        ("2713968911", "Rēzeknes valstspilsēta")
    ]
    assert reports["README.md"].status == "skipped"
