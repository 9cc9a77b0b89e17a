"""Nothing lost silently at file level: links, every sheet, archive members, encodings, huge files
read in chunks (issue 13, items 6 and 7)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

import pipelines.ingest.stage as ingest
from pipelines.ingest import normalise
from pipelines.ingest.stage import ArchiveLimits, run_ingest
from pipelines.personal_code import make_new_code, make_old_code
from pipelines.run_summary import write_run_summary
from pipelines.warehouse import connect

KEY = b"test-key-32-characters-or-longer!"
SCHOOL = "2712900123"
ANNA = make_old_code(15, 3, 2012, 123)
BERTS = make_new_code(4567)
GRADES = ["date", "personal_code", "school_id", "subject", "grade", "assessment_type"]
ROW = ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]


def csv_bytes(header: list[str], rows: list[list[str]], sep: str = ",", encoding: str = "utf-8") -> bytes:
    return "\n".join(sep.join(r) for r in [header, *rows]).encode(encoding) + b"\n"


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    yield con
    con.close()


def ingest_dir(con, raw: Path, run_id: str = "r1", **options) -> dict[str, ingest.FileReport]:
    return {f.path: f for f in run_ingest(con, raw, KEY, run_id, **options).files}


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


# --- symbolic links ---------------------------------------------------------------------------


def test_links_are_never_followed_and_each_is_reported(con, tmp_path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(csv_bytes(GRADES, [ROW]))
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "real.csv").write_bytes(csv_bytes(GRADES, [ROW]))
    (raw / "to_outside.csv").symlink_to(outside / "secret.csv")
    (raw / "folder_outside").symlink_to(outside, target_is_directory=True)
    (raw / "to_inside.csv").symlink_to(raw / "real.csv")
    (raw / "broken.csv").symlink_to(tmp_path / "missing.csv")
    reports = ingest_dir(con, raw)
    assert {p: (r.status, r.reason) for p, r in reports.items()} == {
        "real.csv": ("loaded", None),
        "to_outside.csv": (
            "skipped",
            "Simboliskā saite uz vietu ārpus izejas mapes netiek izmantota / "
            "A symbolic link pointing outside the raw folder is not followed",
        ),
        "folder_outside": (
            "skipped",
            "Simboliskā saite uz vietu ārpus izejas mapes netiek izmantota / "
            "A symbolic link pointing outside the raw folder is not followed",
        ),
        "to_inside.csv": (
            "skipped",
            "Simboliskā saite netiek izmantota: fails, uz kuru tā norāda, tiek nolasīts savā vietā / "
            "A symbolic link is not followed: the file it points to is read at its own path",
        ),
        "broken.csv": ("skipped", "Simboliskā saite uz neesošu failu / A symbolic link to a missing file"),
    }
    assert rows(con, "select source_file from staging.grades") == [("real.csv",)]


# --- workbooks: every sheet -------------------------------------------------------------------


def workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(path)
    first = book.add_worksheet("Janvāris")
    first.write_row(0, 0, GRADES)
    first.write_row(1, 0, ROW)
    second = book.add_worksheet("Februāris")
    second.write_row(0, 0, GRADES)
    second.write_row(1, 0, ["15.02.2024", BERTS, SCHOOL, "Fizika", "7", ""])
    second.write_row(2, 0, ["16.02.2024", BERTS, SCHOOL, "Fizika", "6", ""])
    book.add_worksheet("Tukša")
    merged = book.add_worksheet("Apvienota")
    merged.merge_range(0, 0, 0, 1, "date")
    merged.write_row(0, 2, GRADES[2:])
    merged.write_row(1, 0, ROW)
    book.close()


def test_every_sheet_is_a_file_empty_and_merged_header_sheets_are_reported(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    workbook(raw / "book.xlsx")
    reports = ingest_dir(con, raw)
    got = {p: (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.reason) for p, r in reports.items()}
    assert got == {
        "book.xlsx#Janvāris": ("loaded", 1, 1, 0, None),
        "book.xlsx#Februāris": ("loaded", 2, 2, 0, None),
        "book.xlsx#Tukša": ("skipped", 0, 0, 0, "Tukša lapa / Empty sheet"),
        "book.xlsx#Apvienota": (
            "rejected",
            1,
            0,
            1,
            "Galvenes rindā ir apvienotas šūnas (A1:B1): atceliet apvienošanu, katrai kolonnai savs nosaukums "
            "vienā rindā / The header row has merged cells (A1:B1): unmerge them, one name per column in one row",
        ),
    }
    assert rows(con, "select source_file, count(*) from staging.grades group by 1 order by 1") == [
        ("book.xlsx#Februāris", 2),
        ("book.xlsx#Janvāris", 1),
    ]
    # unchanged workbook: every sheet unchanged; a workbook that lost a sheet loses its rows
    assert {r.status for p, r in ingest_dir(con, raw, "r2").items() if "Janv" in p or "Febr" in p} == {"unchanged"}
    book = xlsxwriter.Workbook(raw / "book.xlsx")
    only = book.add_worksheet("Janvāris")
    only.write_row(0, 0, GRADES)
    only.write_row(1, 0, ROW)
    book.close()
    assert set(ingest_dir(con, raw, "r3")) == {"book.xlsx#Janvāris"}
    assert rows(con, "select source_file from staging.grades") == [("book.xlsx#Janvāris",)]
    assert rows(con, "select file_path from meta.files") == [("book.xlsx#Janvāris",)]


def test_a_workbook_recorded_whole_before_is_read_again_sheet_by_sheet(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    workbook(raw / "book.xlsx")
    ingest.ensure_schema(con)
    ingest.migrate_meta_files(con)
    stat = (raw / "book.xlsx").stat()
    con.execute(
        "insert into meta.files (file_path, sha256, kind, status, encoding, file_size, file_mtime_ns) "
        "values ('book.xlsx', 'old', 'grades', 'loaded', 'xlsx', ?, ?)",
        [stat.st_size, stat.st_mtime_ns],
    )
    reports = ingest_dir(con, raw)
    assert "book.xlsx" not in reports and reports["book.xlsx#Februāris"].status == "loaded"
    assert rows(con, "select count(*) from meta.files where file_path = 'book.xlsx'") == [(0,)]


def test_an_unchanged_workbook_is_not_opened_again(con, tmp_path, monkeypatch) -> None:
    """Size and mtime as recorded with its sheets: neither the names pass nor the run parses it
    (a workbook with a skipped or rejected sheet is read again, as a skipped or rejected file is)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    book = xlsxwriter.Workbook(raw / "book.xlsx")
    for name, row in (("Janvāris", ROW), ("Februāris", ["15.02.2024", BERTS, SCHOOL, "Fizika", "7", ""])):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, GRADES)
        sheet.write_row(1, 0, row)
    book.close()
    ingest_dir(con, raw)
    opened: list[int] = []
    real = ingest.containers.read_sheets
    monkeypatch.setattr(ingest.containers, "read_sheets", lambda data: opened.append(1) or real(data))
    reports = ingest_dir(con, raw, "r2")
    assert opened == []
    assert {p: r.status for p, r in reports.items()} == {
        "book.xlsx#Janvāris": "unchanged",
        "book.xlsx#Februāris": "unchanged",
    }


