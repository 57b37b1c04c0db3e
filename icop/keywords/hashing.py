"""Keyed hashing of keyword lists: a list can be shared without its terms.

A hashed list holds, instead of each term, the HMAC-SHA256 of its match key under the partner's
key, a short key-check value that catches a wrong key early, and the set of key lengths per match
mode (so that matching hashes only candidates of those lengths). Matching a hashed list gives the
same hits as matching the plain one (icop/keywords/matching.py).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from icop.keywords.lists import HASHED_COLUMNS, KEY_CHECK_RE, KEY_LENGTHS_RE, KeyLengths, KeywordListError, load, match_key

_KEY_CHECK_MESSAGE = b"icop key check v1"


def term_hmac(key: bytes, term: str) -> str:
    return hmac.new(key, match_key(term).encode("utf-8"), hashlib.sha256).hexdigest()


def key_check_value(key: bytes) -> str:
    """A short public fingerprint of a key, stored in hashed lists to catch a wrong key early."""
    return hmac.new(key, _KEY_CHECK_MESSAGE, hashlib.sha256).hexdigest()[:16]


def hash_list(source: str | Path, key: bytes) -> str:
    """A hashed copy of one plain list file, as text: terms replaced by their HMAC."""
    keywords = load([source])
    if keywords.hashed:
        raise KeywordListError([f"{source}: already hashed"])
    lines = Path(source).read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    comments = [line for line in lines if line.startswith("#") and not (KEY_CHECK_RE.match(line) or KEY_LENGTHS_RE.match(line))]
    lengths = KeyLengths.of(keywords.entries, (match_key(e.term) for e in keywords.entries))
    out = [*comments, f"# key-check: {key_check_value(key)}", lengths.header_line(), "\t".join(HASHED_COLUMNS)]
    for e in keywords.entries:
        out.append("\t".join([e.id, term_hmac(key, e.term), e.lang, e.category, f"{e.weight:g}", e.match, e.source, e.added]))
    return "\n".join(out) + "\n"
