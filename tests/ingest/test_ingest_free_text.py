"""Free text from schools becomes codes at ingest: projects, risk factors and file names.

The project and risk-factor cells map to the contract's vocabularies (the text is never stored);
file names lose personal codes and known names, yet keep one identity per raw path for
re-delivery and the incremental stages."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.ingest.legacy import migrate_free_text, migrate_subjects
from pipelines.ingest.names import NamePass
from pipelines.ingest.paths import MASK, NAME_FORMS_VERSION, PathScrubber
from pipelines.ingest.stage import run_ingest
from pipelines.ingest.values import project_code, risk_factor_codes
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.pseudonym import pseudonym
from pipelines.run_summary import write_run_summary
from pipelines.warehouse import compact, compaction_requested, connect, ensure_schema

KEY = b"test-key-for-free-text-0123456789abcdef"
SCHOOL = "2712900123"
OSKARS = make_old_code(16, 4, 2011, 844)
NEW = make_new_code(98765)
PLANS_HEADER = ["Personas kods", "Iestādes kods", "Sākuma datums", "Beigu datums", "Projekts", "Riska faktori"]
ROSTER_HEADER = ["Personas kods", "Vārds", "Uzvārds", "Iestādes kods", "Klase", "Mācību gads"]
CONSULT_HEADER = ["Datums", "Personas kods", "Iestādes kods", "Pedagogs", "Ilgums", "Projekts"]


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\n").writerows([header, *rows])
    return path


def rows(con, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


# --- projects ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("8.3.4.0/16/I/001", "8.3.4.0/16/I/001"),
        ("8.3.4.0/16/i/001", "8.3.4.0/16/I/001"),
        (" 8.3.4.0 / 16 / I / 001 ", "8.3.4.0/16/I/001"),
        ("PuMPuRS", "8.3.4.0/16/I/001"),
        ("PUMPURS", "8.3.4.0/16/I/001"),
        ("„PuMPuRS”", "8.3.4.0/16/I/001"),
        ("8.3.2.2/16/I/001", "8.3.2.2/16/I/001"),
        ("Atbalsts izglītojamo individuālo kompetenču attīstībai", "8.3.2.2/16/I/001"),
        ("atbalsts izglitojamo individualo kompetencu attistibai", "8.3.2.2/16/I/001"),
        ("4.2.3.1/1/24/I/001", "4.2.3.1/1/24/I/001"),
        ("Skola – kopienā", "4.2.3.1/1/24/I/001"),
        ("Skola-kopienā", "4.2.3.1/1/24/I/001"),
        ("Skola\u2011kopienā", "4.2.3.1/1/24/I/001"),
        ("skola — kopiena", "4.2.3.1/1/24/I/001"),
        ("Skola – kopienā (ESF+)", "4.2.3.1/1/24/I/001"),
    ],
)
def test_accepted_project_spellings_map_to_the_code(text, code) -> None:
    assert project_code(KEY, text) == (code, None)


@pytest.mark.parametrize(
    "text",
    [
        f"PuMPuRS Jānis Ozols {OSKARS}",  # a known spelling plus text is not accepted
        "8.3.4.0/16/I/001 Jānis",
        "8.3.4.0/16/I/0011",
        "Erasmus+",
        "Jānis Ozols",
    ],
)
def test_anything_else_is_other_with_a_short_keyed_hash_not_the_text(text) -> None:
    code, text_hash = project_code(KEY, text)
    assert code == "other"
    assert text_hash is not None and len(text_hash) == 8 and text_hash not in text
    assert project_code(b"another-key-0123456789abcdef0123456789", text)[1] != text_hash  # keyed
    assert project_code(KEY, f"  {text.upper()} ")[1] == text_hash  # one value however it is typed


def test_empty_project_is_no_project() -> None:
    assert project_code(KEY, None) == (None, None)
    assert project_code(KEY, " – ") == (None, None)


# --- risk factors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Kavējumi; ģimenes situācija", "absences;family"),
        ("ģimenes situācija,kavējumi", "absences;family"),
        ("mācību grūtības", "learning_difficulties"),
        ("Materiālās grūtības; sociālekonomiskie apstākļi", "socio_economic"),
        ("uzvedība, veselība , psihoemocionālās grūtības", "behaviour;health;psycho_emotional"),
        ("Learning difficulties; absences", "absences;learning_difficulties"),
        ("kavējumi; tēvs Jānis Ozols cietumā", "absences;other"),
        (f"{OSKARS}", "other"),
        ("cits", "other"),
        (" ; , ", None),
    ],
)
def test_risk_factors_become_sorted_codes(text, codes) -> None:
    assert risk_factor_codes(text) == codes


# --- ingest ------------------------------------------------------------------------------------


def test_plans_and_consultations_keep_codes_not_text(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    leaky = f"PuMPuRS Jānis Ozols {OSKARS}"
    write(
        raw / "plani.csv",
        PLANS_HEADER,
        [
            [OSKARS, SCHOOL, "01.10.2024", "31.12.2024", "PuMPuRS", "Kavējumi; ģimenes situācija"],
            [NEW, SCHOOL, "01.10.2024", "", leaky, "uzvedība; Jānis Ozols sit"],
            [OSKARS, SCHOOL, "01.02.2025", "", "Skola – kopienā", ""],
        ],
    )
    write(raw / "k.csv", CONSULT_HEADER, [["15.10.2024", NEW, SCHOOL, "Ilze Ozoliņa", "40", leaky]])
    run_ingest(con, raw, KEY, "r1")
    assert rows(
        con, "select project_code, project_text_hash, risk_factors from staging.plans order by source_line"
    ) == [
        ("8.3.4.0/16/I/001", None, "absences;family"),
        ("other", project_code(KEY, leaky)[1], "behaviour;other"),
        ("4.2.3.1/1/24/I/001", None, None),
    ]
    assert rows(con, "select project_code, project_text_hash from staging.consultations") == [
        ("other", project_code(KEY, leaky)[1])
    ]


def test_a_personal_code_in_any_kept_text_cell_is_not_stored(con, tmp_path) -> None:
    """Subject, role, mode, class and assessment-type cells are kept as written for the school's
    feedback; one holding a personal code (with a dash, a space or none) is stored as `***`."""
    raw = tmp_path / "raw"
    other = make_old_code(1, 1, 2010, 123)
    spaced, bare = other.replace("-", " "), other.replace("-", "")
    write(
        raw / "k.csv",
        [*CONSULT_HEADER, "Amats", "Mācību priekšmets", "Forma"],
        [
            [
                "15.10.2024",
                NEW,
                SCHOOL,
                "Ilze Ozoliņa",
                "40",
                "PuMPuRS",
                f"Pedagogs {other}",
                f"Matemātika {spaced}",
                "klātienē",
            ],
            ["16.10.2024", NEW, SCHOOL, "Ilze Ozoliņa", "40", "PuMPuRS", "Pedagogs", "Matemātika", f"klātienē {bare}"],
        ],
    )
    write(
        raw / "v.csv",
        ["Datums", "Personas kods", "Iestādes kods", "Mācību priekšmets", "Vērtējums", "Vērtējuma veids"],
        [["15.10.2024", NEW, SCHOOL, f"Fizika {other}", "7", f"Summatīvais {other}"]],
    )
    write(raw / "s.csv", ROSTER_HEADER, [[NEW, "Anna", "Liepa", SCHOOL, f"7.b {other}", "2024/2025"]])
    run_ingest(con, raw, KEY, "r1")
    digits = other.replace("-", "")
    for schema, table, column in rows(
        con, "select table_schema, table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
    ):
        only_digits = f"regexp_replace(\"{column}\", '[^0-9]', '', 'g')"
        found = rows(con, f'select "{column}" from "{schema}"."{table}" where {only_digits} like ?', [f"%{digits}%"])
        assert not found, (schema, table, column, found)
    assert rows(
        con, "select subject_raw, staff_role_raw, mode_raw from staging.consultations order by source_line"
    ) == [
        (MASK, MASK, "klātienē"),
        ("Matemātika", "Pedagogs", MASK),
    ]


def test_a_roster_leaving_reason_is_stored_as_a_code_only(con, tmp_path) -> None:
    """The roster's leaving reason is free text (`Anna Liepa 160411-… pārcēlās`): only its code is kept."""
    raw = tmp_path / "raw"
    header = [*ROSTER_HEADER, "Atskaitīšanas datums", "Atskaitīšanas iemesls"]
    write(
        raw / "s.csv",
        header,
        [
            [
                NEW,
                "Anna",
                "Liepa",
                SCHOOL,
                "7.b",
                "2024/2025",
                "10.01.2025",
                f"Anna Liepa {OSKARS} pārcēlās uz citu skolu",
            ],
            [OSKARS, "Oskars", "Ozols", SCHOOL, "8.a", "2024/2025", "12.02.2025", "Pārtrauca mācības"],
            [make_old_code(1, 2, 2010, 5), "Ieva", "Kalna", SCHOOL, "8.a", "2024/2025", "12.02.2025", "Ozols zina"],
        ],
    )
    run_ingest(con, raw, KEY, "r1")
    assert rows(con, "select leaving_reason from staging.pupils order by source_line") == [
        ("transfer",),
        ("dropout",),
        ("other",),
    ]
    assert rows(con, "select count(*) from staging.pupils where leaving_reason ilike '%liepa%'") == [(0,)]


