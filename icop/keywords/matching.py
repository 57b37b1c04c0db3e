"""Finding keyword entries in normalised names, for plain and keyed-hash lists alike.

Entries are matched on the ``fold`` and ``skel`` views of a name (docs/NORMALIZATION.md): whole
tokens (or runs of tokens) where the script has spaces, grapheme-bounded substrings where it has
not. Matching never loops over entries: it enumerates the name's candidate spans and looks each
up in one dict keyed by the entry's match key (or the HMAC of it under the partner's key). Plain
and hashed lists therefore give identical hits by construction, and a report can cite entries by
id without ever holding a term.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

import numpy as np
import regex

from icop.compiled import DRIVERS
from icop.keywords.hashing import key_check_value
from icop.keywords.lists import MAX_SUBSTRING_CHARS, MAX_TOKENS, Entry, KeywordList, KeywordListError, match_key
from icop.text.languages import UNSPACED_RE
from icop.text.normalize import Normalized, aligned_tokens, normalize, rejoin_spaced_letters

_GRAPHEME_RE = regex.compile(r"\X")
_CACHE_SIZE = 1 << 18


@dataclass(frozen=True, order=True)
class Hit:
    entry_id: str
    category: str
    view: str  # the view it matched in: "fold" (as written) or "skel" (after de-obfuscation)
    start: int  # span in the decoded raw name
    end: int


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
        self._first_chars = (
            None if keywords.hashed else frozenset(match_key(e.term)[:1] for e in keywords.entries if e.match == "substring")
        )
        self._has_substring = any(e.match == "substring" for e in keywords.entries)
        self._first_char_flags = _code_point_flags(self._first_chars if self._has_substring and self._first_chars else ())
        self._start_flags = _code_point_flags(k[:1] for k in self._index if isinstance(k, str))
        self._longest_key = max(map(len, self._index), default=0)  # plain lists: the longest prefix too
        self._has_token = any(e.match == "token" for e in keywords.entries)
        self._digests: dict[str, bytes] = {}  # HMACs of candidates seen, for hashed lists
        # Hashed lists with a key-lengths header: only candidates of a key's length are hashed.
        lengths = keywords.key_lengths
        self._token_lengths = None if lengths is None else lengths.token
        self._substring_lengths = None if lengths is None else lengths.substring
        self._keyed = None
        if lengths is not None and DRIVERS.keyed is not None:
            self._keyed = DRIVERS.keyed.KeyedIndex(
                _hmac_key(key), self._index, _length_flags(lengths.token), _length_flags(lengths.substring)
            )
        self._substring_cache: dict[str, tuple[tuple[int, int, Entry], ...]] = {}

    def release_caches(self) -> None:
        """Empties the per-token caches (computed again on demand: no result changes)."""
        self._digests.clear()
        self._substring_cache.clear()

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
        fastpath = DRIVERS.module
        if self._prefixes is None or fastpath is None:
            return [self.find(n) for n in names]
        runs = fastpath.token_run_hits(
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

    def _find(
        self, normalized: Normalized, runs: tuple[list, list] | None = None
    ) -> list[tuple[Entry, str, int, int, int | None, int | None]]:
        """``runs``: per view, the token runs that are keys, where the compiled pass found them."""
        found = []
        fold = normalized.fold.split()
        # The skel view adds glued token runs; its plain candidates only where it differs from fold.
        skel_differs = normalized.skel != normalized.fold
        views = (
            ("fold", normalized.fold, fold, True),
            ("skel", normalized.skel, normalized.skel.split() if skel_differs else fold, skel_differs),
        )
        for v, (view, text, tokens, plain) in enumerate(views):
            if self._has_token:
                for first, last, entries in self._token_run_entries(tokens, plain, view == "skel", runs and runs[v]):
                    found += [(entry, view, first, last, None, None) for entry in entries if entry.match == "token"]
            if plain and self._may_hold_substring_keys(text):
                for i, token in enumerate(tokens):
                    if hits := self._substring_hits(token):
                        found += [(entry, view, i, i + 1, start, end) for start, end, entry in hits]
        return found

    def _may_hold_substring_keys(self, text: str) -> bool:
        """Substring keys lie inside tokens of unspaced scripts only, never in ASCII text."""
        if not self._has_substring or text.isascii():
            return False
        return self._first_chars is None or not self._first_chars.isdisjoint(text)

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

    def _token_run_entries(
        self, tokens: list[str], plain: bool, glue: bool, runs: list | None
    ) -> Iterator[tuple[int, int, list[Entry]]]:
        """(first, last + 1, entries) of the token runs that are keys (``runs``: those the compiled
        pass found, for plain lists)."""
        if self._keyed is not None and runs is None:
            yield from self._keyed.token_runs(tokens, plain, glue, MAX_TOKENS)
            return
        for first, last, candidate in self._token_runs(tokens, plain, glue) if runs is None else runs:
            if entries := self._lookup(candidate):
                yield first, last, entries

    def _token_runs(self, tokens: list[str], plain: bool, glue: bool) -> list[tuple[int, int, str]]:
        """(first, last + 1, text) of token runs joined by spaces (``plain``) and glued back
        together, 'vr.yq' -> 'vryq' (``glue``); plain lists stop a run once it is no key prefix."""
        prefixes, lengths, runs = self._prefixes, self._token_lengths, []
        longest = max(lengths, default=0) if lengths is not None else None
        joiners = ((" ",) if plain else ()) + (("",) if glue else ())
        starts = range(len(tokens)) if prefixes is None else [i for i, t in enumerate(tokens) if t in prefixes]
        for i in starts:
            last = min(i + MAX_TOKENS, len(tokens))
            for joiner in joiners:
                candidate = tokens[i]
                for k in range(i + 1, last + 1):
                    if k > i + 1:
                        candidate += joiner + tokens[k - 1]
                    if (prefixes is not None and candidate not in prefixes) or (longest is not None and len(candidate) > longest):
                        break  # runs only grow: no longer run can be a key either
                    if (k > i + 1 or joiner == " ") and (lengths is None or len(candidate) in lengths):
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
                for start, end, entries in self._substring_entries(token)
                for entry in entries
                if entry.match == "substring"
            )
        return hits

    def _substring_entries(self, token: str) -> Iterable[tuple[int, int, list[Entry]]]:
        """(start, end, entries) of the grapheme-bounded pieces of ``token`` that are keys: in
        C where a driver is built (keyed lists, or plain lists with the compiled module)."""
        fastpath = DRIVERS.module if self._prefixes is not None else None
        if self._keyed is None and fastpath is None:
            return (
                (start, end, entries)
                for start, end, piece in self._enumerate_substrings(token)
                if (entries := self._lookup(piece))
            )
        bounds = self._grapheme_bounds(token)
        if not bounds:
            return ()
        if self._keyed is not None:
            return self._keyed.pieces(token, bounds)
        return fastpath.substring_pieces(token, bounds, self._prefixes, self._index, MAX_SUBSTRING_CHARS)

    def _grapheme_bounds(self, token: str) -> list[int] | None:
        """0 and the end of each grapheme of a token that may hold substring keys (None if it cannot)."""
        if token.isascii() or (self._first_chars is not None and self._first_chars.isdisjoint(token)):
            return None
        if not UNSPACED_RE.search(token):
            return None
        return list(accumulate(map(len, _GRAPHEME_RE.findall(token)), initial=0))

    def _enumerate_substrings(self, token: str) -> Iterator[tuple[int, int, str]]:
        bounds = self._grapheme_bounds(token)
        if bounds is None:
            return
        prefixes, lengths = self._prefixes, self._substring_lengths
        longest = MAX_SUBSTRING_CHARS if lengths is None else max(lengths, default=0)
        for a, start in enumerate(bounds):
            for end in bounds[a + 1 :]:
                if end - start > longest:
                    break
                if lengths is not None and end - start not in lengths:
                    continue
                piece = token[start:end]
                if prefixes is not None and piece not in prefixes:
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


def _hmac_key(key: bytes) -> bytes:
    """The key as HMAC uses it: hashed first when longer than SHA-256's 64-byte block (RFC 2104)."""
    return hashlib.sha256(key).digest() if len(key) > 64 else key


def _length_flags(lengths: frozenset[int]) -> bytes:
    """A byte per length up to the longest: 1 where a key has that length."""
    return bytes(n in lengths for n in range(max(lengths, default=0) + 1))


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
