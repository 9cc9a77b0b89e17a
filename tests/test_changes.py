"""exports/changes.csv and history/: two small published folders written here, compared cell by cell."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.changes import (
    CHANGES_NAME,
    by_file,
    changes_csv,
    compare,
    diff_runs,
    latest_changes,
    previous_run,
    record_exports,
    text_columns_of,
)
from pipelines.cli import app

FIELDS = [
    {"name": "municipality", "type": "string"},
    {"name": "semester", "type": "string"},
    {"name": "n_pupils", "type": "integer"},
    {"name": "effect", "type": "number"},
    {"name": "note", "type": "string"},
]


def publish(folder: Path, rows: list[list[str]], *, key: tuple[str, ...] = ("municipality", "semester")) -> Path:
    """One published file (CSV as the export writes it) with its datapackage.json."""
    folder.mkdir(parents=True, exist_ok=True)
    package = {
        "resources": [
            {"name": "t", "path": "t.csv", "schema": {"fields": FIELDS, "primaryKey": list(key)}},
            {"name": "nokey", "path": "nokey.csv", "schema": {"fields": FIELDS[:1]}},
        ]
    }
    (folder / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    with (folder / "t.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f["name"] for f in FIELDS])
        writer.writerows(rows)
    (folder / "nokey.csv").write_text("municipality\nRīga\n", encoding="utf-8")
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    return folder


OLD = [
    ["ALL", "ALL", "40", "0.30", ""],
    ["Rīga", "1", "", "-0.10", "'=HYPERLINK()"],  # a withheld count (empty) and a made-safe text
    ["Rīga", "2", "12", "0.25", "ok"],
    ["Cēsis", "1", "7", "0.10", ""],
]
NEW = [
    ["Cēsis", "1", "7", "0.10", ""],  # the same row, elsewhere in the file: no change
    ["ALL", "ALL", "41", "0.30", ""],
    ["Rīga", "1", "", "-0.40", "'=HYPERLINK()"],
    ["Rīga", "2", "", "0.25", "ok"],  # withheld now
    ["Ludza", "1", "5", "0.00", "+new"],
]


def read_changes(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_changes_repeat_published_cells_only_keyed_by_the_primary_key(tmp_path: Path) -> None:
    history, exports = tmp_path / "history", tmp_path / "exports"
    publish(history / "20250101T000000-aaaaaa", OLD)
    publish(exports, NEW)

    summary = record_exports(exports, history, "20250201T000000-bbbbbb")

    rows = read_changes(exports / CHANGES_NAME)
    assert rows[0] == ["file", "key", "column", "old", "new"]
    assert sorted(rows[1:]) == sorted(
        [
            ["t.csv", "municipality=ALL; semester=ALL", "n_pupils", "40", "41"],
            ["t.csv", "municipality=Rīga; semester=1", "effect", "-0.10", "-0.40"],  # a number stays a number
            ["t.csv", "municipality=Rīga; semester=2", "n_pupils", "12", ""],  # withheld stays empty
            ["t.csv", "municipality=Ludza; semester=1", "*", "absent", "present"],
        ]
    )
    assert (summary.cells_changed, summary.rows_added, summary.rows_removed) == (3, 1, 0)
    assert summary.previous_run == "20250101T000000-aaaaaa"
    assert summary.largest is not None and summary.largest["column"] == "n_pupils"  # 12 → withheld is no distance
    assert summary.files_not_compared == []  # nokey.csv has no primary key: never compared, never listed
    assert "3 cells changed, 1 new rows" in summary.sentence("en")
    assert "lielākā izmaiņa: t.csv n_pupils" in summary.sentence("lv")
    kept = history / "20250201T000000-bbbbbb"
    assert sorted(p.name for p in kept.iterdir()) == ["datapackage.json", "manifest.json", "nokey.csv", "t.csv"]


def test_text_that_a_spreadsheet_would_run_is_made_safe(tmp_path: Path) -> None:
    old = publish(tmp_path / "a", [["=cmd", "1", "5", "0.1", "-x"]])
    new = publish(tmp_path / "b", [["=cmd", "1", "6", "0.1", "@y"]])
    changes, _ = compare(old, new)

    text = changes_csv(changes, text_columns_of(new)).decode("utf-8")
    assert text.splitlines()[1:] == [
        "t.csv,municipality==cmd; semester=1,n_pupils,5,6",
        "t.csv,municipality==cmd; semester=1,note,'-x,'@y",
    ]


def test_first_run_has_an_empty_change_list_and_diff_compares_any_two_kept_runs(tmp_path: Path) -> None:
    history, exports = tmp_path / "history", tmp_path / "exports"
    publish(exports, OLD)
    first = record_exports(exports, history, "20250101T000000-aaaaaa")
    assert first.previous_run is None
    assert read_changes(exports / CHANGES_NAME) == [["file", "key", "column", "old", "new"]]
    publish(exports, NEW)
    record_exports(exports, history, "20250201T000000-bbbbbb")
    publish(exports, OLD)
    record_exports(exports, history, "20250301T000000-cccccc")
    assert previous_run(history, "20250301T000000-cccccc") == history / "20250201T000000-bbbbbb"
    assert not (history / "20250301T000000-cccccc" / CHANGES_NAME).exists()

    changes, summary = diff_runs(history, "20250101T000000-aaaaaa", "20250301T000000-cccccc")
    assert changes == [] and summary.cells_changed == 0

    result = CliRunner().invoke(
        app, ["diff", "20250101T000000-aaaaaa", "20250201T000000-bbbbbb", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "3 cells changed, 1 new rows, 0 removed" in result.output and "present" in result.output
    missing = CliRunner().invoke(app, ["diff", "nope", "20250201T000000-bbbbbb", "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "nope" in missing.output and "Traceback" not in missing.output


@pytest.mark.parametrize("key", [("municipality",), ("municipality", "semester", "note")])
def test_a_file_whose_key_changed_is_named_not_compared(tmp_path: Path, key: tuple[str, ...]) -> None:
    old = publish(tmp_path / "a", OLD)
    new = publish(tmp_path / "b", OLD, key=key)
    changes, summary = compare(old, new)
    assert changes == [] and summary.files_not_compared == ["t.csv"]


def test_latest_changes_compares_the_last_two_kept_runs_up_to_the_run(tmp_path: Path) -> None:
    """The index report's section: the run's kept exports against the run before; a report run on its
    own (a run id that kept nothing) shows the latest kept run's changes."""
    history = tmp_path / "history"
    assert latest_changes(history, "r3") is None  # nothing kept yet
    publish(history / "r1", OLD)
    first = latest_changes(history, "r1")
    assert first is not None and first[1].previous_run is None and first[0] == []
    publish(history / "r2", NEW)
    publish(history / "r9", OLD)  # a later run than the one reported: not used
    for run in ("r2", "r3"):
        listed, summary = latest_changes(history, run)
        assert (summary.previous_run, summary.run) == ("r1", "r2")
        assert by_file(listed) == {"t.csv": (summary.cells_changed, summary.rows_added, summary.rows_removed)}
        assert summary.cells_changed > 0