def test_leaving_reasons_stored_as_text_before_are_mapped_in_place(con) -> None:
    ensure_schema(con)
    con.execute(
        "insert into staging.pupils (source_file, source_line, row_key, leaving_reason) values "
        "('s.csv', 2, 'k1', 'Anna Liepa pārtrauca mācības'), ('s.csv', 3, 'k2', 'dropout')"
    )
    con.execute("create table core.pupils as select * from staging.pupils")
    assert migrate_free_text(con, KEY) == 2  # the text, in staging and in core
    assert rows(con, "select distinct leaving_reason from core.pupils") == [("dropout",)]
    assert migrate_free_text(con, KEY) == 0


def test_a_warehouse_from_before_codes_is_mapped_in_place(con) -> None:
    ensure_schema(con)
    con.execute("alter table staging.plans drop column project_text_hash")
    con.execute(
        "insert into staging.plans (source_file, source_line, row_key, project_code, risk_factors) values "
        "('a.csv', 2, 'k1', 'PuMPuRS Jānis Ozols', 'kavējumi; ģimenes situācija'), "
        "('a.csv', 3, 'k2', '8.3.4.0/16/I/001', 'absences')"
    )
    con.execute("create table core.plans as select * from staging.plans")
    assert migrate_free_text(con, KEY) == 4  # a project and a risk text, in staging and in core
    expected = [("other", "absences;family"), ("8.3.4.0/16/I/001", "absences")]
    assert rows(con, "select project_code, risk_factors from staging.plans order by source_line") == expected
    assert rows(con, "select project_code, risk_factors from core.plans order by source_line") == expected
    assert rows(con, "select project_text_hash from staging.plans order by source_line") == [
        (project_code(KEY, "PuMPuRS Jānis Ozols")[1],),
        (None,),
    ]
    assert migrate_free_text(con, KEY) == 0


