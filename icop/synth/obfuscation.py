"""Obfuscation families: the ways people disguise or mangle words in filenames.

One seeded function per family, used by the synthetic corpus (markers and carriers) and by the
robustness suites of the evaluation. Each takes a word and a ``random.Random`` and returns the
disguised word, or ``None`` when the family does not apply to that word (no Latin letters to
leet, no Myanmar to re-encode...). Nothing here reads global state: same word, same seed, same
result.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

import icu
import regex
from anyascii import anyascii

from icop.text import charsets

_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "b": "8", "g": "9"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")
_SEPARATORS = (".", "_", "-", " ")
_TO_CYRILLIC = {chr(k): v for k, v in charsets.TO_CYRILLIC_TABLE.items()}
_TO_LATIN = {chr(k): v for k, v in charsets.TO_LATIN_TABLE.items() if "\u0400" <= chr(k) <= "\u04ff"}
_GRAPHEME_RE = regex.compile(r"\X")
_to_zawgyi = icu.Transliterator.createInstance("my-Zawgyi")

Family = Callable[[str, random.Random], "str | None"]


def _positions(word: str, predicate, rng: random.Random, most: int = 2) -> list[int]:
    candidates = [i for i, ch in enumerate(word) if predicate(ch)]
    return sorted(rng.sample(candidates, min(len(candidates), rng.randint(1, most)))) if candidates else []


def _replace_at(word: str, positions: list[int], mapping) -> str | None:
    if not positions:
        return None
    chars = list(word)
    for i in positions:
        chars[i] = mapping(chars[i])
    return "".join(chars)


def leet(word: str, rng: random.Random) -> str | None:
    return _replace_at(word, _positions(word, lambda c: c.lower() in _LEET, rng), lambda c: _LEET[c.lower()])


def homoglyph(word: str, rng: random.Random) -> str | None:
    """Swap letters for look-alikes from the other script (Latin <-> Cyrillic)."""
    table = _TO_CYRILLIC if _mostly_latin(word) else _TO_LATIN
    return _replace_at(word, _positions(word, lambda c: c in table, rng), table.__getitem__)


def zero_width(word: str, rng: random.Random) -> str | None:
    graphemes = _GRAPHEME_RE.findall(word)
    if len(graphemes) < 2:
        return None
    for _ in range(rng.randint(1, 2)):
        graphemes.insert(rng.randint(1, len(graphemes) - 1), rng.choice(_ZERO_WIDTH))
    return "".join(graphemes)


def separators(word: str, rng: random.Random) -> str | None:
    """Break the word with separators: once, or between every grapheme ('m.o.v.i.e')."""
    graphemes = _GRAPHEME_RE.findall(word)
    if len(graphemes) < 3:
        return None
    sep = rng.choice(_SEPARATORS)
    if rng.random() < 0.5:
        return sep.join(graphemes)
    cut = rng.randint(1, len(graphemes) - 1)
    return "".join(graphemes[:cut]) + sep + "".join(graphemes[cut:])


def repeat(word: str, rng: random.Random) -> str | None:
    positions = [i for i, c in enumerate(word) if c.isalpha()]
    if not positions:
        return None
    i = rng.choice(positions)
    return word[: i + 1] + word[i] * rng.randint(2, 4) + word[i + 1 :]


def diacritics(word: str, rng: random.Random) -> str | None:
    """Strip Latin diacritics (Vietnamese written without tone marks)."""
    stripped = unicodedata.normalize("NFC", regex.sub(r"(?<=\p{Latin})\p{Mn}+", "", unicodedata.normalize("NFD", word)))
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return stripped if stripped != word else None


def transliteration(word: str, rng: random.Random) -> str | None:
    """Romanise a non-Latin word (anyascii)."""
    if word.isascii():
        return None
    latin = anyascii(word)
    return latin if latin and latin != word else None


def mixed_script(word: str, rng: random.Random) -> str | None:
    """Romanise part of a non-Latin word, leaving the rest in its own script."""
    graphemes = _GRAPHEME_RE.findall(word)
    if word.isascii() or len(graphemes) < 2:
        return None
    cut = rng.randint(1, len(graphemes) - 1)
    head, tail = "".join(graphemes[:cut]), "".join(graphemes[cut:])
    mixed = anyascii(head) + tail if rng.random() < 0.5 else head + anyascii(tail)
    return mixed if mixed != word else None


def case_noise(word: str, rng: random.Random) -> str | None:
    if not any(c.isupper() or c.islower() for c in word):
        return None
    noisy = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
    return noisy if noisy != word else None


def zawgyi(word: str, rng: random.Random) -> str | None:
    """Re-encode Unicode Burmese as Zawgyi."""
    if not charsets.FAMILY_PATTERNS["myanmar"].search(word):
        return None
    encoded = _to_zawgyi.transliterate(word)
    return encoded if encoded != word else None


def _mostly_latin(word: str) -> bool:
    latin = sum("a" <= c.lower() <= "z" for c in word)
    return latin * 2 >= sum(c.isalpha() for c in word)


FAMILIES: dict[str, Family] = {
    "leet": leet,
    "homoglyph": homoglyph,
    "zero_width": zero_width,
    "separators": separators,
    "repeat": repeat,
    "diacritics": diacritics,
    "transliteration": transliteration,
    "mixed_script": mixed_script,
    "case": case_noise,
    "zawgyi": zawgyi,
}


def apply(family: str, word: str, rng: random.Random) -> str | None:
    return FAMILIES[family](word, rng)