# --- archives -------------------------------------------------------------------------------


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_archive_members_are_files_nested_and_workbooks_too(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    book = tmp_path / "book.xlsx"
    workbook(book)
    inner = zip_bytes({"inner.csv": csv_bytes(GRADES, [["17.01.2024", BERTS, SCHOOL, "Fizika", "5", ""]])})
    (raw / "janvaris.zip").write_bytes(
        zip_bytes(
            {
                "skola/vertejumi.csv": csv_bytes(GRADES, [ROW]),
                "book.xlsx": book.read_bytes(),
                "nested.zip": inner,
                "piezimes.txt": b"Sveiki!\n",
            }
        )
    )
    reports = ingest_dir(con, raw)
    assert {p: r.status for p, r in reports.items()} == {
        "janvaris.zip/skola/vertejumi.csv": "loaded",
        "janvaris.zip/book.xlsx#Janvāris": "loaded",
        "janvaris.zip/book.xlsx#Februāris": "loaded",
        "janvaris.zip/book.xlsx#Tukša": "skipped",
        "janvaris.zip/book.xlsx#Apvienota": "rejected",
        "janvaris.zip/nested.zip/inner.csv": "loaded",
        "janvaris.zip/piezimes.txt": "skipped",
    }
    assert rows(con, "select count(*) from staging.grades") == [(5,)]
    assert {r.status for r in ingest_dir(con, raw, "r2").values() if r.status != "skipped"} <= {"unchanged", "rejected"}
    assert rows(con, "select count(*) from staging.grades") == [(5,)]


def encrypted_member(name: str, data: bytes) -> bytes:
    """A zip whose one member has the 'encrypted' flag (zipfile cannot write real encryption)."""
    raw = bytearray(zip_bytes({name: data}))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        raw[at + flag_at] |= 0x1
    return bytes(raw)


@pytest.mark.parametrize(
    ("archive", "limits", "path", "status", "reason"),
    [
        (
            zip_bytes({"../../etc/evil.csv": b"x"}),
            ArchiveLimits(),
            "a.zip",
            "rejected",
            "Arhīvā ir fails ar nedrošu ceļu (../ vai absolūts ceļš): arhīvs netiek atvērts / "
            "The archive holds a member with an unsafe path (../ or an absolute path): it is not opened",
        ),
        (
            zip_bytes({"big.csv": b"0" * 3_000_000}),  # a 3 MB member against a 2 MB limit
            ArchiveLimits(max_total_mb=2),
            "a.zip",
            "rejected",
            "Arhīvs izpakots pārsniedz robežu (1 faili, 2 MB): sadaliet to vai iesūtiet failus atsevišķi / "
            "The archive unpacked exceeds the limit (1 files, 2 MB): split it or send the files separately",
        ),
        (
            zip_bytes({f"{i}.csv": b"a" for i in range(4)}),
            ArchiveLimits(max_members=3),
            "a.zip",
            "rejected",
            "Arhīvs izpakots pārsniedz robežu (4 faili, 0 MB): sadaliet to vai iesūtiet failus atsevišķi / "
            "The archive unpacked exceeds the limit (4 files, 0 MB): split it or send the files separately",
        ),
        (
            zip_bytes({"n.zip": zip_bytes({"g.csv": csv_bytes(GRADES, [ROW])})}),
            ArchiveLimits(max_depth=1),
            "a.zip/n.zip",
            "rejected",
            "Arhīvs arhīvā dziļāk par 1 līmeņiem: iesūtiet failus bez tik daudz arhīviem / "
            "Archives nested deeper than 1 levels: send the files with fewer archives around them",
        ),
        (
            encrypted_member("g.csv", csv_bytes(GRADES, [ROW])),
            ArchiveLimits(),
            "a.zip/g.csv",
            "rejected",
            "Arhīva fails ir aizsargāts ar paroli: iesūtiet to bez paroles / "
            "The archive member is password-protected: send it without a password",
        ),
        (
            b"PK\x03\x04 truncated",
            ArchiveLimits(),
            "a.zip",
            "rejected",
            "Arhīvu nevar atvērt (bojāts zip) / The archive cannot be opened (damaged zip)",
        ),
    ],
    ids=["zip-slip", "bomb-size", "bomb-members", "too-deep", "encrypted", "damaged"],
)
def test_unsafe_or_oversized_archives_are_rejected_with_the_reason(
    con, tmp_path, archive, limits, path, status, reason
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.zip").write_bytes(archive)
    reports = ingest_dir(con, raw, archive_limits=limits)
    assert {p: (r.status, r.reason) for p, r in reports.items()} == {path: (status, reason)}
    assert not (tmp_path / "etc").exists()


# --- encodings ------------------------------------------------------------------------------


def test_utf8_with_one_stray_byte_stays_utf8_and_only_that_line_is_quarantined(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    good = csv_bytes(GRADES, [["15.01.2024", ANNA, SCHOOL, "Ķīmija", "8", ""]])
    stray = good + b"16.01.2024," + BERTS.encode() + b"," + SCHOOL.encode() + b",Fizika\xff,7,\n"
    (raw / "g.csv").write_bytes(stray)
    report = ingest_dir(con, raw)["g.csv"]
    assert (report.status, report.rows_loaded, report.rows_quarantined) == ("loaded", 1, 1)
    assert rows(con, "select subject_raw from staging.grades") == [("Ķīmija",)]  # not "Ä¶Ä«mija"
    offset = stray.index(b"\xff")
    assert rows(con, "select source_line, column_name, value, reason_code from quarantine.rows") == [
        (3, None, f"baits / byte {offset}", "invalid_encoding")
    ]
    assert rows(con, "select encoding from meta.files") == [("utf-8",)]


def test_cp1257_stays_cp1257_and_a_file_neither_decodes_is_rejected_with_the_offset(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_bytes(csv_bytes(GRADES, [["15.01.2024", ANNA, SCHOOL, "Ķīmija", "8", ""]], encoding="cp1257"))
    # \x81 is not a Windows-1257 character and the file has no UTF-8 letters
    neither = csv_bytes(GRADES, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]]) + b"x\x81,y\n"
    (raw / "b.csv").write_bytes(neither)
    reports = ingest_dir(con, raw)
    assert rows(con, "select subject_raw from staging.grades") == [("Ķīmija",)]
    assert (reports["b.csv"].status, reports["b.csv"].rows_read, reports["b.csv"].rows_quarantined) == (
        "rejected",
        2,
        2,
    )
    offset = neither.index(b"\x81")
    assert reports["b.csv"].reason == (
        f"Fails nav ne UTF-8, ne Windows-1257 teksts: nederīgs baits pozīcijā {offset} / "
        f"The file is neither UTF-8 nor Windows-1257 text: invalid byte at offset {offset}"
    )


# --- the run summary and feedback -------------------------------------------------------------


def test_read_equals_loaded_plus_quarantined_for_every_file(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    no_grade = [0, 1, 2, 3, 5]  # every column but `grade`
    (raw / "missing_column.csv").write_bytes(csv_bytes([GRADES[i] for i in no_grade], [[ROW[i] for i in no_grade]] * 2))
    (raw / "ok.csv").write_bytes(csv_bytes(GRADES, [ROW]))
    ingest_dir(con, raw)
    summary = write_run_summary(con, tmp_path / "run_summary.json", "r1")
    for f in summary["files"]:
        assert f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"], f["path"]
    assert [(f["path"], f["rows_read"], f["rows_quarantined"]) for f in summary["files"]] == [
        ("missing_column.csv", 2, 2),
        ("ok.csv", 1, 0),
    ]
    assert json.loads((tmp_path / "run_summary.json").read_text())["totals"]["rows_read"] == 3
    assert rows(con, "select file_path, school_id from meta.files order by 1") == [
        ("missing_column.csv", SCHOOL),  # the school its rows name, for its feedback file
        ("ok.csv", None),
    ]


# --- one huge file: chunks --------------------------------------------------------------------


def big_grades(n: int) -> bytes:
    marks = ["8", "7", "nv", "abc", "8"]  # repeated marks on one day: occurrences across chunks
    lines = [
        ["15.01.2024", (ANNA, BERTS)[i % 2], SCHOOL, "Fizika", marks[i % 5], ""] if i % 97 else ["", "", "", "", ""]
        for i in range(n)
    ]
    lines[1234] = [*ROW, "extra", "fields"]
    return csv_bytes(GRADES, lines, sep=";", encoding="cp1257")


def snapshot(con) -> tuple:
    return (
        rows(con, "select * from staging.grades order by all"),
        rows(con, "select * exclude (run_id) from quarantine.rows order by all"),
        rows(con, "select * exclude (ingested_at) from meta.files order by all"),
    )


def test_a_file_read_in_chunks_gives_the_same_rows_as_read_whole(tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    data = big_grades(5000)
    (raw / "g.csv").write_bytes(data)
    chunks: list[int] = []
    real = normalise.add_typed

    def counting(con, kind, prepared):
        chunks.append(prepared.height)
        return real(con, kind, prepared)

    monkeypatch.setattr(normalise, "add_typed", counting)
    results = {}
    for name, options in (("whole", {}), ("chunked", {"chunk_bytes": 8_000, "batch_rows": 500})):
        chunks.clear()
        con = connect(tmp_path / f"{name}.duckdb")
        ingest_dir(con, raw, **options)
        results[name] = snapshot(con), len(chunks)
        con.close()
    (whole, whole_chunks), (chunked, chunked_chunks) = results["whole"], results["chunked"]
    assert whole_chunks == 1 and chunked_chunks >= 10  # 5,000 rows of ~50 bytes in 8 kB chunks
    assert chunked == whole
    staged, quarantined, _ = whole
    assert len(staged) + len(quarantined) == 5000 - 52  # blank rows are not data
    assert ("g.csv", 1236) in {(q[0], q[1]) for q in quarantined if "too_many_fields" in q}


def test_a_failure_in_a_late_chunk_leaves_nothing_of_the_file(con, tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "g.csv").write_bytes(csv_bytes(GRADES, [ROW]))
    ingest_dir(con, raw)
    before = snapshot(con)
    (raw / "g.csv").write_bytes(big_grades(3000))
    real = normalise.add_typed
    seen: list[int] = []

    def failing(con, kind, prepared):
        seen.append(prepared.height)
        if len(seen) == 4:
            raise RuntimeError("simulated failure in a late chunk")
        return real(con, kind, prepared)

    monkeypatch.setattr(normalise, "add_typed", failing)
    report = ingest_dir(con, raw, "r2", chunk_bytes=8_000, batch_rows=500)["g.csv"]
    assert (report.status, report.reason) == (
        "rejected",
        "Iekšēja kļūda, fails netika ielādēts / Internal error, the file was not loaded (RuntimeError)",
    )
    assert len(seen) == 4
    assert snapshot(con) == before  # the earlier version's rows and record, exactly


def test_duckdb_memory_is_lowered_for_a_huge_file_and_set_back(con, tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "g.csv").write_bytes(big_grades(2000))
    con.execute("SET memory_limit = '2GB'")
    limits: list[str] = []
    real = normalise.add_typed

    def recording(con, kind, prepared):
        limits.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return real(con, kind, prepared)

    monkeypatch.setattr(normalise, "add_typed", recording)
    ingest_dir(con, raw, chunk_bytes=8_000, memory_limit="2GB")
    assert set(limits) == {"953.6 MiB"}  # ingest.STREAM_MEMORY_LIMIT, 1 GB
    assert rows(con, "select current_setting('memory_limit')") == [("1.8 GiB",)]  # 2 GB again


def test_a_personal_code_in_an_archive_or_member_name_is_never_stored(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    code = "160411-28446"
    (raw / f"IAP {code}.zip").write_bytes(zip_bytes({f"{code}.csv": csv_bytes(GRADES, [ROW]), "b.csv": b"x\n"}))
    first = ingest_dir(con, raw)
    assert code not in json.dumps(list(first)) and len(first) == 2
    stored = rows(con, "select file_path, status from meta.files order by 1")
    assert not [p for p, _ in stored if code in p or code.replace("-", "") in p]
    assert rows(con, "select count(*) from staging.grades where source_file like 'IAP ***.zip/***.csv%'") == [(1,)]
    # the next run finds the same stored paths: unchanged, nothing removed or doubled
    second = ingest_dir(con, raw, "r2")
    assert set(second) == set(first)
    assert rows(con, "select count(*) from staging.grades") == [(1,)]
    # the archive replaced without that member: its rows go
    (raw / f"IAP {code}.zip").write_bytes(zip_bytes({"b.csv": b"x\n"}))
    ingest_dir(con, raw, "r3")
    assert rows(con, "select count(*) from staging.grades") == [(0,)]
    assert len(rows(con, "select * from meta.files")) == 1


# --- one very long line --------------------------------------------------------------------------


def too_long(line: int, size: str) -> str:
    return (
        f"Rinda {line} ir garāka par {size} (vai tajā pēdiņa nav aizvērta): pārbaudiet, vai fails ir eksports ar "
        f"vienu ierakstu katrā rindā, un iesūtiet to vēlreiz / Line {line} is longer than {size} (or a quote in it "
        f"is not closed): check that the file is an export with one record per line, and send it again"
    )


def test_a_line_longer_than_the_limit_rejects_its_file_with_the_line_and_the_others_load(con, tmp_path) -> None:
    """One huge line would be parsed as one record in one piece (a 300 MB line inside a small zip
    took 4.3 GB): the file is rejected before it is parsed, with its line; a line of exactly the
    limit still loads; a quote left open in a file read in chunks names the line it opens on."""
    raw = tmp_path / "raw"
    raw.mkdir()
    limit = 1024
    exact = ["15.01.2024", ANNA, SCHOOL, "F" * (limit - 38), "8", ""]
    assert len(",".join(exact).encode()) == limit
    (raw / "ok.csv").write_bytes(csv_bytes(GRADES, [ROW, exact]))
    long_row = ["15.01.2024", ANNA, SCHOOL, "Fizika" + "x" * 5000, "8", ""]
    member = csv_bytes(GRADES, [ROW, ROW, [], long_row, ROW])
    with zipfile.ZipFile(raw / "a.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("g.csv", member)
    (raw / "one_line.txt").write_bytes(b"Datums;Personas kods;" + b"y" * 5000)  # no header it could be: still told
    open_quote = [ROW, ROW, ["15.01.2024", ANNA, SCHOOL, '"Fizika', "8", ""], *[ROW] * 400]
    (raw / "quote.csv").write_bytes(csv_bytes(GRADES, open_quote))
    reports = ingest_dir(con, raw, max_line_bytes=limit, chunk_bytes=8_000)
    found = {p: (r.status, r.reason, r.rows_read, r.rows_quarantined) for p, r in reports.items()}
    assert found == {
        "ok.csv": ("loaded", None, 2, 0),
        "a.zip/g.csv": ("rejected", too_long(5, "1 KB"), 4, 4),
        "one_line.txt": ("rejected", too_long(1, "1 KB"), 0, 0),
        "quote.csv": ("rejected", too_long(4, "1 KB"), 403, 403),
    }
    assert rows(con, "select count(*) from staging.grades") == [(2,)]