def test_subjects_stored_before_the_full_curriculum_are_read_again(con) -> None:
    """A warehouse from before issue 17 holds null for Sports un veselība (then unknown) and `computing`
    for Programmēšana: both get today's subject, in staging and core; row keys stay as they were."""
    ensure_schema(con)
    con.execute(
        "insert into staging.grades (source_file, source_line, row_key, subject, subject_raw) values "
        "('v.csv', 2, 'k1', null, 'Sports un veselība'), ('v.csv', 3, 'k2', 'computing', 'Programmēšana'), "
        "('v.csv', 4, 'k3', 'mathematics', 'Matemātika'), ('v.csv', 5, 'k4', null, 'Robotika')"
    )
    con.execute("create table core.grades as select * from staging.grades")
    assert migrate_subjects(con) == 6  # three values, in staging and in core
    expected = [("sport_health", "k1"), ("programming", "k2"), ("mathematics", "k3"), ("~robotika", "k4")]
    assert rows(con, "select subject, row_key from staging.grades order by source_line") == expected
    assert rows(con, "select subject, row_key from core.grades order by source_line") == expected
    assert migrate_subjects(con) == 0


# --- file names --------------------------------------------------------------------------------


def test_scrub_masks_code_shapes_and_known_name_pairs_only() -> None:
    s = PathScrubber(KEY)
    known = s.person_hashes("Oskars", "Ozols") | s.staff_hashes("Anna Marija Bērziņa")
    assert s.scrub(f"IAP Oskars Ozols {OSKARS}.csv", known) == f"IAP {MASK} {MASK} {MASK}.csv"
    assert s.scrub("2024/ozols_oskars/iap.csv", known) == f"2024/{MASK}_{MASK}/iap.csv"
    assert s.scrub("Marija Bērziņa.xlsx", known) == f"{MASK} {MASK}.xlsx"
    assert s.scrub(f"{NEW.replace('-', '')}.csv", known) == f"{MASK}.csv"
    assert s.scrub(f"x{NEW}.csv", known) == f"x{MASK}.csv"
    # a name split over two folders, or written as one word (probe A4)
    assert s.scrub("Oskars/Ozols/iap.csv", known) == f"{MASK}/{MASK}/iap.csv"
    assert s.scrub("OskarsOzols.csv", known) == f"{MASK}.csv"
    # not names: one name alone, words kept apart by a number, a longer number, a company number
    clean = ["Ozols.csv", "Oskars 2024 Ozols.csv", "export_20240915123045.csv", "40003032949.csv", "2024/Ozols.csv"]
    assert [s.scrub(p, known) for p in clean] == clean


