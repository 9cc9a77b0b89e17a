"""File names without personal data: what every stored or printed path is.

Schools name files after pupils (`IAP Oskars Ozols 160411-28446.csv`). A path is stored (meta.files,
every `source_file` column, meta.runs) and printed (console, run_summary.json, feedback files) as
its *identity*: personal-code-shaped digits and any first + last name of a pupil or staff member
known from the rosters and consultation logs are replaced by `***`. Names are compared as keyed
hashes of name pairs (meta.name_pairs, filled while ingest still sees the names), never kept.

Two raw paths may scrub to the same text, and the identity is also what re-delivery and the
incremental stages key on, so a scrubbed path carries a keyed hash of its raw path: `<scrubbed>
#<12 hex>`. A path with nothing to scrub is its own identity (unchanged for clean names).

A run learns its names before it stores anything (names.py), so no path is stored holding a name
the run knows. A path stored by an earlier run, before its name was known, is renamed at the start
of the run that learns it (rescrub_stored), in every table that holds a path; kept text cells stored
before are masked the same way (remask_stored). The old bytes would stay in the file's free space,
so both ask the runner to copy the warehouse to a fresh file (warehouse.compact), and the analyst
is told (renamed_warning, remasked_warning).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines import contract
from pipelines.contract import normalise_text
from pipelines.personal_code import MASK, code_shape_sql, mask_codes
from pipelines.warehouse import request_compaction, scalar, transaction

IDENTITY = re.compile(r"^(?P<shown>.*\*\*\*.*) #(?P<tag>[0-9a-f]{12})$", re.DOTALL)
_WORD = re.compile(r"[^\W\d_]+")
# Tokens of a path component: words, numbers and masks. Only a run of words is a name, so a
# number or an earlier mask between two words keeps them apart (scrubbing again changes nothing).
_TOKEN = re.compile(r"[^\W_]+|\*\*\*")
PAIR_HEX_DIGITS = 16
Span = tuple[int, int]  # characters [start, end) of a path part
MAX_NAME_WORDS = 2  # first and last names are matched as runs of up to this many words each
PATH_COLUMNS = ("source_file", "file_path")
REMASK_CHUNK = 10_000  # distinct stored values whose candidate name hashes are looked up at once

NAME_PAIRS_SQL = """
create table if not exists meta.name_pairs (
    pair_hash varchar primary key,  -- keyed hash of a normalised first|last name pair; never the name
    stored_masked boolean default false  -- text stored before it was learned has been masked with it
)
"""
# Stored columns of kept text cells (KEPT_TEXT_CELLS as staging names them, copied on by transform)
# and of quarantined values and flags: wherever a table holds one (VARCHAR), it is masked again when
# a name is first known (remask_stored). Paths are renamed apart (PATH_COLUMNS).
KEPT_COLUMNS = (
    "subject",  # an unknown subject is kept normalised (`~matematika anna berzina`), in marts too
    *("subject_raw", "staff_role_raw", "mode_raw", "class_raw", "grade_raw", "assessment_type_raw"),
    *("activity_id", "activity_type_raw", "support_type_raw", "cost_category_raw", "reason_raw"),
    *("municipality", "school_id", "school_name", "school_type_raw"),
    *("value", "message_lv", "message_en"),  # quarantine.rows, validation.flags
)


# Latvian case endings of names, longest first (after diacritics are stripped): `Zigfrīda Kalniņa` (gen.),
# `Zigfrīdam Kalniņam` (dat.), `Zigfrīdu Kalniņu` (acc.) all stem to `zigfrid kalnin`, as the roster's
# `Zigfrīds Kalniņš` does; so do feminine forms (`Ilzei Ozoliņai` -> `ilz ozolin`).
_CASE_ENDINGS = ("iem", "am", "em", "im", "um", "ai", "ei", "as", "es", "is", "us", "os", "a", "e", "i", "u", "s", "o")
_MIN_STEM = 3


def stem(word: str) -> str:
    """A normalised name word without its case ending (`kalninam` -> `kalnin`); short words unchanged."""
    for ending in _CASE_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def words(text: str) -> list[str]:
    """Normalised words (letters only): `Bērziņa-Ozola` -> ['berzina', 'ozola']."""
    return _WORD.findall(normalise_text(text))


MIN_ALONE_LETTERS = 3  # a name word masked alone has at least this many letters (not an initial)
_VOCABULARIES = (
    *(contract.SUBJECTS, contract.STAFF_ROLES, contract.MODES, contract.ASSESSMENT_TYPES, contract.SCHOOL_TYPES),
    *(contract.RISK_FACTORS, contract.ABSENCE_REASONS, contract.LEAVING_REASONS, contract.ACTIVITY_TYPES),
    *(contract.SUPPORT_TYPES, contract.COST_CATEGORIES, contract.PROJECTS),
)


def _contract_words() -> frozenset[str]:
    """Every word of the contract's vocabularies and column headers (`fizika`, `pedagogs`, `klatiene`)."""
    spellings = [s for table in _VOCABULARIES for code, (lv, en, more) in table.items() for s in (code, lv, en, *more)]
    return frozenset(w for s in [*spellings, *contract.HEADER_LOOKUP] for w in words(s))


