"""Latvian personal codes (personas kods): checked with python-stdnum, never stored.

Old codes are `DDMMYY-CNNNN` (birth date, century digit, serial, check digit); codes issued
since July 2017 start with `32` and carry no birth date. python-stdnum's `lv.pvn` validates
both forms of a natural person's code (an 11-digit VAT number of a person is the personal code).
"""

from __future__ import annotations

import re

from stdnum import exceptions
from stdnum.lv import pvn

MASK = "***"  # what stands where a personal code or name was

# The one definition of "shaped like a personal code", rendered for Python (re: PERSONAL_CODE_SHAPE)
# and DuckDB (RE2, no lookbehind: code_shape_sql, used by the ingest macro and the feedback query).
# Broad on purpose: masking a number that merely looks like a code is acceptable, missing a code is
# not. A code is 11 digits, first digit 0-3 (a company's registration number starts with 4 or more),
# written in any grouping: up to SEPARATOR_RUN separators between ANY two digits (any space, dashes,
# `_`, `.`, `/`, `\`, `~`, `,`, `:` and their fullwidth forms: `140311-21233`, `14 03 11-21233`,
# `2812 1728 554`, `28121-728554`, `281217  -  28554`, `2 8 1 2 1 7 2 8 5 5 4`), any Unicode decimal
# digit (fullwidth `１４０３１１`), neither first nor last digit touching another digit (a timestamp or
# a longer number is no code). Also the code's own layout with a digit dropped or typed twice,
# `DDMMYY-NNNN` / `DDMMYY-NNNNNN` (6 digits, separators, 4 or 6: `281217-2855`), as a typo still
# identifies a pupil; ten digits in any other layout are not masked, as a school's register code is
# ten digits (`2712900123`).
SEPARATOR_CHARS = (
    "-_./\\~,:\u00b7\u200b\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\ufeff"
    "\uff0c\uff0d\uff0e\uff0f\uff1a\uff3c\uff3f\uff5e"
)
SEPARATOR_RUN = 5  # `281217  -  28554`: two spaces either side of a dash
NEAR_MISS_RUN = 3  # separators between the 6 and the 4 (or 6) digits of a code with a digit dropped (or added)


def _ranges(chars: list[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for c in sorted(ord(ch) for ch in chars):
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


# Where each run of Unicode decimal digits 0-9 starts (category Nd, Unicode 14; tested against
# unicodedata): a code's first digit is one worth 0-3 in any of them (a table, as finding them
# among all 1.1 million characters costs ~1 s at import).
DIGIT_ZEROS = (
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66, 0xDE6, 0xE50,
    0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40,
    0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x10D30, 0x11066,
    0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950,
    0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6,
    0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
)  # fmt: skip
FIRST_DIGITS = [(zero, zero + 3) for zero in DIGIT_ZEROS]


def _escape(code: int, engine: str) -> str:
    if engine == "re2":
        return f"\\x{{{code:04X}}}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def _class(ranges: list[tuple[int, int]], engine: str, extra: str = "") -> str:
    parts = [_escape(a, engine) if a == b else f"{_escape(a, engine)}-{_escape(b, engine)}" for a, b in ranges]
    return f"[{extra}{''.join(parts)}]"


def code_shape(engine: str = "python") -> str:
    """The personal-code shape as regex text, for `python` (re) or `re2` (DuckDB): the same classes
    written in each engine's syntax. RE2 has no lookbehind, so its boundaries are groups; use it
    only to test whether a value holds a code (ingest_no_code masks the whole value)."""
    space = "\\s" if engine == "python" else "\\s\\p{Z}"
    separator = _class(_ranges(list(SEPARATOR_CHARS)), engine, space)
    digit = "\\d" if engine == "python" else "\\p{Nd}"
    first = _class(FIRST_DIGITS, engine)
    eleven = f"{first}(?:{separator}{{0,{SEPARATOR_RUN}}}{digit}){{10}}"
    near_miss = f"{first}{digit}{{5}}{separator}{{1,{NEAR_MISS_RUN}}}{digit}{{4}}(?:{digit}{{2}})?"
    body = f"(?:{eleven}|{near_miss})"
    if engine == "python":
        return f"(?<!{digit}){body}(?!{digit})"
    return f"(?:^|\\P{{Nd}}){body}(?:\\P{{Nd}}|$)"


PERSONAL_CODE_SHAPE = re.compile(code_shape("python"))


def _number_run() -> re.Pattern[str]:
    separator = _class(_ranges(list(SEPARATOR_CHARS)), "python", "\\s")
    return re.compile(f"\\d(?:{separator}{{0,{SEPARATOR_RUN}}}\\d)*")


# Digits joined by separators as the shape joins them (`P26-9 2812 1728 554`): masked whole when any
# part of it is a code, so no digit of a code is left beside the mask (`P*** 554`).
NUMBER_RUN = _number_run()


def looks_like_code(text: str | None) -> bool:
    """Whether a text holds anything shaped like a personal code (PERSONAL_CODE_SHAPE)."""
    return text is not None and PERSONAL_CODE_SHAPE.search(text) is not None


def mask_codes(text: str) -> str:
    """Every run of digits and separators (NUMBER_RUN) holding a personal-code shape replaced by MASK."""
    return NUMBER_RUN.sub(lambda run: MASK if PERSONAL_CODE_SHAPE.search(run.group()) else run.group(), text)


def code_shape_sql() -> str:
    """code_shape("re2") as a SQL string literal (it holds no quote)."""
    pattern = code_shape("re2")
    assert "'" not in pattern, "the pattern is pasted into SQL between quotes"
    return f"'{pattern}'"


def compact_personal_code(value: str | None) -> tuple[str | None, str | None]:
    """(11 digits, None) for a valid personal code, else (None, reason_code)."""
    if value is None or not str(value).strip():
        return None, "missing_personal_code"
    text = str(value).strip()
    try:
        digits = pvn.validate(text)
    except exceptions.InvalidChecksum:
        return None, "invalid_personal_code_checksum"
    except exceptions.InvalidComponent:
        return None, "invalid_personal_code_date"
    except exceptions.ValidationError:
        return None, "invalid_personal_code_format"
    if digits[0] > "3":  # a company's registration number, not a person
        return None, "invalid_personal_code_format"
    return digits, None


def make_old_code(day: int, month: int, year: int, serial: int) -> str:
    """A valid old-format code for a birth date; used by the sample generator."""
    century = {1800: 0, 1900: 1, 2000: 2}[year // 100 * 100]
    body = f"{day:02d}{month:02d}{year % 100:02d}{century}{serial % 1000:03d}"
    return f"{body[:6]}-{body[6:]}{pvn.calc_check_digit_pers(body)}"


def make_new_code(serial: int) -> str:
    """A valid post-2017 `32…` code; used by the sample generator."""
    body = f"32{serial % 10**8:08d}"
    return f"{body[:6]}-{body[6:]}{pvn.calc_check_digit_pers(body)}"
