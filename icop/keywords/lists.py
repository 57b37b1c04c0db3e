"""Keyword lists as data: the file format, loading and validation.

Format: keywords/README.md. A list is a UTF-8 TSV with ``#`` header comments and the columns
``id, term|term_hmac, lang, category, weight, match, source, added``. Every problem is reported
with its file, line and fix; an entry's *match key* is the ``fold`` view of its normalised term.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import operator
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, reduce
from pathlib import Path

from icop.errors import KeywordListError
from icop.text.languages import LANGUAGES
from icop.text.normalize import normalize

FORMAT_LINE = "# icop keyword list v1"
COLUMNS = ("id", "term", "lang", "category", "weight", "match", "source", "added")
HASHED_COLUMNS = tuple("term_hmac" if c == "term" else c for c in COLUMNS)
MATCH_MODES = ("token", "substring")
#: Token entries span at most this many tokens; substring entries at most this many characters.
MAX_TOKENS = 4
MAX_SUBSTRING_CHARS = 24
MAX_WEIGHT = 100.0
KEY_CHECK_RE = re.compile(r"^# key-check: ([0-9a-f]{16})$")
#: A hashed list's set of match-key lengths (in characters) per match mode: matching hashes only
#: candidates of those lengths (keywords/README.md says what this reveals). Older lists lack it.
KEY_LENGTHS_RE = re.compile(r"^# key-lengths:")
_KEY_LENGTHS_FULL_RE = re.compile(r"^# key-lengths: token (none|\d+(?:,\d+)*); substring (none|\d+(?:,\d+)*)$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Entry:
    id: str
    lang: str
    category: str
    weight: float
    match: str
    source: str
    added: str
    term: str | None  # plain lists
    term_hmac: str | None  # hashed lists (hex)
    path: str
    line: int


@dataclass(frozen=True)
class KeyLengths:
    """The distinct lengths, in characters, of the match keys of a hashed list, per match mode."""

    token: frozenset[int]
    substring: frozenset[int]

    def header_line(self) -> str:
        return f"# key-lengths: token {_numbers(self.token)}; substring {_numbers(self.substring)}"

    @classmethod
    def of(cls, entries: Iterable[Entry], keys: Iterable[str]) -> KeyLengths:
        pairs = [(e.match, len(k)) for e, k in zip(entries, keys)]
        return cls(frozenset(n for m, n in pairs if m == "token"), frozenset(n for m, n in pairs if m == "substring"))

    def __or__(self, other: KeyLengths) -> KeyLengths:
        return KeyLengths(self.token | other.token, self.substring | other.substring)


def _numbers(lengths: frozenset[int]) -> str:
    return ",".join(map(str, sorted(lengths))) or "none"


@dataclass(frozen=True)
class KeywordList:
    entries: tuple[Entry, ...]
    hashed: bool
    key_check: str | None  # for hashed lists: proves a key is the right one
    surrogate: bool  # every file declared itself SURROGATE
    sha256: str  # over the files' bytes, in load order
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False, compare=False)  # (name, bytes)
    #: Hashed lists: their key lengths (None when a file predates the header: slow matching).
    key_lengths: KeyLengths | None = None

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


@lru_cache(maxsize=1 << 14)
def match_key(term: str) -> str:
    """The form an entry is matched by: the ``fold`` view of its normalised term (loading a list
    and building its matcher both ask, so each term is normalised once)."""
    return normalize(term).fold


# --------------------------------------------------------------------------- loading


def entry_counts(keywords: KeywordList) -> Counter:
    """Entries per (language, category, match mode): what a list covers, never its terms."""
    return Counter((e.lang, e.category, e.match) for e in keywords.entries)


def list_files(paths: Iterable[str | Path]) -> list[Path]:
    """The list files named: files as given, directories expanded to their ``*.tsv`` (sorted)."""
    out = []
    for path in map(Path, paths):
        out += sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    return out


def load(paths: Iterable[str | Path]) -> KeywordList:
    """Load and validate keyword lists; raises :class:`KeywordListError` listing every problem."""
    files = list_files(paths)
    if not files:
        raise KeywordListError(["no keyword list files found; give .tsv files or a directory holding them"])
    sources, problems = [], []
    for path in files:
        try:
            sources.append((str(path), path.read_bytes()))
        except OSError as err:
            problems.append(f"{path}: cannot read ({err.strerror}); check the path and permissions")
    if problems:
        raise KeywordListError(problems)
    return load_sources(sources)


def load_sources(sources: list[tuple[str, bytes]]) -> KeywordList:
    """Load lists given as (name, bytes), e.g. from a model bundle; same checks as :func:`load`."""
    problems: list[str] = []
    entries: list[Entry] = []
    headers: list[_Header] = []
    digest = hashlib.sha256()
    for name, data in sources:
        digest.update(data)
        header, file_entries = _parse_file(Path(name), data, problems)
        if header:
            headers.append(header)
        entries += file_entries
    _check_consistency(entries, headers, problems)
    if problems:
        raise KeywordListError(problems)
    hashed = bool(headers) and headers[0].hashed
    key_checks = {h.key_check for h in headers if h.key_check}
    lengths = [h.key_lengths for h in headers]
    return KeywordList(
        entries=tuple(entries),
        hashed=hashed,
        key_check=next(iter(key_checks), None),
        surrogate=all(h.surrogate for h in headers),
        sha256=digest.hexdigest(),
        files=tuple((Path(name).name, data) for name, data in sources),
        key_lengths=reduce(operator.or_, lengths) if hashed and lengths and None not in lengths else None,
    )


@dataclass(frozen=True)
class _Header:
    path: Path
    hashed: bool
    key_check: str | None
    surrogate: bool
    key_lengths: KeyLengths | None


def _parse_file(path: Path, data: bytes, problems: list[str]) -> tuple[_Header | None, list[Entry]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8")
        return None, []
    lines = LINE_BREAK_RE.split(text.lstrip("\ufeff"))  # not splitlines(): U+2028, U+0085... are not line ends
    comments = [line for line in lines if line.startswith("#")]
    if not comments or comments[0].strip() != FORMAT_LINE:
        problems.append(f"{path}:1: first line must be {FORMAT_LINE!r}; see keywords/README.md")
        return None, []
    key_check = next((m.group(1) for c in comments if (m := KEY_CHECK_RE.match(c.strip()))), None)
    surrogate = any(c.startswith("# SURROGATE") for c in comments)
    key_lengths = _key_lengths(path, comments, problems)
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    if not numbered:
        problems.append(f"{path}: no column header; expected {chr(9).join(COLUMNS)}")
        return None, []
    header_line, header = numbered[0][0], numbered[0][1].split("\t")
    if tuple(header) not in (COLUMNS, HASHED_COLUMNS):
        problems.append(
            f"{path}:{header_line}: columns are {header}; expected {list(COLUMNS)} "
            f"(or 'term_hmac' in place of 'term' for a hashed list)"
        )
        return None, []
    hashed = header[1] == "term_hmac"
    if hashed and not key_check:
        problems.append(f"{path}:1: hashed list without a '# key-check: ...' line; regenerate it with 'icop keywords hash'")
    rows = csv.reader(io.StringIO("\n".join(line for _, line in numbered[1:])), delimiter="\t", quoting=csv.QUOTE_NONE)
    entries = [
        entry
        for (line_no, _), row in zip(numbered[1:], rows)
        if (entry := _parse_row(path, line_no, header, row, problems)) is not None
    ]
    if key_lengths and not hashed:
        problems.append(f"{path}: a '# key-lengths:' line belongs to hashed lists only; remove it")
    return _Header(path, hashed, key_check, surrogate, key_lengths), entries


def _key_lengths(path: Path, comments: list[str], problems: list[str]) -> KeyLengths | None:
    lines = [c.strip() for c in comments if KEY_LENGTHS_RE.match(c)]
    if not lines:
        return None
    if len(lines) > 1 or not (m := _KEY_LENGTHS_FULL_RE.match(lines[0])):
        problems.append(f"{path}: malformed '# key-lengths:' line; regenerate the list with 'icop keywords hash'")
        return None
    token, substring = (frozenset(int(n) for n in group.split(",") if n != "none") for group in m.groups())
    return KeyLengths(token, substring)


def _parse_row(path: Path, line: int, header: list[str], row: list[str], problems: list[str]) -> Entry | None:
    where = f"{path}:{line}"
    if len(row) != len(header):
        problems.append(f"{where}: {len(row)} fields, expected {len(header)} separated by tabs")
        return None
    fields = dict(zip(header, (v.strip() for v in row)))
    before = len(problems)
    if not fields["id"]:
        problems.append(f"{where}: empty id; give every entry a unique id")
    if fields["lang"] not in LANGUAGES:
        problems.append(f"{where}: unknown language {fields['lang']!r}; use one of {', '.join(LANGUAGES)}")
    if fields["match"] not in MATCH_MODES:
        problems.append(f"{where}: match is {fields['match']!r}; use 'token' or 'substring'")
    weight = _parse_weight(fields["weight"])
    if weight is None:
        problems.append(f"{where}: bad weight {fields['weight']!r}; use a number from 0 to {MAX_WEIGHT:g}")
    if fields["added"] and not _is_iso_date(fields["added"]):
        problems.append(f"{where}: added is {fields['added']!r}; use an ISO date like 2026-11-28")
    term, digest = fields.get("term"), fields.get("term_hmac")
    if term is not None:
        _check_term(where, term, fields["match"], problems)
    elif not _HEX64_RE.match(digest or ""):
        problems.append(f"{where}: term_hmac must be 64 lower-case hex digits (HMAC-SHA256)")
    if len(problems) > before:
        return None
    return Entry(
        id=fields["id"],
        lang=fields["lang"],
        category=fields["category"],
        weight=weight,
        match=fields["match"],
        source=fields["source"],
        added=fields["added"],
        term=term,
        term_hmac=digest,
        path=str(path),
        line=line,
    )


def _check_term(where: str, term: str, match: str, problems: list[str]) -> None:
    key = match_key(term) if term else ""
    if not key:
        problems.append(f"{where}: empty term (or only separators/invisible characters); remove the entry or fill it")
    elif match == "token" and len(key.split()) > MAX_TOKENS:
        problems.append(f"{where}: token term longer than {MAX_TOKENS} tokens; shorten it")
    elif match == "substring" and (" " in key or len(key) > MAX_SUBSTRING_CHARS):
        problems.append(f"{where}: substring term must be one token of at most {MAX_SUBSTRING_CHARS} characters")


def _parse_weight(text: str) -> float | None:
    try:
        weight = float(text)
    except ValueError:
        return None
    return weight if math.isfinite(weight) and 0 <= weight <= MAX_WEIGHT else None


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _check_consistency(entries: list[Entry], headers: list[_Header], problems: list[str]) -> None:
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            first = seen[entry.id]
            problems.append(
                f"{entry.path}:{entry.line}: duplicate id {entry.id!r} (first at {first.path}:{first.line}); ids must be unique across all lists"
            )
        seen.setdefault(entry.id, entry)
    if len({h.hashed for h in headers}) > 1:
        kinds = ", ".join(f"{h.path} ({'hashed' if h.hashed else 'plain'})" for h in headers)
        problems.append(f"plain and hashed lists mixed: {kinds}; hash all of them with one key or none")
    if len({h.key_check for h in headers if h.hashed}) > 1:
        problems.append("hashed lists made with different keys; hash all lists with the same key")
