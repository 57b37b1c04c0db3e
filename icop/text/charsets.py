"""Character classes and translation tables used by normalisation.

Every table here is *derived* from Unicode data (``unicodedata``, ICU's confusables) at import
time rather than typed by hand, so that it covers every variant form of a character (full-width,
compatibility, other scripts' digits) and so that it is the same on every machine with the same
library versions.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from array import array
from collections.abc import Iterable
from itertools import chain

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


_NATIVE_UTF32 = "utf-32-le" if sys.byteorder == "little" else "utf-32-be"


def code_point_text(points: Iterable[int], *, nul_after_each: bool = False) -> str:
    """The characters of ``points`` as one string, optionally each followed by NUL, built in C:
    the tables here scan the code space at import, where a Python loop would cost tens of ms."""
    values = array("I", points)  # 4 bytes a code point on every platform CPython supports
    if nul_after_each:
        spaced = array("I", bytes(2 * values.itemsize * len(values)))
        spaced[::2] = values
        values = spaced
    return values.tobytes().decode(_NATIVE_UTF32, "surrogatepass")


def _all_chars() -> str:
    """Planes 0-1 and the tag/variation-selector block: no separator, digit or invisible lies elsewhere."""
    return code_point_text(chain(range(0xD800), range(0xE000, 0x20000), range(0xE0000, 0xE0200)))


#: Letters, marks, non-decimal numbers, and unassigned and private-use points: never separators,
#: invisibles or digits (the last two have no decomposition or case, so they fold to nothing else).
_INERT_CATEGORIES = frozenset(["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nl", "No", "Cn", "Co"])


def _build_tables():
    """One pass over the code space builds every table below (categories looked up in one C-level map)."""
    base_separators = set(SEPARATORS) | set(_EXTRA_SEPARATORS)
    separators, invisibles, digits = set(), set(_INVISIBLE_MARKS), {}
    chars = _all_chars()
    for ch, cat in zip(chars, map(unicodedata.category, chars)):
        if cat in _INERT_CATEGORIES:
            continue
        if cat[0] in "PZSC" and _folds_to_separators(ch, base_separators):
            separators.add(ch)
        elif cat in ("Cc", "Cf") and ch != ZWSP:
            invisibles.add(ord(ch))
        elif cat == "Nd" and not ch.isascii() and not _is_zawgyi_codepoint(ch):
            digits[ord(ch)] = str(unicodedata.digit(ch))
    return frozenset(separators), dict.fromkeys(sorted(invisibles)), digits


def _folds_to_separators(ch: str, base: set[str]) -> bool:
    if ch in base:
        return True
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return bool(folded) and all(c in base for c in folded)


def _is_zawgyi_codepoint(ch: str) -> bool:
    """Myanmar Shan digits are where Zawgyi fonts put medial and dot-below glyphs."""
    return 0x1090 <= ord(ch) <= 0x1099


#: Marks and fillers that render as nothing although they are not format characters (all letters
#: or marks by category, so never separators or digits).
_INVISIBLE_MARKS = frozenset(
    [
        0x034F,  # combining grapheme joiner
        *range(0xFE00, 0xFE10),  # variation selectors
        *range(0xE0100, 0xE01F0),  # variation selectors supplement
        0x115F,  # Hangul fillers
        0x1160,
        0x3164,
        0xFFA0,
    ]
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