# Words a roster name may share that are not masked alone (they are in the pair forms): the contract's
# own words, which schools write in every kept cell. Month words are masked when a pupil bears them
# (Marta, Maija, Jūlija, Augusts are common first names): `15. marta` losing its month is harmless.
CONTRACT_WORDS = _contract_words()


@dataclass
class PathScrubber:
    """Turns raw relative paths into identities with one keyed hash per candidate name pair."""

    key: bytes
    _pair: hmac.HMAC = field(init=False, repr=False)
    _component_candidates: dict[str, dict[str, list[tuple[int, int]]]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._pair = hmac.new(self.key, b"name:", hashlib.sha256)

    def pair_hash(self, first: Iterable[str], last: Iterable[str]) -> str:
        h = self._pair.copy()
        h.update(f"{' '.join(first)}|{' '.join(last)}".encode())
        return h.hexdigest()[:PAIR_HEX_DIGITS]

    def person_hashes(self, first: str | None, last: str | None) -> set[str]:
        """A person's pairs: the whole first and last names, each word of one with each of the other,
        and the same with the first name's initials (`J. Ozols`, `Ozols J`, `A. M. Bērziņa`).
        A surname alone is no pair: Latvian surnames are often common words (Liepa, Ozols, Kalns)."""
        f, la = words(first or ""), words(last or "")
        if not f or not la:
            return set()
        initials = [w[0] for w in f]
        out = {self.pair_hash(f, la), self.pair_hash(initials, la)}
        if len(f) > 1 or len(la) > 1:
            out.update(self.pair_hash([a], [b]) for a in [*f, *initials] for b in la)
        # the first name with the surname's initial (`Zigfrīds K.`)
        out.update(self.pair_hash(first_words, [b[0]]) for first_words in [f, *([a] for a in f)] for b in la)
        # the name declined (`Zigfrīda Kalniņa`, `Kalniņam Zigfrīdam`): stems of whole names and of each word
        out.update(self.stem_hash(a, b) for a, b in [(f, la), (la, f)])
        out.update(self.stem_hash([a], [b]) for a in f for b in la)
        out.update(self.stem_hash([b], [a]) for a in f for b in la)
        # first and last name written as one word, either order (`ZigfridsKalnins`, `KalninsZigfrids`)
        for a in {"".join(f), *f}:
            for b in {"".join(la), *la}:
                out.update({self.word_hash(a + b), self.word_hash(b + a)})
        return out

    def alone_hashes(self, first: str | None, last: str | None) -> set[str]:
        """A pupil's first-name and surname words one by one (`Ozoliņa`, `Līga`): with the school and
        class around it a surname alone identifies a pupil (probe P4). Matched as one-word names are
        (word_hash: any case, with or without diacritics, not declined); not initials or contract words
        (CONTRACT_WORDS)."""
        return {
            self.word_hash(w)
            for w in [*words(first or ""), *words(last or "")]
            if len(w) >= MIN_ALONE_LETTERS and w not in CONTRACT_WORDS
        }

    def stem_hash(self, first: Iterable[str], last: Iterable[str]) -> str:
        """A pair in any grammatical case: both parts stemmed, kept apart from exact pairs by a marker."""
        return self.pair_hash(["~", *(stem(w) for w in first)], [stem(w) for w in last])

    def word_hash(self, word: str) -> str:
        """A one-word name (`zigfridskalnins`): a pair with an empty last part, so never a two-word pair."""
        return self.pair_hash([word], [])

    def staff_hashes(self, name: str | None) -> set[str]:
        """A staff member written as one cell (`Ilze Ozoliņa`): the last word is the surname."""
        w = words(name or "")
        return self.person_hashes(" ".join(w[:-1]), w[-1]) if len(w) > 1 else set()

    def path_tag(self, raw: str) -> str:
        return hmac.new(self.key, f"path:{raw}".encode(), hashlib.sha256).hexdigest()[:12]

    def candidates(self, component: str, *, remember: bool = True) -> dict[str, list[tuple[int, int]]]:
        """Hash -> character spans it would mask, for every run of 1–2 words followed by 1–2 words
        (both orders: `Ozols Oskars` too) within one path component. Cached per component: folders repeat."""
        found = self._component_candidates.get(component)
        if found is not None:
            return found
        found = {}
        spans = [(m.start(), m.end(), _name_word(m.group())) for m in _TOKEN.finditer(component)]
        for start, end, word in spans:
            if word:
                found.setdefault(self.word_hash(word), []).append((start, end))
        for i in range(len(spans)):
            for a in range(1, MAX_NAME_WORDS + 1):
                for b in range(1, MAX_NAME_WORDS + 1):
                    if i + a + b > len(spans) or not all(s[2] for s in spans[i : i + a + b]):
                        continue
                    first = [s[2] for s in spans[i : i + a]]
                    last = [s[2] for s in spans[i + a : i + a + b]]
                    chars = [(s[0], s[1]) for s in spans[i : i + a + b]]
                    for h in {self.pair_hash(first, last), self.pair_hash(last, first), self.stem_hash(first, last)}:
                        found.setdefault(h, []).extend(chars)
        if remember:  # not for the stored values remask_stored looks at once: they would fill memory
            self._component_candidates[component] = found
        return found

    def boundary_candidates(self, left: str, right: str) -> dict[str, tuple[list[Span], list[Span]]]:
        """Hash -> (spans in `left`, spans in `right`) for a name split over two consecutive path
        parts (`Zigfrīds/Kalniņš/iap.csv`): the last 1–2 words of one and the first 1–2 of the next."""
        tail = [(m.start(), m.end(), _name_word(m.group())) for m in _TOKEN.finditer(left)][-MAX_NAME_WORDS:]
        head = [(m.start(), m.end(), _name_word(m.group())) for m in _TOKEN.finditer(right)][:MAX_NAME_WORDS]
        found: dict[str, tuple[list[Span], list[Span]]] = {}
        for a in range(1, len(tail) + 1):
            for b in range(1, len(head) + 1):
                first, last = tail[len(tail) - a :], head[:b]
                if not all(s[2] for s in [*first, *last]):
                    continue
                words_a, words_b = [s[2] for s in first], [s[2] for s in last]
                hashes = {self.pair_hash(words_a, words_b), self.pair_hash(words_b, words_a)}
                for h in hashes | {self.stem_hash(words_a, words_b)}:
                    spans = found.setdefault(h, ([], []))
                    spans[0].extend((s[0], s[1]) for s in first)
                    spans[1].extend((s[0], s[1]) for s in last)
        return found

    def hashes_of(self, text: str, *, remember: bool = True) -> set[str]:
        """Every candidate name hash of a text (path or cell): within its parts and across them."""
        components = text.split("/")
        found = {h for component in components for h in self.candidates(component, remember=remember)}
        for left, right in itertools.pairwise(components):
            found |= set(self.boundary_candidates(left, right))
        return found

    def scrub(self, text: str, known: set[str]) -> str:
        """Personal-code shapes (anywhere, also across `/`) and known name pairs (`known`: matched
        hashes; also one-word names and names split over two consecutive path parts) replaced by `***`."""
        components = text.split("/")
        masked: list[set[tuple[int, int]]] = [
            {span for h, spans in self.candidates(component).items() if h in known for span in spans}
            for component in components
        ]
        for i in range(len(components) - 1):
            for h, (left, right) in self.boundary_candidates(components[i], components[i + 1]).items():
                if h in known:
                    masked[i].update(left)
                    masked[i + 1].update(right)
        parts = []
        for component, spans in zip(components, masked, strict=True):
            out, at = [], 0
            for start, end in sorted(spans):
                if start >= at:
                    out += [component[at:start], MASK]
                    at = end
            out.append(component[at:])
            parts.append("".join(out))
        return mask_codes("/".join(parts))

    def identity(self, raw: str, known: set[str]) -> str:
        """The raw path if it holds nothing personal, else `<scrubbed> #<keyed hash of the raw path>`."""
        shown = self.scrub(raw, known)
        return raw if shown == raw else f"{shown} #{self.path_tag(raw)}"

    def restored(self, stored: str, known: set[str]) -> str:
        """A stored path scrubbed again with the names known now (an identity keeps its tag)."""
        match = IDENTITY.fullmatch(stored)
        if match is None:
            return self.identity(stored, known)
        shown = self.scrub(match.group("shown"), known)
        return f"{shown} #{match.group('tag')}"

    def known_pairs(self, con: duckdb.DuckDBPyConnection, texts: Iterable[str]) -> set[str]:
        """Which candidate hashes of these paths are stored name pairs (one query)."""
        hashes = {h for text in texts for h in self.hashes_of(text)}
        if not hashes:
            return set()
        con.register("ingest_path_candidates", pl.DataFrame({"pair_hash": sorted(hashes)}))
        try:
            rows = con.execute(
                "select pair_hash from ingest_path_candidates semi join meta.name_pairs using (pair_hash)"
            ).fetchall()
        finally:
            con.unregister("ingest_path_candidates")
        return {r[0] for r in rows}

    def identities(self, con: duckdb.DuckDBPyConnection, raws: list[str]) -> dict[str, str]:
        """Raw relative path -> identity, for a run's listed files."""
        known = self.known_pairs(con, raws)
        return {raw: self.identity(raw, known) for raw in raws}

    def name_hashes(self, cells: pl.DataFrame) -> set[str]:
        """The name pairs of rows (rosters: `raw_first_name` + `raw_last_name`, and each word of a
        pupil's name alone; logs: `raw_staff_name`, as pairs only)."""
        hashes: set[str] = set()
        if {"raw_first_name", "raw_last_name"} <= set(cells.columns):
            for first, last in cells.select("raw_first_name", "raw_last_name").unique().iter_rows():
                hashes |= self.person_hashes(first, last) | self.alone_hashes(first, last)
        if "raw_staff_name" in cells.columns:
            for (name,) in cells.select("raw_staff_name").unique().iter_rows():
                hashes |= self.staff_hashes(name)
        return hashes

    def record_names(self, con: duckdb.DuckDBPyConnection, cells: pl.DataFrame) -> None:
        """Store the name pairs of a batch's rows (see name_hashes)."""
        store_pairs(con, self.name_hashes(cells))

    def scrub_cells(self, con: duckdb.DuckDBPyConnection, cells: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
        """Kept free-text cells (subject, role, class, …) with known name pairs masked as in paths: a
        school may type a pupil's name into any cell that is kept as written. Each distinct value once."""
        present = [c for c in columns if c in cells.columns]
        values = {v for c in present for v in cells[c].drop_nulls().unique().to_list()}
        known = self.known_pairs(con, values) if values else set()
        changed = {v: masked for v in values if (masked := self.scrub(v, known)) != v} if known else {}
        return cells.with_columns(pl.col(c).replace(changed) for c in present) if changed else cells

    def remask_stored(self, con: duckdb.DuckDBPyConnection) -> int:
        """Mask again, in place, the kept text stored before names learned since (meta.name_pairs not
        yet `stored_masked`: names first known this run, in forms added by NAME_FORMS_VERSION, or
        every pair of a warehouse from before this rule). Each distinct value of each kept column
        (KEPT_COLUMNS, in any table) is looked at once; only a value holding one of those pairs is
        scrubbed (with every known pair) and updated. One transaction with the pairs' mark; a change
        asks for the file to be copied afresh (warehouse.request_compaction). Returns values changed."""
        if not scalar(con, "select count(*) from meta.name_pairs where not coalesce(stored_masked, false)"):
            return 0
        changed: dict[tuple[str, str, str], dict[str, str]] = {}
        for schema, table, column in kept_columns(con):
            query = f'select distinct "{column}" from "{schema}"."{table}" where "{column}" is not null'
            values = [r[0] for r in con.execute(query).fetchall()]
            masked = {}
            for start in range(0, len(values), REMASK_CHUNK):
                masked |= self.masked_values(con, values[start : start + REMASK_CHUNK])
            if masked:
                changed[(schema, table, column)] = masked
        with transaction(con):
            update_kept(con, changed)
            con.execute("update meta.name_pairs set stored_masked = true where not coalesce(stored_masked, false)")
        return sum(len(m) for m in changed.values())

    def masked_values(self, con: duckdb.DuckDBPyConnection, values: list[str]) -> dict[str, str]:
        """Old -> masked, for the values holding a name pair not yet applied to stored text."""
        candidates = {v: self.hashes_of(v, remember=False) for v in values}
        hashes = set().union(*candidates.values()) if candidates else set()
        if not hashes:
            return {}
        con.register("ingest_cell_candidates", pl.DataFrame({"pair_hash": sorted(hashes)}))
        try:
            rows = con.execute(
                "select pair_hash, coalesce(stored_masked, false) from meta.name_pairs "
                "semi join ingest_cell_candidates using (pair_hash)"
            ).fetchall()
        finally:
            con.unregister("ingest_cell_candidates")
        known = {h for h, _ in rows}
        pending = {h for h, done in rows if not done}
        hits = [v for v, found in candidates.items() if found & pending]
        return {v: masked for v in hits if (masked := self.scrub(v, known)) != v}

    def rescrub_stored(self, con: duckdb.DuckDBPyConnection, listed: list[str]) -> dict[str, str]:
        """Scrub every stored path again with the names stored now, and rename what changed
        everywhere (one transaction). A stored identity of a file listed this run (`listed`: raw
        paths; matched by its tag) is computed afresh from the raw path; others are scrubbed as
        stored. Also turns a warehouse's raw paths from before this rule into identities. Returns old -> new."""
        stored = [r[0] for r in con.execute("select file_path from meta.files").fetchall()]
        known = self.known_pairs(con, [*stored, *listed])
        by_tag = {self.path_tag(raw): raw for raw in listed}
        renames = {}
        for old in stored:
            match = IDENTITY.fullmatch(old)
            raw = by_tag.get(match.group("tag")) if match else old
            new = self.identity(raw, known) if raw is not None else self.restored(old, known)
            if new != old:
                renames[old] = new
        if renames:
            rename_everywhere(con, renames)
        return renames


def personal_name_warning(path: str, digest: str | None) -> str:
    """The one line the analyst sees for a file whose name held a personal code or name."""
    found = f" (sha256 {digest[:16]}…)" if digest else ""
    return (
        f"Faila nosaukumā ir personas dati; saglabāts kā „{path}”{found}: pārdēvējiet failu. / "
        f"A file name holds personal data; stored as '{path}'{found}: rename the file."
    )


def renamed_warning(count: int) -> str:
    """The one line the analyst sees when paths stored by earlier runs were renamed this run."""
    return (
        f"{count} agrāk saglabāti failu ceļi saturēja vārdu, kas kļuva zināms tikai tagad, un ir pārdēvēti; "
        "noliktava tiek pārrakstīta jaunā failā, lai vecais teksts nepaliktu tā brīvajā vietā "
        f"(docs/warehouse.md, „Brīvā vieta”). / {count} file paths stored by earlier runs held a name first "
        "known now and were renamed; the warehouse is copied to a fresh file so the old text does not remain "
        "in its free space (docs/warehouse.md, 'Free space')."
    )


def remasked_warning(count: int) -> str:
    """The one line the analyst sees when kept text stored by earlier runs was masked again this run."""
    return (
        f"{count} agrāk saglabātas teksta vērtības saturēja vārdu, kas kļuva zināms tikai tagad, un ir "
        "aizstātas ar ***; noliktava tiek pārrakstīta jaunā failā, lai vecais teksts nepaliktu tā brīvajā "
        f"vietā. / {count} text values stored by earlier runs held a name first known now and were masked; "
        "the warehouse is copied to a fresh file so the old text does not remain in its free space."
    )


def _name_word(token: str) -> str | None:
    """A token that can be part of a name (letters only), normalised; None for numbers and masks."""
    return normalise_text(token) if _WORD.fullmatch(token) else None


def store_pairs(con: duckdb.DuckDBPyConnection, hashes: set[str]) -> None:
    """Keyed name-pair hashes into meta.name_pairs (the names themselves are never stored)."""
    if not hashes:
        return
    con.register("ingest_name_pairs", pl.DataFrame({"pair_hash": sorted(hashes)}))
    try:
        con.execute("insert or ignore into meta.name_pairs (pair_hash) select pair_hash from ingest_name_pairs")
    finally:
        con.unregister("ingest_name_pairs")


def mask_code_shapes(cells: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Personal-code-shaped parts of allowed text (the registry's school and municipality names)
    replaced by `***`; the rest stays, as reports show these names. Each distinct value once."""
    present = [c for c in columns if c in cells.columns]
    values = {v for c in present for v in cells[c].drop_nulls().unique().to_list()}
    changed = {v: masked for v in values if (masked := mask_codes(v)) != v}
    return cells.with_columns(pl.col(c).replace(changed) for c in present) if changed else cells


# Which name forms person_hashes stores. Raise it when a form is added: a warehouse learned with fewer
# forms then re-learns the names of every roster and log once (not only new files), or a name learned in
# an earlier run would not be masked in the new form. 2: one word, first + initial, stems (declined names).
# 3: a pupil's first name or surname alone (alone_hashes). 4: also where it is a month word (Marta).
NAME_FORMS_VERSION = 4
NAME_FORMS_SQL = """
create table if not exists meta.name_forms (
    version integer not null  -- NAME_FORMS_VERSION of the forms meta.name_pairs holds for every file
)
"""


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(NAME_PAIRS_SQL)
    # a warehouse from before the mark: its stored text is masked again with every pair once
    con.execute("alter table meta.name_pairs add column if not exists stored_masked boolean default false")
    con.execute(NAME_FORMS_SQL)


def name_forms_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether meta.name_pairs holds today's forms for the names of every file read so far."""
    rows = con.execute("select max(version) from meta.name_forms").fetchall()
    return bool(rows) and rows[0][0] == NAME_FORMS_VERSION


def save_name_forms(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("delete from meta.name_forms")
    con.execute("insert into meta.name_forms values ($version)", {"version": NAME_FORMS_VERSION})


# Which personal-code shape (personal_code.code_shape) the kept text stored so far was masked with. Raise it
# when the shape grows: text an earlier run kept under the narrower shape is masked again once
# (remask_codes_stored). 2: any grouping of 11 digits, a digit dropped or doubled (probe P3).
CODE_SHAPE_VERSION = 2
CODE_SHAPE_SQL = """
create table if not exists meta.code_shape (
    version integer not null  -- CODE_SHAPE_VERSION the stored kept text was masked with
)
"""


def remask_codes_stored(con: duckdb.DuckDBPyConnection) -> int:
    """Mask again, in place, kept text (KEPT_COLUMNS, in any table) stored under an older code shape: only
    values the shape now finds (DuckDB's RE2 rendering, one scan per column) are read out and masked
    (mask_codes: the whole run of digits). A warehouse whose version is current costs one lookup; paths
    are masked afresh every run by rescrub_stored. One transaction with the version; a change asks for
    the file to be copied afresh (the old bytes would stay in its free space). Returns values changed."""
    con.execute(CODE_SHAPE_SQL)
    rows = con.execute("select max(version) from meta.code_shape").fetchall()
    if rows and rows[0][0] == CODE_SHAPE_VERSION:
        return 0
    changed: dict[tuple[str, str, str], dict[str, str]] = {}
    for schema, table, column in kept_columns(con):
        query = (
            f'select distinct "{column}" from "{schema}"."{table}" where regexp_matches("{column}", {code_shape_sql()})'
        )
        masked = {v: m for (v,) in con.execute(query).fetchall() if (m := mask_codes(v)) != v}
        if masked:
            changed[(schema, table, column)] = masked
    with transaction(con):
        update_kept(con, changed)
        con.execute("delete from meta.code_shape")
        con.execute("insert into meta.code_shape values ($version)", {"version": CODE_SHAPE_VERSION})
    return sum(len(m) for m in changed.values())


def update_kept(con: duckdb.DuckDBPyConnection, changed: dict[tuple[str, str, str], dict[str, str]]) -> None:
    """Write masked kept text in place: per (schema, table, column), old value -> new, inside the caller's
    transaction (remask_stored for names, remask_codes_stored for codes). A change asks for the file to be
    copied afresh (the old bytes would stay in its free space)."""
    for (schema, table, column), masked in changed.items():
        con.register("ingest_remasked", pl.DataFrame({"old": list(masked), "new": list(masked.values())}))
        try:
            con.execute(
                f'update "{schema}"."{table}" set "{column}" = m.new from ingest_remasked m '
                f'where "{schema}"."{table}"."{column}" = m.old'
            )
        finally:
            con.unregister("ingest_remasked")
    if any(key[:2] == ("core", "grades") for key in changed):
        # two values masked alike would leave two rows of one group: transform recounts it whole
        con.execute("drop table if exists core.marks_by_school")
    if changed:
        request_compaction(con, "kept_text")


def kept_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(schema, table, column) of every base table's VARCHAR column named in KEPT_COLUMNS."""
    return con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() "
        "and c.data_type = 'VARCHAR' and list_contains(?, c.column_name) "
        "order by all",
        [list(KEPT_COLUMNS)],
    ).fetchall()


def rename_everywhere(con: duckdb.DuckDBPyConnection, renames: dict[str, str]) -> None:
    """Every table column holding a path (`source_file`, `file_path`) and meta.runs' input hashes."""
    columns = con.execute(
        "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() and c.column_name in (?, ?)",
        list(PATH_COLUMNS),
    ).fetchall()
    frame = pl.DataFrame({"old": list(renames), "new": list(renames.values())})
    con.register("ingest_renames", frame)
    try:
        with transaction(con):
            for schema, table, column in columns:
                con.execute(
                    f'update "{schema}"."{table}" set "{column}" = r.new from ingest_renames r '
                    f'where "{schema}"."{table}"."{column}" = r.old'
                )
            for run_id, hashes in con.execute(
                "select run_id, input_hashes from meta.runs where input_hashes is not null"
            ).fetchall():
                old = json.loads(hashes)
                new = {renames.get(path, path): digest for path, digest in old.items()}
                if new != old:
                    con.execute("update meta.runs set input_hashes = ? where run_id = ?", [json.dumps(new), run_id])
            request_compaction(con, "paths")
    finally:
        con.unregister("ingest_renames")


def missing_warning(paths: list[str], withdrawn: bool, shown: int = 3) -> str:
    """The one line the analyst sees when files recorded by earlier runs are no longer in the raw
    folder: their rows are kept unless the run was told to withdraw them (`--withdraw-missing`)."""
    listed = ", ".join(paths[:shown]) + (f" (+{len(paths) - shown})" if len(paths) > shown else "")
    if withdrawn:
        return (
            f"{len(paths)} agrāk ielādēti faili vairs nav izejas datu mapē, un to rindas ir izņemtas: {listed}. / "
            f"{len(paths)} files loaded earlier are no longer in the raw folder and their rows were withdrawn: "
            f"{listed}."
        )
    return (
        f"{len(paths)} agrāk ielādēti faili vairs nav izejas datu mapē; to rindas paliek noliktavā: {listed}. "
        "Ja faili atsaukti, palaidiet ar --withdraw-missing. / "
        f"{len(paths)} files loaded earlier are no longer in the raw folder; their rows stay in the warehouse: "
        f"{listed}. If the files were withdrawn, run with --withdraw-missing."
    )
