"""Personal codes are checked with python-stdnum; pseudonyms are keyed and stable."""

import pytest

from pipelines.personal_code import compact_personal_code, make_new_code, make_old_code
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