def test_scrub_masks_a_known_surname_with_an_initial_but_not_a_surname_alone() -> None:
    """`O. Ozols`, `Ozols O`, `A. M. Bērziņa` name a known person; the pair forms alone leave `Ozols`
    (a roster pupil's name words alone are their own form, PathScrubber.alone_hashes; a staff
    member's are not: docs/input-contract.md, *File names*)."""
    s = PathScrubber(KEY)
    known = s.person_hashes("Oskars", "Ozols") | s.staff_hashes("Anna Marija Bērziņa")
    masked = {
        "IAP O. Ozols.csv": f"IAP {MASK}. {MASK}.csv",
        "ozols_o/iap.csv": f"{MASK}_{MASK}/iap.csv",
        "O.Ozols.csv": f"{MASK}.{MASK}.csv",
        "A. M. Bērziņa.xlsx": f"{MASK}. {MASK}. {MASK}.xlsx",
        "M. Bērziņa.xlsx": f"{MASK}. {MASK}.xlsx",
    }
    assert {p: s.scrub(p, known) for p in masked} == masked
    clean = ["Ozols.csv", "Ozolu iela.csv", "J. Ozols.csv", "7.b Ozols.csv", "Bērziņa.xlsx", "A. Liepa.csv"]
    assert [s.scrub(p, known) for p in clean] == clean


def test_a_pupils_first_name_or_surname_alone_is_masked_unless_it_is_a_contract_word() -> None:
    """Probe P4: a roster pupil's surname or first name alone (`Matematika Ozoliņa`, `12,00 Ozoliņa`,
    `40 Līga`, a sheet `080317-24148 Ozoliņa`) identifies the pupil with the school and class around
    it, so each word of a roster name is masked alone too (any case, with or without diacritics); not
    a word of the contract's vocabularies (a subject, role) nor a staff member's name alone. A name that
    is also a month word (Marta, Maija, Jūlija, Augusts: common first names) is masked too (review: the
    month exemption left them readable); a date written in words then loses its month, which is harmless."""
    s = PathScrubber(KEY)
    roster = pl.DataFrame({"raw_first_name": ["Līga", "Fizika"], "raw_last_name": ["Ozoliņa", "Marta"]})
    staff = pl.DataFrame({"raw_staff_name": ["Dārta Žukova"]})
    known = s.name_hashes(roster) | s.name_hashes(staff)
    masked = {
        "Matematika Ozoliņa": f"Matematika {MASK}",
        "12,00 Ozoliņa": f"12,00 {MASK}",
        "40 Līga": f"40 {MASK}",
        "080317-24148 Ozoliņa": f"{MASK} {MASK}",
        "ozolina/LIGA.csv": f"{MASK}/{MASK}.csv",
        "Marta 7.b": f"{MASK} 7.b",  # a pupil named Marta, 'of March' in a date alike
        "15. marta": f"15. {MASK}",
    }
    assert {p: s.scrub(p, known) for p in masked} == masked
    # a subject, a month no pupil is named after, a staff surname alone, initials, another case
    clean = ["Fizika 7.b.csv", "15. aprīlis", "Žukova.csv", "L. O.", "Ozoliņai"]
    assert [s.scrub(p, known) for p in clean] == clean


