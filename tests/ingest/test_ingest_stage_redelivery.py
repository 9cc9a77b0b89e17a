"""Re-deliveries and per-run costs: each entry counted once, unchanged files left alone (not even
hashed), changed files replace their rows, batches of files give the same rows as one at a time."""

from __future__ import annotations

import os

from ingest_fixtures import (
    ANNA,
    BAD_CHECK,
    BERTS,
    GRADES_HEADER_EN,
    GRADES_HEADER_LV,
    KEY,
    SCHOOL,
    ingest_dir,
    rows,
    write,
)

import pipelines.ingest.stage as ingest
from pipelines.ingest.stage import run_ingest
from pipelines.warehouse import connect


def test_cumulative_redelivery_counts_each_entry_once(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    october = [
        ["01.10.2024", ANNA, SCHOOL, "Fizika", "8", ""],
        ["01.10.2024", ANNA, SCHOOL, "Fizika", "8", ""],  # two identical marks on one day: both real
        ["02.10.2024", BERTS, SCHOOL, "Fizika", "6", ""],
    ]
    later = [["03.06.2025", ANNA, SCHOOL, "Fizika", "9", ""], ["04.06.2025", BERTS, SCHOOL, "Fizika", "nv", ""]]
    write(raw / "2024-10" / "grades.csv", GRADES_HEADER_EN, october)
    # June's year-to-date export repeats October's rows, in another dialect and order
    june = [[r[0], r[1], r[2], r[3].upper(), r[4], r[5]] for r in reversed(october)] + later
    write(raw / "2025-06" / "grades.csv", GRADES_HEADER_LV, june, sep=";", encoding="cp1257", newline="\r\n")
    ingest_dir(con, raw)
    assert rows(con, "select count(*), count(distinct row_key) from staging.grades") == [(8, 5)]
    keys = rows(con, "select source_file, row_key from staging.grades where grade_raw = '8' order by 1, 2")
    assert [k.split("#")[1] for _, k in keys] == ["1", "2", "1", "2"]
    assert {k for f, k in keys if f.startswith("2024")} == {k for f, k in keys if f.startswith("2025")}


def test_unchanged_file_is_not_rewritten(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest_dir(con, raw, "r1")
    before = rows(con, "select * from staging.grades")
    meta_before = rows(con, "select sha256, ingested_at, run_id from meta.files")
    report = ingest_dir(con, raw, "r2")["g.csv"]
    assert (report.status, report.rows_loaded) == ("unchanged", 1)
    assert rows(con, "select * from staging.grades") == before
    assert rows(con, "select sha256, ingested_at, run_id from meta.files") == meta_before
    assert rows(con, "select status from meta.files") == [("unchanged",)]


def test_changed_file_replaces_its_earlier_rows(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    path = write(
        raw / "g.csv",
        GRADES_HEADER_EN,
        [
            ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""],
            ["16.01.2024", ANNA, SCHOOL, "Fizika", "abc", ""],
        ],
    )
    write(raw / "other.csv", GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "5", ""]])
    ingest_dir(con, raw, "r1")
    write(path.parent / path.name, GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "9", ""]])
    reports = ingest_dir(con, raw, "r2")
    assert reports["g.csv"].status == "loaded" and reports["other.csv"].status == "unchanged"
    assert rows(con, "select source_file, grade_raw from staging.grades order by 1") == [
        ("g.csv", "9"),
        ("other.csv", "5"),
    ]
    assert rows(con, "select count(*) from quarantine.rows") == [(0,)]
    assert rows(
        con, "select file_path, rows_read, rows_loaded, rows_quarantined, run_id from meta.files order by 1"
    ) == [
        ("g.csv", 1, 1, 0, "r2"),
        ("other.csv", 1, 1, 0, "r1"),
    ]


