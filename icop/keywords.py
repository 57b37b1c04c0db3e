"""Keyword lists as data: loading, validation, keyed hashing and matching.

Format: keywords/README.md. A list is a UTF-8 TSV with ``#`` header comments and the columns
``id, term|term_hmac, lang, category, weight, match, source, added``. Entries are matched on the
``fold`` and ``skel`` views of a name (notes/multilingual.md): whole tokens (or runs of tokens)
where the script has spaces, grapheme-bounded substrings where it has not.

Matching never loops over entries: it enumerates the name's candidate spans and looks each up
in one dict keyed by the entry's *match key* (its normalised ``fold`` form, or the HMAC-SHA256 of
that form under the partner's key). Plain and hashed lists therefore give identical hits by
construction, and a report can cite entries by id without ever holding a term.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import regex

from icop.compiled import fastpath as _fastpath
from icop.normalize import Normalized, aligned_tokens, normalize, rejoin_spaced_letters
from icop.surrogates import LANGUAGES

FORMAT_LINE = "# icop keyword list v1"
COLUMNS = ("id", "term", "lang", "category", "weight", "match", "source", "added")
HASHED_COLUMNS = tuple("term_hmac" if c == "term" else c for c in COLUMNS)
MATCH_MODES = ("token", "substring")
#: Token entries span at most this many tokens; substring entries at most this many characters.
MAX_TOKENS = 4
MAX_SUBSTRING_CHARS = 24
MAX_WEIGHT = 100.0
_KEY_CHECK_MESSAGE = b"icop key check v1"
_KEY_CHECK_RE = re.compile(r"^# key-check: ([0-9a-f]{16})$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")
_GRAPHEME_RE = regex.compile(r"\X")
_CACHE_SIZE = 1 << 18
_UNSPACED_RE = regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Han}\p{Hiragana}\p{Katakana}]")


class KeywordListError(ValueError):
    """One or more problems in keyword list files; each names file, line and the fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


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
class KeywordList:
    entries: tuple[Entry, ...]
    hashed: bool
    key_check: str | None  # for hashed lists: proves a key is the right one
    surrogate: bool  # every file declared itself SURROGATE
    sha256: str  # over the files' bytes, in load order
    files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False, compare=False)  # (name, bytes)

    def by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}


@dataclass(frozen=True, order=True)
class Hit:
    entry_id: str
    category: str
    view: str  # the view it matched in: "fold" (as written) or "skel" (after de-obfuscation)
    start: int  # span in the decoded raw name
    end: int


def match_key(term: str) -> str:
    """The form an entry is matched by: the ``fold`` view of its normalised term."""
    return normalize(term).fold


def term_hmac(key: bytes, term: str) -> str:
    return hmac.new(key, match_key(term).encode("utf-8"), hashlib.sha256).hexdigest()


