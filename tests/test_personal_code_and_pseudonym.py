"""Personal codes are checked with python-stdnum; pseudonyms are keyed and stable."""

import unicodedata

import duckdb
import pytest

from pipelines.personal_code import (
    DIGIT_ZEROS,
    MASK,
    code_shape_sql,
    compact_personal_code,
    looks_like_code,
    make_new_code,
    make_old_code,
    mask_codes,
)
from pipelines.pseudonym import DEMO_KEY, KEY_ENV, MissingKeyError, load_key, pseudonym


def test_generated_codes_of_both_formats_are_valid():
    old = make_old_code(16, 11, 2011, 123)
    new = make_new_code(8_673_006)
    assert old.startswith("161111-2") and compact_personal_code(old) == (old.replace("-", ""), None)
    assert new.startswith("32") and compact_personal_code(new) == (new.replace("-", ""), None)


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("161175-19998", "invalid_personal_code_checksum"),
        ("161375-19997", "invalid_personal_code_date"),
        ("328673-00677", "invalid_personal_code_checksum"),
        ("12345", "invalid_personal_code_format"),
        ("40003521600", "invalid_personal_code_format"),  # a company number
        ("", "missing_personal_code"),
    ],
)
def test_invalid_codes_name_the_reason(code, reason):
    assert compact_personal_code(code) == (None, reason)


def test_pseudonym_is_keyed_and_stable():
    a = pseudonym(b"k1", "16117519997")
    assert a == pseudonym(b"k1", "16117519997")
    assert a != pseudonym(b"k2", "16117519997")
    assert a != pseudonym(b"k1", "16117519997", "staff")
    assert len(a) == 16 and "16117519997" not in a


def test_no_key_is_refused_with_a_message(monkeypatch, tmp_path):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(MissingKeyError, match=KEY_ENV):
        load_key(tmp_path / "missing.key")
    (tmp_path / "k.key").write_text("secret-from-the-key-file-32-chars\n")
    assert load_key(tmp_path / "k.key") == b"secret-from-the-key-file-32-chars"
    monkeypatch.setenv(KEY_ENV, "secret-from-the-environment-32-ch")
    assert load_key(tmp_path / "k.key") == b"secret-from-the-environment-32-ch"
    monkeypatch.delenv(KEY_ENV)
    (tmp_path / "k.key").unlink()
    assert load_key(tmp_path / "k.key", demo=True) == DEMO_KEY.encode()


# the privacy probe's spellings (finding A3): every one is a code to mask, in Python and in DuckDB
CODE_SPELLINGS = [
    "140311-21233", "140311_21233", "140311.21233", "140311 - 21233", "140311  21233", "140311\u00a021233",
    "140311/21233", "14 03 11-21233", "14031121233", "140311\u201321233", "140311\u201421233", "320424.24247",
    "１４０３１１-２１２３３", "１４０３１１－２１２３３", "140311\u202f21233", "iap_140311~21233.csv",
    "a/140311/21233/x.csv", "Matemātika 14.03.11 - 21233", "x140311-21233y",
]  # fmt: skip
NOT_CODES = ["2025-10-16 12:30:45.123456", "40003032949", "1403112123355", "7013971576", "1 234,50", "15.01.2024",
             "2024 12345", "export_20240915123045.csv"]  # fmt: skip


# the second probe's layouts (finding P3): any grouping of the 11 digits, runs of separators, a digit
# dropped from `DDMMYY-NNNNN`; as written in free text, file names and ids
PROBE_LAYOUTS = {  # text -> masked: no digit of the code is left beside the mask (not `P*** 554`)
    "2812 1728 554": "***", "28121-728554": "***", "0803 1724 148": "***", "08031 724148": "***",
    "2812-1728-554": "***", "281217  -  28554": "***", "2 8 1 2 1 7 2 8 5 5 4": "***", "3212345678 9": "***",
    "281217-2855": "***", "281217-285544": "***", "28 12 17 28554": "***", "28.12.17-28554": "***",
    "+371 2812 1728 554": "+***",
    "Matemātika 2812 1728 554": "Matemātika ***", "P26-9 2812 1728 554": "P***",
    "Psihologs *** *** 08031 724148": "Psihologs *** *** ***", "40 Estere 2812 1728 554": "40 Estere ***",
    "konsultacijas_2026-01_Estere_Lāce_2812 1728 554.csv": "konsultacijas_2026-01_Estere_Lāce_***.csv",
    "Līga Ozoliņa 0803 1724 148/konsultacijas_2026-01.csv": "Līga Ozoliņa ***/konsultacijas_2026-01.csv",
    "１４０３ １１２ １２３３": "***", "2812\u00a01728\u00a0554": "***",
}  # fmt: skip
# ordinary values beside which codes are written: dates, times, amounts, school register codes (10
# digits: never masked, in the id column or as a folder), two dates, a code short of two digits
ORDINARY = [
    "2026-01-15", "15.01.2026.", "40,00", "12,00", "12:30", "2026-01-15 08:30", "05.01.2026 12:30", "2712900123",
    "3013971576", "7013971576", "madonas-novads/2712900123/konsultacijas_2026-01.csv", "2712900123/2026-01/x.csv",
    "15.01.2026 - 16.01.2026", "01.09.2025-31.05.2026", "281217-285", "1 234 567,89", "29 123 456", "2025/2026",
    "P26-9", "Matemātika 40 min", "7.a 2025/2026 40",
]  # fmt: skip


@pytest.mark.parametrize("text", PROBE_LAYOUTS)
def test_a_code_in_any_grouping_is_found_by_both_renderings_and_masked_whole(text):
    con = duckdb.connect()
    assert looks_like_code(text)
    assert con.execute(f"select regexp_matches(?, {code_shape_sql()})", [text]).fetchone() == (True,)
    assert mask_codes(text) == PROBE_LAYOUTS[text]


@pytest.mark.parametrize("text", ORDINARY)
def test_dates_amounts_times_and_school_ids_are_no_code(text):
    con = duckdb.connect()
    assert not looks_like_code(text)
    assert con.execute(f"select regexp_matches(?, {code_shape_sql()})", [text]).fetchone() == (False,)
    assert mask_codes(text) == text


@pytest.mark.parametrize("text", CODE_SPELLINGS)
def test_every_spelling_of_a_code_is_found_by_both_renderings_of_the_one_shape(text):
    con = duckdb.connect()
    assert looks_like_code(text)
    assert con.execute(f"select regexp_matches(?, {code_shape_sql()})", [text]).fetchone() == (True,)
    assert "140311" not in mask_codes(text) and "21233" not in mask_codes(text) and MASK in mask_codes(text)


@pytest.mark.parametrize("text", NOT_CODES)
def test_numbers_that_are_no_code_are_left_by_both_renderings(text):
    con = duckdb.connect()
    assert not looks_like_code(text)
    assert con.execute(f"select regexp_matches(?, {code_shape_sql()})", [text]).fetchone() == (False,)


def test_the_digit_table_is_every_unicode_decimal_digit_run():
    zeros = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Nd" and unicodedata.decimal(chr(c)) == 0]
    assert tuple(zeros) == DIGIT_ZEROS
