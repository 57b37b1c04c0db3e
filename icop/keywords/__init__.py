"""Keyword lists: the format and its validation (``lists``), keyed hashing (``hashing``) and
matching in normalised names (``matching``). Lists are data: partners supply their own at run
time; icop ships SURROGATE lists only (keywords/README.md)."""

from icop.keywords.hashing import hash_list, key_check_value, term_hmac
from icop.keywords.lists import (
    Entry,
    KeyLengths,
    KeywordList,
    KeywordListError,
    entry_counts,
    list_files,
    load,
    load_sources,
    match_key,
)
from icop.keywords.matching import Hit, KeywordMatcher

__all__ = [
    "Entry",
    "Hit",
    "KeyLengths",
    "KeywordList",
    "KeywordListError",
    "KeywordMatcher",
    "entry_counts",
    "hash_list",
    "key_check_value",
    "list_files",
    "load",
    "load_sources",
    "match_key",
    "term_hmac",
]
