"""The privacy probe's inputs (2026-11-29, findings A1–A4) planted in one small raw folder, ingested
and validated once: no personal code (in any spelling the probe used) and no known pupil name (in
any form it used) reaches the warehouse file's bytes, the log, run_summary.json or a feedback file
(its name or its text).

A1: a code or name typed as the school id. A2: a name typed into a date, number or amount cell.
A3: codes with `_`, `.`, `/`, `~`, NBSP, two spaces, ` - `, spaced date pairs, fullwidth digits,
new `32…` codes, in cells, registry names, file, folder, sheet and archive member names; and (second
probe, P3) any grouping of the digits (`1403 1121 233`, `14031-121233`, one space between each digit,
`140311  -  21233`), a digit dropped (`140311-2123`).
A4: a name as one word, as first name + surname initial, split over two folders, and in the
registry's school and municipality names; and (P4) a first name or surname alone, in cells and names."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import xlsxwriter
from validate_fixtures import REFERENCE_DATE

from pipelines.config import Settings, ValidateSettings
from pipelines.ingest.stage import run_ingest
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.run_summary import write_run_summary
from pipelines.validate.stage import run_validate
from pipelines.warehouse import connect

KEY = b"test-key-for-the-privacy-probe-0123456789"
SCHOOL = "2712900123"
NAMED_SCHOOL = "2712900999"  # a registry school whose name holds the pupil's name and code
CODE = make_old_code(14, 3, 2011, 123)  # Zigfrīds Kalniņš, on the roster
NEW = make_new_code(424_2424)
D6, D5 = CODE[:6], CODE[7:]
DIGITS = D6 + D5
FULLWIDTH = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in CODE)
FORMS = {
    "underscore": f"{D6}_{D5}",
    "dot": f"{D6}.{D5}",
    "space_dash": f"{D6} - {D5}",
    "two_spaces": f"{D6}  {D5}",
    "nbsp": f"{D6}\u00a0{D5}",
    "slash": f"{D6}/{D5}",
    "tilde": f"{D6}~{D5}",
    "spaced_pairs": f"{D6[:2]} {D6[2:4]} {D6[4:]}-{D5}",
    "plain": D6 + D5,
    "fullwidth": FULLWIDTH,
    "new_dot": NEW.replace("-", "."),
    # P3 (second probe): any grouping of the 11 digits, runs of separators, a digit dropped
    "four_four_three": f"{DIGITS[:4]} {DIGITS[4:8]} {DIGITS[8:]}",
    "hyphen_moved": f"{DIGITS[:5]}-{DIGITS[5:]}",
    "dashes_443": f"{DIGITS[:4]}-{DIGITS[4:8]}-{DIGITS[8:]}",
    "spaced_dash": f"{D6}  -  {D5}",
    "every_digit": " ".join(DIGITS),
    "ten_one": f"{DIGITS[:10]} {DIGITS[10]}",
    "truncated": f"{D6}-{D5[:4]}",
}
NAMES = ["Zigfrīds Kalniņš", "ZigfridsKalnins", "Zigfrīds K.", "Kalniņš Zigfrīds", "Zigfrids_Kalnins"]
# what must appear nowhere: every spelling of the code, its digits, and the name's parts
NEEDLES = [CODE, *FORMS.values(), NEW, NEW.replace("-", ""), "Zigfr", "zigfr", "ZIGFR", "Kalni", "kalni"]
NEEDLES += [f"*** {DIGITS[8:]}", f"-{DIGITS[5:]}"]  # a code's last digits left beside a mask

ROSTER = ["Personas kods", "Vārds", "Uzvārds", "Iestādes kods", "Klase", "Mācību gads"]
PLANS = ["Personas kods", "Iestādes kods", "Sākuma datums", "Beigu datums", "Projekts"]
CONSULT = ["Datums", "Personas kods", "Iestādes kods", "Pedagogs", "Ilgums", "Mācību priekšmets", "Forma", "Projekts"]
SUPPORT = ["Datums", "Personas kods", "Iestādes kods", "Atbalsta veids", "Summa (EUR)", "Projekts"]
COSTS = ["Mēnesis", "Projekts", "Pašvaldība", "Izmaksu kategorija", "Summa (EUR)"]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([header, *rows])
    return out.getvalue()


def write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(csv_text(header, rows), encoding="utf-8")


def consultation(date: str = "16.10.2025", school: str = SCHOOL, minutes: str = "40", subject: str = "Matemātika",
                 mode: str = "klātiene") -> list[str]:  # fmt: skip
    return [date, CODE, school, "Ilze Ozoliņa", minutes, subject, mode, "PuMPuRS"]


def plant(raw: Path) -> None:
    write(raw / "skoleni.csv", ROSTER, [[CODE, "Zigfrīds", "Kalniņš", SCHOOL, "7.a", "2025/2026"]])
    write(
        raw / "registrs.csv",
        ["Iestādes kods", "Nosaukums", "Pašvaldība"],
        [
            [SCHOOL, "Madonas skola", "Madonas novads"],
            [NAMED_SCHOOL, f"Zigfrīds Kalniņš {FORMS['dot']} piemiņas skola", "ZigfridsKalnins"],
        ],
    )
    write(
        raw / "konsultacijas.csv",
        CONSULT,
        [
            # A1: the school id is a code or a name
            *(consultation(school=s) for s in (CODE, FORMS["plain"], FORMS["underscore"], *NAMES)),
            # A2: a name in a date or a number
            consultation(date="Zigfrīds Kalniņš"),
            consultation(minutes="Zigfrīds Kalniņš"),
            consultation(minutes=FORMS["dot"]),
            # A3 / A4: kept text cells
            *(consultation(subject=f"Matemātika {form}") for form in FORMS.values()),
            consultation(subject=f"P26-9 {FORMS['four_four_three']}"),
            consultation(subject="ZigfridsKalnins"),
            consultation(mode="Zigfrīds K."),
            # P4 (second probe): a first name or surname alone
            consultation(subject="Matemātika Kalniņš"),
            consultation(mode="Zigfrīds"),
        ],
    )
    write(
        raw / "finansialais.csv",
        SUPPORT,
        [
            ["05.11.2025", CODE, SCHOOL, "Transports", "Zigfrīds Kalniņš", "PuMPuRS"],
            ["05.11.2025", CODE, SCHOOL, FORMS["dot"], "20", "PuMPuRS"],
            ["05.11.2025", CODE, SCHOOL, "ZigfridsKalnins", "20", "PuMPuRS"],
        ],
    )
    write(
        raw / "izmaksas.csv",
        COSTS,
        [
            ["2025-10", "PuMPuRS", "Zigfrīds Kalniņš", "Atalgojums", "100"],
            ["2025-10", "PuMPuRS", FORMS["underscore"], "Atalgojums", "100"],
            ["2025-10", "PuMPuRS", "Madonas novads", FORMS["nbsp"], "100"],
        ],
    )
    # A3 / A4: file, folder, sheet and archive member names
    plan = [[CODE, SCHOOL, "01.10.2025", "19.12.2025", "PuMPuRS"]]
    for tag, form in FORMS.items():
        write(raw / "fn" / f"iap_{tag}_{form.replace('/', '~')}.csv", PLANS, plan)
    for i, name in enumerate(NAMES):
        write(raw / "fn" / f"iap_{i}_{name}.csv", PLANS, plan)
    write(raw / "Zigfrīds" / "Kalniņš" / "iap.csv", PLANS, plan)
    write(raw / "fn" / "iap_Kalniņš.csv", PLANS, plan)
    write(raw / "Zigfrīds" / "iap.csv", PLANS, plan)
    write(raw / FORMS["underscore"] / "iap.csv", PLANS, plan)
    book = xlsxwriter.Workbook(raw / "gramata.xlsx")
    for sheet_name in (FORMS["dot"], "ZigfridsKalnins", f"{FORMS['four_four_three']} Kalniņš"):
        sheet = book.add_worksheet(sheet_name)
        for r, row in enumerate([PLANS, *plan]):
            sheet.write_row(r, 0, row)
    book.close()
    with zipfile.ZipFile(raw / "arhivs.zip", "w") as archive:
        for member in (f"{FORMS['underscore']}.csv", "ZigfridsKalnins.csv", f"Zigfrīds/Kalniņš {FORMS['dot']}.csv"):
            archive.writestr(member, csv_text(PLANS, plan))


@pytest.fixture(scope="module")
def probe(tmp_path_factory, runner):
    """One ingest + validate run over the planted folder: (connection, settings, log text, paths)."""
    tmp = tmp_path_factory.mktemp("probe")
    raw = tmp / "raw"
    plant(raw)
    settings = replace(Settings(out_dir=tmp / "out"), validate=ValidateSettings(today=REFERENCE_DATE))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("atbalsts")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    con = connect(tmp / "w.duckdb")
    try:
        result = run_ingest(con, raw, KEY, "r1")
        run_validate(con, settings, "r1", runner=runner)
        write_run_summary(con, tmp / "run_summary.json", "r1")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    yield con, settings, stream.getvalue() + "\n".join(f.path for f in result.files), tmp
    con.close()


def leaks(text: str) -> list[str]:
    return [n for n in NEEDLES if n in text]


def test_no_code_or_name_in_the_log_run_summary_or_feedback(probe) -> None:
    _con, settings, log_text, tmp = probe
    assert leaks(log_text) == []
    assert leaks((tmp / "run_summary.json").read_text(encoding="utf-8")) == []
    feedback = sorted(settings.feedback_dir.glob("*.csv"))
    assert [p.name for p in feedback] == ["2712900123.csv", "2712900999.csv", "_unknown_school.csv"]
    assert leaks("\n".join(p.read_text(encoding="utf-8-sig") for p in feedback)) == []


def test_no_code_or_name_in_any_table_nor_in_the_warehouse_file(probe) -> None:
    con, _settings, _log, tmp = probe
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE'"
    ).fetchall()
    found = {}
    for schema, table in tables:
        text = "\n".join(str(row) for row in con.execute(f'select * from "{schema}"."{table}"').fetchall())
        if leaks(text):
            found[f"{schema}.{table}"] = leaks(text)
    assert found == {}
    con.execute("checkpoint")
    data = (tmp / "w.duckdb").read_bytes()
    assert [n for n in NEEDLES if n.encode() in data] == []


def test_a_code_or_name_as_school_id_is_quarantined_with_what_to_write(probe) -> None:
    con = probe[0]
    found = con.execute(
        "select school_id, value, reason_code, message_en from quarantine.rows where column_name = 'school_id'"
    ).fetchall()
    assert len(found) == 3 + len(NAMES)
    assert {(school, value) for school, value, _r, _m in found} == {("***", "***")}
    assert {r for _s, _v, r, _m in found} == {"school_id_personal_data"}
    assert all("write the school's register code" in m for *_x, m in found)
    schools = {r[0] for r in con.execute("select distinct school_id from staging.consultations").fetchall()}
    assert schools == {SCHOOL}


def test_registry_names_keep_their_words_but_not_the_pupils_name_or_code(probe) -> None:
    con = probe[0]
    assert con.execute("select school_name, municipality from staging.schools order by school_id").fetchall() == [
        ("Madonas skola", "Madonas novads"),
        ("*** *** *** piemiņas skola", "***"),
    ]


def test_name_forms_and_values_in_quarantine_are_masked(probe) -> None:
    con = probe[0]
    sql = (
        "select column_name, value from quarantine.rows "
        "where stage = 'ingest' and column_name in ('date', 'minutes', 'amount_eur')"
    )
    assert sorted(con.execute(sql).fetchall()) == [
        ("amount_eur", "*** ***"), ("date", "*** ***"), ("minutes", "***"), ("minutes", "*** ***")
    ]  # fmt: skip
    subjects = {r[0] for r in con.execute("select subject_raw from staging.consultations").fetchall()}
    assert subjects == {"Matemātika", "Matemātika ***", "***", "P***"}
    modes = {r[0] for r in con.execute("select mode_raw from staging.consultations").fetchall()}
    assert modes == {"klātiene", "*** ***.", "***"}
    # a code written as a number of minutes is no number (it would be stored as 140311.21233)
    assert con.execute("select max(minutes) from staging.consultations").fetchall() == [(40.0,)]