def test_scrub_masks_a_code_written_with_a_space_as_the_contract_accepts_it() -> None:
    """`160411 28446` is a valid code in a code column (the dash or a space may separate the parts),
    so a file name holding it in that spelling is masked too."""
    s = PathScrubber(KEY)
    spaced = OSKARS.replace("-", " ")
    assert s.scrub(f"M.Ozols {spaced}.csv", set()) == f"M.Ozols {MASK}.csv"
    assert s.scrub(f"{NEW.replace('-', ' ')}/iap.csv", set()) == f"{MASK}/iap.csv"
    assert s.scrub("2024 12345.csv", set()) == "2024 12345.csv"  # not eleven digits


def test_identity_keeps_clean_paths_and_tells_scrubbed_ones_apart() -> None:
    s = PathScrubber(KEY)
    assert s.identity("2024/atzimes.csv", set()) == "2024/atzimes.csv"
    a, b = s.identity(f"IAP {OSKARS}.csv", set()), s.identity(f"IAP {NEW}.csv", set())
    assert a != b and a.startswith(f"IAP {MASK}.csv #") and b.startswith(f"IAP {MASK}.csv #")
    assert s.identity(f"IAP {OSKARS}.csv", set()) == a  # stable
    assert s.restored(a, set()) == a


def test_file_names_never_stored_or_shown_and_re_delivery_still_replaces(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    # read before the roster that names the pupil (sorted order): renamed at the end of the run
    plan_a = write(raw / f"a/IAP Oskars Ozols {OSKARS}.csv", PLANS_HEADER, [[OSKARS, SCHOOL, "01.10.2024", "", "", ""]])
    plan_b = write(raw / f"a/IAP Oskars Ozols {NEW}.csv", PLANS_HEADER, [[NEW, SCHOOL, "01.10.2024", "", "", ""]])
    write(raw / "b/skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    write(
        raw / "c/Ilze Ozoliņa konsultācijas.csv",
        CONSULT_HEADER,
        [["15.10.2024", OSKARS, SCHOOL, "Ilze Ozoliņa", "40", ""]],
    )
    shown = []
    result = run_ingest(con, raw, KEY, "r1", on_file=lambda f: shown.append(f.path))
    paths = sorted(f.path for f in result.files)
    assert paths == sorted(shown)
    assert all("Oskars" not in p and "Ozols" not in p and "Ilze" not in p and OSKARS not in p for p in paths)
    assert sum(p.startswith(f"a/IAP {MASK} {MASK} {MASK}.csv #") for p in paths) == 2  # two files, two identities
    assert f"c/{MASK} {MASK} konsultācijas.csv" in {p.split(" #")[0] for p in paths}
    assert len(result.personal_names) == 3 and all(d and len(d) == 64 for _p, d in result.personal_names)
    # per person: name, initial + name, name + initial, one word both orders, stems both orders; a pupil's
    # first name and surname alone too (two more for Oskars Ozols); no names
    assert rows(con, "select count(*) from meta.name_pairs") == [(16,)]

    # a corrected file at the same raw path replaces its rows; the other keeps its own
    plan_a.write_text(plan_a.read_text(encoding="utf-8") + f"{OSKARS};{SCHOOL};01.02.2025;;;\n", encoding="utf-8")
    result = run_ingest(con, raw, KEY, "r2")
    by_status = {f.status for f in result.files if f.path.startswith("a/")}
    assert by_status == {"loaded", "unchanged"}
    assert rows(con, "select count(*) from staging.plans") == [(3,)]
    assert rows(con, "select count(distinct source_file) from staging.plans") == [(2,)]
    assert sorted(f.path for f in result.files) == paths  # the same identities run after run
    assert plan_b.exists()

    write_run_summary(con, tmp_path / "run_summary.json", "r2")
    stored = " ".join(str(v) for table in ("meta.files", "staging.plans", "staging.consultations", "staging.pupils")
                      for row in rows(con, f"select * from {table}") for v in row)  # fmt: skip
    stored += (tmp_path / "run_summary.json").read_text(encoding="utf-8")
    for needle in ("Oskars", "Ozols", "Ilze", "Ozoliņa", OSKARS, OSKARS.replace("-", ""), NEW):
        assert needle not in stored


def test_a_name_learned_later_renames_the_path_everywhere(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "IAP Oskars Ozols.csv", PLANS_HEADER, [[OSKARS, SCHOOL, "01.10.2024", "", "", ""]])
    run_ingest(con, raw, KEY, "r1")
    con.execute(
        "insert into meta.runs (run_id, started_at, input_hashes) values ('r1', now(), ?)",
        [json.dumps({"IAP Oskars Ozols.csv": "x"})],
    )
    assert rows(con, "select source_file from staging.plans") == [("IAP Oskars Ozols.csv",)]  # no name known yet
    write(raw / "skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    result = run_ingest(con, raw, KEY, "r2")
    assert result.renamed_stored == 1  # stored by r1, before the name was known: the analyst is told
    (identity,) = [f.path for f in result.files if f.kind == "plans"]
    assert identity.startswith(f"IAP {MASK} {MASK}.csv #")
    assert {f.status for f in result.files if f.kind == "plans"} == {"unchanged"}
    assert rows(con, "select source_file from staging.plans") == [(identity,)]
    assert rows(con, "select file_path from meta.files where kind = 'plans'") == [(identity,)]
    assert "Oskars" not in rows(con, "select input_hashes from meta.runs")[0][0]
    assert pseudonym(KEY, "x") not in identity


def test_a_roster_name_in_a_kept_text_cell_is_not_stored(con, tmp_path) -> None:
    """A subject cell `Matemātika Anna Liepa` names a pupil of a roster read later in the same run
    (k.csv sorts before s.csv): the name is masked before the cell is stored."""
    raw = tmp_path / "raw"
    write(raw / "s.csv", ROSTER_HEADER, [[NEW, "Anna", "Liepa", SCHOOL, "7.b", "2024/2025"]])
    write(
        raw / "k.csv",
        [*CONSULT_HEADER, "Mācību priekšmets"],
        [["15.10.2024", NEW, SCHOOL, "Ilze Ozoliņa", "40", "PuMPuRS", "Matemātika Anna Liepa"]],
    )
    run_ingest(con, raw, KEY, "r1")
    assert rows(con, "select count(*) from staging.consultations where subject_raw ilike '%liepa%'") == [(0,)]


def test_a_name_learned_later_leaves_no_trace_in_the_warehouse_file(tmp_path) -> None:
    """The plan file sorts before the roster that names its pupil. Were the path stored first and
    renamed at the end of the run, its first version's bytes would stay in the .duckdb file's freed
    blocks, readable with `strings`: names are learned before anything is stored (names.py)."""
    raw, path = tmp_path / "raw", tmp_path / "w.duckdb"
    write(raw / "IAP Oskars Ozols.csv", PLANS_HEADER, [[OSKARS, SCHOOL, "01.10.2024", "", "", ""]])
    write(raw / "skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    con = connect(path)
    run_ingest(con, raw, KEY, "r1")
    assert rows(con, "select count(*) from meta.files where file_path like '%Ozols%'") == [(0,)]
    con.execute("checkpoint")
    con.close()
    assert b"Oskars Ozols" not in path.read_bytes()


def _roster_in_a_workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(path)
    book.add_worksheet("Piezīmes").write_row(0, 0, ["Šī lapa nav eksports"])
    sheet = book.add_worksheet("Skolēni")
    for i, row in enumerate([ROSTER_HEADER, [NEW, "Anna", "Liepa", SCHOOL, "7.b", "2024/2025"]]):
        sheet.write_row(i, 0, row)
    book.close()


def _roster_in_an_archive(path: Path) -> None:
    lines = [";".join(ROSTER_HEADER), f"{NEW};Anna;Liepa;{SCHOOL};7.b;2024/2025"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("2024/skoleni.csv", "\n".join(lines).encode("cp1257"))


@pytest.mark.parametrize(
    ("roster", "write_roster"),
    [
        ("s.csv", lambda p: write(p, ROSTER_HEADER, [[NEW, "Anna", "Liepa", SCHOOL, "7.b", "2024/2025"]])),
        ("s.xlsx", _roster_in_a_workbook),
        ("s.zip", _roster_in_an_archive),
    ],
)
def test_a_kept_cell_and_a_path_flushed_before_the_roster_leave_no_trace(tmp_path, roster, write_roster) -> None:
    """Each file is saved as soon as it is read (batch_files=1): the log naming Anna Liepa in a cell
    and in its file name is stored before the roster (csv, a workbook's second sheet, an archive
    member) that names her is even opened. Neither the tables nor the file's bytes hold her name."""
    raw, path = tmp_path / "raw", tmp_path / "w.duckdb"
    write(
        raw / "k Anna Liepa.csv",
        [*CONSULT_HEADER, "Mācību priekšmets"],
        [["15.10.2024", NEW, SCHOOL, "Ilze Ozoliņa", "40", "PuMPuRS", "Matemātika Anna Liepa"]],
    )
    write_roster(raw / roster)
    con = connect(path)
    result = run_ingest(con, raw, KEY, "r1", batch_files=1)
    assert {f.status for f in result.files} - {"skipped"} == {"loaded"}
    assert rows(con, "select subject_raw from staging.consultations") == [(f"Matemātika {MASK} {MASK}",)]
    assert rows(con, "select count(*) from meta.files where file_path like 'k *** ***.csv #%'") == [(1,)]
    con.execute("checkpoint")
    con.close()
    data = path.read_bytes()
    assert b"Anna Liepa" not in data and b"Liepa" not in data


def test_a_path_renamed_in_a_later_run_leaves_no_trace_after_a_copy_to_a_fresh_file(tmp_path) -> None:
    """A name first known in a later run renames a path stored before: its old bytes stay in the
    file's free space, so the rename asks for a copy (meta.compaction), which the runner makes after
    the stage (warehouse.compact, docs/warehouse.md 'Free space'); the copy holds no trace and is a
    working warehouse (keys, constraints)."""
    raw, path = tmp_path / "raw", tmp_path / "warehouse.duckdb"
    write(raw / "IAP Oskars Ozols.csv", PLANS_HEADER, [[OSKARS, SCHOOL, "01.10.2024", "", "", ""]])
    con = connect(path)
    run_ingest(con, raw, KEY, "r1")
    assert not compaction_requested(con)
    write(raw / "skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    assert run_ingest(con, raw, KEY, "r2").renamed_stored == 1
    assert compaction_requested(con)
    con.close()
    assert b"Oskars Ozols" in path.read_bytes()  # the residue the copy is for
    compact(path)
    assert b"Oskars Ozols" not in path.read_bytes()
    con = connect(path)
    assert not compaction_requested(con)
    assert {f.status for f in run_ingest(con, raw, KEY, "r3").files} == {"unchanged"}
    con.close()


def test_registry_names_keep_their_text_but_not_a_personal_code_shape(con, tmp_path) -> None:
    """School and municipality names are allowed text (reports show them): only the part shaped
    like a personal code becomes `***`. A kept cell naming a pupil by initial is masked too."""
    raw = tmp_path / "raw"
    write(
        raw / "registrs.csv",
        ["Iestādes kods", "Nosaukums", "Pašvaldība"],
        [
            [SCHOOL, f"Rīgas 1. vidusskola {OSKARS}", f"Rīga {NEW.replace('-', ' ')}"],
            ["2712900124", "Ozolu pamatskola", "Ādažu novads"],
        ],
    )
    write(raw / "s.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    write(
        raw / "k.csv",
        [*CONSULT_HEADER, "Mācību priekšmets"],
        [["15.10.2024", OSKARS, SCHOOL, "Ilze Ozoliņa", "40", "PuMPuRS", "Matemātika (O. Ozols)"]],
    )
    run_ingest(con, raw, KEY, "r1")
    assert rows(con, "select school_name, municipality from staging.schools order by school_id") == [
        (f"Rīgas 1. vidusskola {MASK}", f"Rīga {MASK}"),
        ("Ozolu pamatskola", "Ādažu novads"),
    ]
    assert rows(con, "select subject_raw from staging.consultations") == [(f"Matemātika ({MASK}. {MASK})",)]


def test_when_the_names_pass_fails_names_are_still_learned_as_rows_load(con, tmp_path, monkeypatch, caplog) -> None:
    """A file the first pass cannot read (a bug, a file changing under it) must not leave its names
    unknown for good: the run then also learns names as rows load, and renames at its end."""

    def failing(self, path, found):
        raise RuntimeError("simulated")

    monkeypatch.setattr(NamePass, "in_file", failing)
    raw = tmp_path / "raw"
    write(raw / "IAP Oskars Ozols.csv", PLANS_HEADER, [[OSKARS, SCHOOL, "01.10.2024", "", "", ""]])
    write(raw / "skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    with caplog.at_level("WARNING", logger="atbalsts.ingest"):
        result = run_ingest(con, raw, KEY, "r1")
    assert "names could not be learned from one file (RuntimeError)" in caplog.text
    assert [p for p in (f.path for f in result.files) if "Ozols" in p] == []
    assert rows(con, "select count(*) from meta.files where file_path like '%Ozols%'") == [(0,)]


def test_a_known_name_in_another_grammatical_case_is_masked() -> None:
    """Latvian declines names: the roster's `Zigfrīds Kalniņš` is `Zigfrīda Kalniņa` in a reason text."""
    scrubber = PathScrubber(KEY)
    known = scrubber.person_hashes("Zigfrīds", "Kalniņš") | scrubber.person_hashes("Ilze", "Ozoliņa")
    for text, shown in [
        ("Zigfrīda Kalniņa slimība", f"{MASK} {MASK} slimība"),
        ("Zigfrīdam Kalniņam", f"{MASK} {MASK}"),
        ("Kalniņa Zigfrīda/iap.csv", f"{MASK} {MASK}/iap.csv"),
        ("Ilzei Ozoliņai", f"{MASK} {MASK}"),
        ("Kalna iela 5, Zigfrīda Meierovica", "Kalna iela 5, Zigfrīda Meierovica"),  # another person: kept
    ]:
        assert scrubber.scrub(text, known & scrubber.hashes_of(text)) == shown, text


def test_a_warehouse_with_older_name_forms_relearns_every_rosters_names_once(con, tmp_path) -> None:
    """A name learned with fewer forms (before declined names) is learned again from an unchanged roster."""
    raw = tmp_path / "raw"
    write(raw / "b/skoleni.csv", ROSTER_HEADER, [[OSKARS, "Oskars", "Ozols", SCHOOL, "7.b", "2024/2025"]])
    run_ingest(con, raw, KEY, "r1")
    learned = rows(con, "select count(*) from meta.name_pairs")
    con.execute("delete from meta.name_pairs")
    con.execute("update meta.name_forms set version = 1")  # as a warehouse from before the stems
    run_ingest(con, raw, KEY, "r2")  # the roster is unchanged: only the older forms make it read again
    assert rows(con, "select count(*) from meta.name_pairs") == learned
    assert rows(con, "select version from meta.name_forms") == [(NAME_FORMS_VERSION,)]
    con.execute("delete from meta.name_pairs")
    run_ingest(con, raw, KEY, "r3")  # forms current: unchanged files are not read for names again
    assert rows(con, "select count(*) from meta.name_pairs") == [(0,)]