def test_same_content_at_a_new_path_is_loaded_with_the_same_row_keys(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "a" / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    write(raw / "b" / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest_dir(con, raw)
    assert rows(con, "select count(*), count(distinct row_key) from staging.grades") == [(2, 1)]


def count_hashes(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = ingest.content_hash

    def counting(data: bytes) -> str:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(ingest, "content_hash", counting)
    return calls


def test_untouched_file_is_not_even_hashed_and_a_touched_one_is(con, tmp_path, monkeypatch) -> None:
    raw = tmp_path / "raw"
    g = write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    h = write(raw / "h.csv", GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "7", ""]])
    ingest_dir(con, raw, "r1")
    stat = g.stat()
    assert rows(con, "select file_size, file_mtime_ns from meta.files where file_path = 'g.csv'") == [
        (stat.st_size, stat.st_mtime_ns)
    ]
    hashed = count_hashes(monkeypatch)
    reports = ingest_dir(con, raw, "r2")
    assert hashed == []
    assert (reports["g.csv"].status, reports["g.csv"].rows_loaded, reports["g.csv"].kind) == ("unchanged", 1, "grades")
    assert rows(con, "select status, run_id from meta.files order by 1") == [("unchanged", "r1")] * 2

    # same bytes, new mtime: hashed once, still unchanged, and the new stat is remembered
    os.utime(g, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    # new bytes of the same size: hashed and loaded
    old = h.stat()
    write(h, GRADES_HEADER_EN, [["15.01.2024", BERTS, SCHOOL, "Fizika", "9", ""]])
    os.utime(h, ns=(old.st_atime_ns, old.st_mtime_ns + 5_000_000_000))  # a coarse clock could repeat the mtime
    reports = ingest_dir(con, raw, "r3")
    assert sorted(hashed) == [g.stat().st_size, h.stat().st_size]
    assert (reports["g.csv"].status, reports["h.csv"].status) == ("unchanged", "loaded")
    assert rows(con, "select grade_raw from staging.grades order by 1") == [("8",), ("9",)]
    assert rows(con, "select file_mtime_ns from meta.files where file_path = 'g.csv'") == [(g.stat().st_mtime_ns,)]
    hashed.clear()
    ingest_dir(con, raw, "r4")
    assert hashed == []


def test_old_warehouse_gains_the_stat_columns_and_settings_are_restored(con, tmp_path) -> None:
    raw = tmp_path / "raw"
    write(raw / "g.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]])
    ingest.ensure_schema(con)  # meta.files as schema.sql creates it, without file_size / file_mtime_ns
    con.execute("insert into meta.files (file_path, sha256, kind, status) values ('gone.csv', 'x', 'grades', 'loaded')")
    before = rows(con, "select current_setting('checkpoint_threshold')")
    ingest_dir(con, raw)
    assert rows(con, "select current_setting('checkpoint_threshold')") == before
    assert rows(con, "select file_path, file_size is null from meta.files order by 1") == [
        ("g.csv", False),
        ("gone.csv", True),
    ]
    # a table with no ingest errors gets no quarantine insert, a file of only errors no staging insert
    write(raw / "bad.csv", GRADES_HEADER_EN, [["15.01.2024", BAD_CHECK, SCHOOL, "Fizika", "8", ""]])
    reports = ingest_dir(con, raw, "r2")
    assert (reports["bad.csv"].rows_loaded, reports["bad.csv"].rows_quarantined) == (0, 1)
    assert rows(con, "select source_file, count(*) from quarantine.rows group by 1") == [("bad.csv", 1)]


def test_batches_of_files_give_the_same_rows_as_one_file_at_a_time(tmp_path) -> None:
    """Typing files of one kind together must not change a single row, key, line or count."""
    from pipelines.sample import write_sample

    raw = tmp_path / "raw"
    write_sample(raw, schools=2, seed=11)
    write(raw / "dup.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]] * 3)
    write(raw / "dup2.csv", GRADES_HEADER_EN, [["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]] * 2)
    tables = ("staging.schools", "staging.pupils", "staging.plans", "staging.consultations", "staging.grades")
    tables += (
        "staging.activities",
        "staging.financial_support",
        "staging.costs",
        "staging.attendance",
    )  # the sample writes them too
    results = {}
    for name, batch_files in (("one", 1), ("batched", 10_000)):
        con = connect(tmp_path / f"{name}.duckdb")
        reports = run_ingest(con, raw, KEY, "r1", batch_files=batch_files).files
        results[name] = (
            [(f.path, f.status, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in reports],
            {t: rows(con, f"select * from {t} order by all") for t in tables},
            rows(con, "select * from quarantine.rows order by all"),
            rows(con, "select * exclude (ingested_at) from meta.files order by all"),
        )
        con.close()
    assert results["one"] == results["batched"]
    files, staged, quarantined, _ = results["batched"]
    assert sum(f[2] for f in files if f[1] == "loaded") == sum(len(v) for v in staged.values()) + len(quarantined)
    assert len(quarantined) > 0 and len(staged["staging.grades"]) > 1000
    # equal marks in one file differ by their occurrence; across files (a re-delivery) the keys repeat
    keys = sorted(r[2] for r in staged["staging.grades"] if r[0] in ("dup.csv", "dup2.csv"))
    assert [k.split("#")[1] for k in keys] == ["1", "1", "2", "2", "3"]
    assert len({k.split("#")[0] for k in keys}) == 1


def test_repeated_contents_are_numbered_in_line_order_across_chunks_and_files(tmp_path) -> None:
    """Only contents that repeat in a file are numbered by a window (normalise.keyed_rows_sql); the
    rest are `#1`. A file read chunk by chunk and the same file read at once give the same keys;
    an error row with the same cells does not take a number; another file starts again at `#1`."""
    raw = tmp_path / "raw"
    same = ["15.01.2024", ANNA, SCHOOL, "Fizika", "8", ""]
    body = []
    for i in range(600):  # the same mark on lines 2, 202, 402; a bad code in between
        day = f"{1 + i % 28:02d}.{1 + i // 28 % 12:02d}.{2024 + i // 336}"  # no two alike
        body.append(same if i % 200 == 0 else [day, BERTS, SCHOOL, "Fizika", str(1 + i % 10), ""])
    body[300] = ["15.01.2024", BAD_CHECK, SCHOOL, "Fizika", "8", ""]
    write(raw / "big.csv", GRADES_HEADER_EN, body)
    write(raw / "small.csv", GRADES_HEADER_EN, [body[0], body[1], body[0]])
    keys = {}
    for name, chunk_bytes in (("whole", 10_000_000), ("chunked", 4_000)):
        con = connect(tmp_path / f"{name}.duckdb")
        run_ingest(con, raw, KEY, "r1", chunk_bytes=chunk_bytes, batch_rows=150)
        keys[name] = rows(con, "select source_file, source_line, row_key from staging.grades order by 1, 2")
        con.close()
    assert keys["whole"] == keys["chunked"] and len(keys["whole"]) == 599 + 3
    big = {line: key for f, line, key in keys["whole"] if f == "big.csv"}
    assert [big[line].split("#")[1] for line in (2, 202, 402)] == ["1", "2", "3"]
    assert len({big[line].split("#")[0] for line in (2, 202, 402)}) == 1
    assert all(key.endswith("#1") for line, key in big.items() if line not in (202, 402))
    small = [key for f, _, key in keys["whole"] if f == "small.csv"]
    assert [k.split("#")[1] for k in small] == ["1", "1", "2"] and small[0] == big[2]
