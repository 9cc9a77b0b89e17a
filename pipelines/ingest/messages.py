"""What a school is told about a quarantined row: a stable reason code and what to fix, LV and EN."""

from __future__ import annotations

import polars as pl

from pipelines.contract import COLUMNS

# reason_code -> (Latvian, English); {lv}/{en} are the column's header names.
REASONS: dict[str, tuple[str, str]] = {
    "missing_required": (
        "Kolonnā “{lv}” trūkst obligātās vērtības: aizpildiet to.",
        "Required value missing in column '{en}': fill it in.",
    ),
    "invalid_personal_code_format": (
        "Personas koda formāts nav derīgs: jābūt 11 cipariem, piemēram, 010190-12345 vai 32xxxx-xxxxx.",
        "The personal code has an invalid format: it must have 11 digits, e.g. 010190-12345 or 32xxxx-xxxxx.",
    ),
    "invalid_personal_code_date": (
        "Personas koda sākumā nav derīga dzimšanas datuma: pārbaudiet kodu.",
        "The personal code does not start with a valid birth date: check the code.",
    ),
    "invalid_personal_code_checksum": (
        "Personas koda kontrolcipars nesakrīt: kodā ir drukas kļūda.",
        "The personal code's check digit does not match: the code has a typo.",
    ),
    "unparseable_date": (
        "Kolonnā “{lv}” nav nolasāma datuma: rakstiet DD.MM.GGGG vai GGGG-MM-DD.",
        "Column '{en}' holds no readable date: write DD.MM.YYYY or YYYY-MM-DD.",
    ),
    "unparseable_number": (
        "Kolonnā “{lv}” nav nolasāma skaitļa: rakstiet tikai skaitli, piemēram, 40 vai 40,5.",
        "Column '{en}' holds no readable number: write a number only, e.g. 40 or 40.5.",
    ),
    "not_whole_number": (
        "Kolonnā “{lv}” jābūt veselam skaitlim (stundu skaitam), piemēram, 3.",
        "Column '{en}' must hold a whole number (of lessons), e.g. 3.",
    ),
    "unknown_grade_notation": (
        "Nezināms vērtējuma pieraksts: lietojiet 1–10, S/T/A/P, nv, i/ni vai procentus (85%).",
        "Unknown grade notation: use 1–10, S/T/A/P, nv, i/ni or a percentage (85%).",
    ),
    "unparseable_class": (
        "Klase nav nolasāma: rakstiet klases numuru un burtu, piemēram, 7.b.",
        "The class cannot be read: write the grade number and letter, e.g. 7.b.",
    ),
    "unparseable_school_year": (
        "Mācību gads nav nolasāms: rakstiet, piemēram, 2024/2025.",
        "The school year cannot be read: write it as e.g. 2024/2025.",
    ),
    "unparseable_month": (
        "Kolonnā “{lv}” nav nolasāma mēneša: rakstiet GGGG-MM vai MM.GGGG, piemēram, 2025-01 vai 01.2025.",
        "Column '{en}' holds no readable month: write YYYY-MM or MM.YYYY, e.g. 2025-01 or 01.2025.",
    ),
    "missing_participants": (
        "Rindā nav ne dalībnieka personas koda, ne dalībnieku skaita: aizpildiet vienu no tiem.",
        "The row has neither a participant's personal code nor a participant count: fill in one of them.",
    ),
    "school_id_personal_data": (
        "Kolonnas “{lv}” vērtība izskatās pēc personas koda vai skolēna vārda (saglabāta kā ***): "
        "ierakstiet iestādes reģistra kodu.",
        "The value in '{en}' looks like a personal code or a pupil's name (stored as ***): "
        "write the school's register code.",
    ),
    "school_id_not_code": (
        "Kolonnas “{lv}” vērtība nav iestādes kods (saglabāta kā ***): ierakstiet iestādes reģistra kodu, "
        "piemēram, 2712900123.",
        "The value in '{en}' is not a school code (stored as ***): write the school's register code, e.g. 2712900123.",
    ),
    "unknown_gender": (
        "Nezināms dzimuma apzīmējums: lietojiet M/F vai V/S.",
        "Unknown gender value: use M/F or V/S.",
    ),
}

# Problems of a whole row found while reading the file (readers.py): no column to name.
ROW_REASONS: dict[str, tuple[str, str]] = {
    "too_many_fields": (
        "Rindā ir vairāk lauku nekā galvenē: pārbaudiet atdalītājus (;) un pēdiņas šajā rindā.",
        "The row has more fields than the header: check the delimiters (;) and quotes in this row.",
    ),
    "invalid_encoding": (
        "Rindā ir baiti, kas nav UTF-8 teksts (pozīcija failā norādīta): saglabājiet failu kā UTF-8.",
        "The row holds bytes that are not UTF-8 text (offset in the file given): save the file as UTF-8.",
    ),
}


def reasons_frame(kind: str) -> pl.DataFrame:
    """One message per (reason_code, column_name) of this kind, joined to quarantined rows in SQL."""
    rows = [
        {
            "reason_code": code,
            "column_name": col.name,
            "message_lv": lv.format(lv=col.latvian, en=col.name),
            "message_en": en.format(lv=col.latvian, en=col.name),
        }
        for code, (lv, en) in REASONS.items()
        for col in COLUMNS[kind]
    ]
    rows += [
        {"reason_code": code, "column_name": None, "message_lv": lv, "message_en": en}
        for code, (lv, en) in ROW_REASONS.items()
    ]
    return pl.DataFrame(rows, schema={k: pl.String for k in ("reason_code", "column_name", "message_lv", "message_en")})