def key_check_value(key: bytes) -> str:
    """A short public fingerprint of a key, stored in hashed lists to catch a wrong key early."""
    return hmac.new(key, _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


# --------------------------------------------------------------------------- loading


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
    return KeywordList(
        entries=tuple(entries),
        hashed=hashed,
        key_check=next(iter(key_checks), None),
        surrogate=all(h.surrogate for h in headers),
        sha256=digest.hexdigest(),
        files=tuple((Path(name).name, data) for name, data in sources),
    )


@dataclass(frozen=True)
class _Header:
    path: Path
    hashed: bool
    key_check: str | None
    surrogate: bool


def _parse_file(path: Path, data: bytes, problems: list[str]) -> tuple[_Header | None, list[Entry]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: not valid UTF-8 (byte {err.start}); re-save the file as UTF-8")
        return None, []
    lines = text.lstrip("\ufeff").splitlines()
    comments = [line for line in lines if line.startswith("#")]
    if not comments or comments[0].strip() != FORMAT_LINE:
        problems.append(f"{path}:1: first line must be {FORMAT_LINE!r}; see keywords/README.md")
        return None, []
    key_check = next((m.group(1) for c in comments if (m := _KEY_CHECK_RE.match(c.strip()))), None)
    surrogate = any(c.startswith("# SURROGATE") for c in comments)
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
    return _Header(path, hashed, key_check, surrogate), entries


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


# --------------------------------------------------------------------------- hashing


def hash_list(source: str | Path, key: bytes) -> str:
    """A hashed copy of one plain list file, as text: terms replaced by their HMAC."""
    keywords = load([source])
    if keywords.hashed:
        raise KeywordListError([f"{source}: already hashed"])
    lines = Path(source).read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    comments = [line for line in lines if line.startswith("#") and not _KEY_CHECK_RE.match(line)]
    out = [*comments, f"# key-check: {key_check_value(key)}", "\t".join(HASHED_COLUMNS)]
    for e in keywords.entries:
        out.append("\t".join([e.id, term_hmac(key, e.term), e.lang, e.category, f"{e.weight:g}", e.match, e.source, e.added]))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- matching


class KeywordMatcher:
    """Finds keyword entries in names; works the same for plain and (with the key) hashed lists."""

    def __init__(self, keywords: KeywordList, key: bytes | None = None):
        if keywords.hashed:
            if key is None:
                raise KeywordListError(["this keyword list is hashed; give the key (--key-file)"])
            if keywords.key_check and key_check_value(key) != keywords.key_check:
                raise KeywordListError(["wrong key for this hashed keyword list (key check value differs)"])
        self.keywords = keywords
        self._key = key if keywords.hashed else None
        self._index: dict[str | bytes, list[Entry]] = {}
        for entry in keywords.entries:
            lookup = bytes.fromhex(entry.term_hmac) if keywords.hashed else match_key(entry.term)
            self._index.setdefault(lookup, []).append(entry)
        # Every prefix of every plain key: candidate runs stop growing as soon as they leave it, so
        # plain matching costs about one set lookup per character. Hashed keys have no prefixes.
        self._prefixes = None if keywords.hashed else {k[:i] for k in self._index for i in range(1, len(k) + 1)}
        # First characters of substring keys: an unspaced token without any of them cannot match.
        self._first_chars = None if keywords.hashed else frozenset(
            match_key(e.term)[:1] for e in keywords.entries if e.match == "substring"
        )
        self._has_substring = any(e.match == "substring" for e in keywords.entries)
        self._first_char_flags = _code_point_flags(self._first_chars if self._has_substring and self._first_chars else ())
        self._start_flags = _code_point_flags(k[:1] for k in self._index if isinstance(k, str))
        self._longest_key = max(map(len, self._index), default=0)  # plain lists: the longest prefix too
        self._has_token = any(e.match == "token" for e in keywords.entries)
        self._digests: dict[str, bytes] = {}  # HMACs of candidates seen, for hashed lists
        self._substring_cache: dict[str, tuple[tuple[int, int, Entry], ...]] = {}

    def _lookup(self, candidate: str) -> list[Entry]:
        if self._key is None:
            return self._index.get(candidate, ())
        digest = self._digests.get(candidate)
        if digest is None:
            if len(self._digests) >= _CACHE_SIZE:
                self._digests.clear()
            digest = self._digests[candidate] = hmac.digest(self._key, candidate.encode("utf-8"), "sha256")
        return self._index.get(digest, ())

    def scan(self, raw: str | bytes, normalized: Normalized | None = None) -> list[Hit]:
        """Every entry found in a name, with its span in the decoded raw name (sorted, de-duplicated)."""
        normalized = normalized or normalize(raw)
        found = self.find(normalized)
        return self._locate(raw, found) if found else []

    def find_batch(self, names: Sequence[Normalized]) -> list[Sequence[tuple[Entry, str, int, int, int | None, int | None]]]:
        """:meth:`find` for each name (an empty tuple where nothing is found); for plain lists, one
        compiled pass finds the token runs that are keys, and rules out most names."""
        if self._prefixes is None or _fastpath is None:
            return [self.find(n) for n in names]
        runs = _fastpath.token_run_hits(
            [n.fold for n in names],
            [n.skel for n in names],
            self._prefixes,
            self._longest_key,
            self._index,
            MAX_TOKENS,
            self._start_flags,
            self._first_char_flags,
            self._substring_cache,
        )
        found: list = [()] * len(names)
        for i, name_runs in enumerate(runs):
            if name_runs is not None:
                found[i] = self._find(names[i], name_runs)
        return found

    def find(self, normalized: Normalized) -> list[tuple[Entry, str, int, int, int | None, int | None]]:
        """Matches as (entry, view, first token, last token + 1, char start, char end) within the view."""
        return [] if self._cannot_match(normalized) else self._find(normalized)

    def _find(self, normalized: Normalized, runs: tuple[list, list] | None = None) -> list[tuple[Entry, str, int, int, int | None, int | None]]:
        """``runs``: per view, the token runs that are keys, where the compiled pass found them."""
        found = []
        fold = normalized.fold.split()
        # The skel view adds glued token runs; its plain candidates only where it differs from fold.
        skel_differs = normalized.skel != normalized.fold
        views = (("fold", normalized.fold, fold, True), ("skel", normalized.skel, normalized.skel.split() if skel_differs else fold, skel_differs))
        for v, (view, text, tokens, plain) in enumerate(views):
            if self._has_token:
                for first, last, candidate in self._token_runs(tokens, plain, glue=view == "skel") if runs is None else runs[v]:
                    if entries := self._lookup(candidate):
                        found += [(entry, view, first, last, None, None) for entry in entries if entry.match == "token"]
            if plain and self._has_substring and (self._first_chars is None or not self._first_chars.isdisjoint(text)):
                for i, token in enumerate(tokens):
                    if hits := self._substring_hits(token):
                        found += [(entry, view, i, i + 1, start, end) for start, end, entry in hits]
        return found

    def _cannot_match(self, normalized: Normalized) -> bool:
        """For plain lists, a quick C-level test that no candidate can start anywhere in the name:
        no token is a key prefix and no character starts a substring key (the common case)."""
        if self._prefixes is None:
            return False
        views = (normalized.fold,) if normalized.skel == normalized.fold else (normalized.fold, normalized.skel)
        return all(
            self._prefixes.isdisjoint(view.split()) and (not self._has_substring or self._first_chars.isdisjoint(view))
            for view in views
        )

    def _token_runs(self, tokens: list[str], plain: bool, glue: bool) -> list[tuple[int, int, str]]:
        """(first, last + 1, text) of token runs joined by spaces (``plain``) and glued back
        together, 'vr.yq' -> 'vryq' (``glue``); plain lists stop a run once it is no key prefix."""
        prefixes, runs = self._prefixes, []
        joiners = ((" ",) if plain else ()) + (("",) if glue else ())
        starts = range(len(tokens)) if prefixes is None else [i for i, t in enumerate(tokens) if t in prefixes]
        for i in starts:
            last = min(i + MAX_TOKENS, len(tokens))
            for joiner in joiners:
                candidate = tokens[i]
                for k in range(i + 1, last + 1):
                    if k > i + 1:
                        candidate += joiner + tokens[k - 1]
                    if prefixes is not None and candidate not in prefixes:
                        break
                    if k > i + 1 or joiner == " ":
                        runs.append((i, k, candidate))
        return runs

    def _substring_hits(self, token: str) -> tuple[tuple[int, int, Entry], ...]:
        """(start, end, entry) of substring entries found in one token of an unspaced script, at
        grapheme bounds; cached, as tokens repeat."""
        hits = self._substring_cache.get(token)
        if hits is None:
            if len(self._substring_cache) >= _CACHE_SIZE:
                self._substring_cache.clear()
            hits = self._substring_cache[token] = tuple(
                (start, end, entry)
                for start, end, piece in self._enumerate_substrings(token)
                for entry in self._lookup(piece)
                if entry.match == "substring"
            )
        return hits

    def _enumerate_substrings(self, token: str) -> Iterator[tuple[int, int, str]]:
        if token.isascii() or (self._first_chars is not None and self._first_chars.isdisjoint(token)):
            return
        if not _UNSPACED_RE.search(token):
            return
        prefixes = self._prefixes
        bounds = [0, *(m.end() for m in _GRAPHEME_RE.finditer(token))]
        for a, start in enumerate(bounds):
            for end in bounds[a + 1 :]:
                piece = token[start:end]
                if end - start > MAX_SUBSTRING_CHARS or (prefixes is not None and piece not in prefixes):
                    break
                yield start, end, piece

    def _locate(self, raw: str | bytes, found) -> list[Hit]:
        aligned = aligned_tokens(raw)
        skel_groups = [span for _, span in rejoin_spaced_letters([t.skel for t in aligned])]
        hits = set()
        for entry, view, first, last, start, end in found:
            groups = skel_groups if view == "skel" else [(i, i + 1) for i in range(len(aligned))]
            lo, hi = aligned[groups[first][0]], aligned[groups[last - 1][1] - 1]
            span = (lo.start, hi.end)
            if start is not None and first + 1 == last and groups[first][1] - groups[first][0] == 1:
                span = _substring_span(lo, getattr(lo, view), start, end)
            hits.add((entry.id, entry.category, view, *span))
        best: dict[tuple[str, int, int], Hit] = {}
        for hit in sorted(Hit(*h) for h in hits):
            best.setdefault((hit.entry_id, hit.start, hit.end), hit)  # "fold" sorts before "skel"
        return sorted(best.values(), key=lambda h: (h.start, h.end, h.entry_id))


def _code_point_flags(chars: Iterable[str]) -> np.ndarray:
    """A flag per code point up to the largest of ``chars`` (single characters)."""
    points = [ord(c) for c in chars if len(c) == 1]
    flags = np.zeros(max(points, default=-1) + 1, dtype=np.uint8)
    flags[points] = 1
    return flags


def _substring_span(token, view_text: str, start: int, end: int) -> tuple[int, int]:
    """Exact raw offsets when the view token is as long as its raw token, else the whole token."""
    if len(view_text) == token.end - token.start:
        return token.start + start, token.start + end
    return token.start, token.end
