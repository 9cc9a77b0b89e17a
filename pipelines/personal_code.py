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
# Old codes DDMMYY-CNNNN (day 01–31) and new ones 32xxxx-xxxxx, with a dash, a space (a code column accepts
# both: python-stdnum drops them) or nothing between the parts; not part of
# a longer number (a timestamp), and not a company's registration number (first digit 4 or more).
PERSONAL_CODE_SHAPE = re.compile(r"(?<!\d)[0-3]\d{5}[-\u2010-\u2015\u2212 ]?\d{5}(?!\d)")


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
