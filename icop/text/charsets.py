"""Character classes and translation tables used by normalisation.

Every table here is *derived* from Unicode data (``unicodedata``, ICU's confusables) at import
time rather than typed by hand, so that it covers every variant form of a character (full-width,
compatibility, other scripts' digits) and so that it is the same on every machine with the same
library versions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import icu
import regex

from icop.text.languages import ZWSP_BOUNDARY_SCRIPTS

#: Characters that separate tokens in filenames, after NFKC.
SEPARATORS = " \t\n\r\f\v._-+~[](){},/\\|:;<>!?\"'`*=#&^"
#: Middle dots and CJK punctuation that act as separators in real names.
_EXTRA_SEPARATORS = "\u00b7\u30fb\u3001\u3002\u300c\u300d\u300e\u300f\u3010\u3011\u3014\u3015\u2013\u2014"

ZWSP = "\u200b"

#: Characters whose role in a filename is only leetspeak when they sit inside a word.
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a", "$": "s"}


def _all_chars():
    """Planes 0-1 and the tag/variation-selector block: no separator, digit or invisible lies elsewhere."""
    for cp in (*range(0xD800), *range(0xE000, 0x20000), *range(0xE0000, 0xE0200)):
        yield chr(cp)


def _build_tables():
    """One pass over the code space builds every table below."""
    base_separators = set(SEPARATORS) | set(_EXTRA_SEPARATORS)
    separators, invisibles, digits = set(), {}, {}
    for ch in _all_chars():
        cat = unicodedata.category(ch)
        if cat[0] in "LMN" and cat != "Nd" and not _is_invisible_mark(ch):
            continue  # letters, marks and non-decimal numbers never separate or vanish
        if cat[0] in "PZSC" and _folds_to_separators(ch, base_separators):
            separators.add(ch)
        elif (cat in ("Cc", "Cf") or _is_invisible_mark(ch)) and ch != ZWSP:
            invisibles[ord(ch)] = None
        if cat == "Nd" and not ch.isascii() and not _is_zawgyi_codepoint(ch):
            digits[ord(ch)] = str(unicodedata.digit(ch))
    return frozenset(separators), invisibles, digits


def _folds_to_separators(ch: str, base: set[str]) -> bool:
    if ch in base:
        return True
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return bool(folded) and all(c in base for c in folded)


def _is_zawgyi_codepoint(ch: str) -> bool:
    """Myanmar Shan digits are where Zawgyi fonts put medial and dot-below glyphs."""
    return 0x1090 <= ord(ch) <= 0x1099


def _is_invisible_mark(ch: str) -> bool:
    cp = ord(ch)
    return (
        cp == 0x034F  # combining grapheme joiner
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0xE0100 <= cp <= 0xE01EF  # variation selectors supplement
        or cp in (0x115F, 0x1160, 0x3164, 0xFFA0)  # Hangul fillers render as nothing
    )


SEPARATOR_CHARS, INVISIBLE_TABLE, DIGIT_TABLE = _build_tables()
#: Myanmar digit zero is often typed for the letter wa; it is a digit only next to digits.
MYANMAR_ZERO = "\u1040"
MYANMAR_WA = "\u101d"
del DIGIT_TABLE[ord(MYANMAR_ZERO)]

_sep_class = "".join(regex.escape(c) for c in sorted(SEPARATOR_CHARS))
#: Splits raw text into tokens: any separator run, or a ZWSP touching an unspaced script.
RAW_SPLIT_RE = regex.compile(rf"(?:[{_sep_class}]|(?<=[{ZWSP_BOUNDARY_SCRIPTS}])\u200b|\u200b(?=[{ZWSP_BOUNDARY_SCRIPTS}]))+")
SEPARATOR_TABLE = {ord(c): " " for c in SEPARATOR_CHARS}


def char_class(points: Iterable[int]) -> str:
    """A regular-expression class of code points written as ranges (compact and fast to match)."""
    ranges: list[list[int]] = []
    for cp in sorted(set(points)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    body = "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return f"[{body}]"


# Script families: Han, kana and Hangul form one family because Japanese mixes them in one word.
FAMILY_PATTERNS = {
    "latin": regex.compile(r"\p{Latin}"),
    "cyrillic": regex.compile(r"\p{Cyrillic}"),
    "greek": regex.compile(r"\p{Greek}"),
    "thai": regex.compile(r"\p{Thai}"),
    "lao": regex.compile(r"\p{Lao}"),
    "khmer": regex.compile(r"\p{Khmer}"),
    "myanmar": regex.compile(r"\p{Myanmar}"),
    "cjk": regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Bopomofo}]"),
}
_LETTER_FAMILY_RE = {name: regex.compile(rf"(?=\p{{L}}){p.pattern}") for name, p in FAMILY_PATTERNS.items()}


def script_families(text: str) -> tuple[str, ...]:
    """The script families present in ``text`` (ASCII text short-circuits to Latin)."""
    if text.isascii():
        return ("latin",) if any(c.isalpha() for c in text) else ()
    return tuple(name for name, pattern in FAMILY_PATTERNS.items() if pattern.search(text))


def letter_counts(text: str) -> dict[str, int]:
    """Letters per script family, for majority decisions on mixed-script tokens."""
    return {name: len(p.findall(text)) for name, p in _LETTER_FAMILY_RE.items() if p.search(text)}


def _confusable_tables():
    """Look-alike maps between Latin and Cyrillic/Greek lower-case letters, from ICU's TR39 data."""
    checker = icu.SpoofChecker()
    to_latin, to_cyrillic = {}, {}
    for cp in list(range(0x0370, 0x0400)) + list(range(0x0400, 0x0530)):
        ch = chr(cp)
        if not ch.isalpha() or ch != ch.casefold():
            continue
        skeleton = checker.getSkeleton(0, ch)
        if len(skeleton) == 1 and "a" <= skeleton <= "z":
            to_latin[cp] = skeleton
            # Towards Cyrillic only onto the Russian alphabet, and not г: it resembles r only in italics.
            if "а" <= ch <= "я" and ch != "г":
                to_cyrillic[ord(skeleton)] = ch
    return to_latin, to_cyrillic


TO_LATIN_TABLE, TO_CYRILLIC_TABLE = _confusable_tables()
