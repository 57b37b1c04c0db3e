"""Multilingual filename normalisation: the spec every other part of icop reads text through.

Pipeline (the order is part of the spec; see docs/NORMALIZATION.md and the golden vectors in
tests/data/normalize_golden.tsv):

0. decode bytes (strict UTF-8, then plausible legacy code pages; invalid bytes counted);
1. split the extension off;
2. detect Zawgyi on the whole name (converted only above ``ZAWGYI_THRESHOLD``);
3. split into raw tokens at separators (ZWSP is a separator only next to Thai/Lao/Khmer/Myanmar);
4. per token: drop invisibles (counted), convert Zawgyi, NFKC, casefold, per-script repairs
   (Thai order and SARA AM, Khmer cluster order, Han traditional to simplified, Vietnamese tone
   placement), native digits to ASCII (Myanmar zero only between digits, else the letter wa);
5. views: ``norm`` (the above), ``fold`` (Latin diacritics, đ and ё folded; Thai, Khmer and
   Myanmar marks never touched) and ``skel`` (fold plus anti-obfuscation: confusables in
   mixed-script tokens, leetspeak inside words, squeezed letter runs, re-joined spaced letters).

Each raw token is normalised independently and cached, which makes the pipeline fast on real
name streams (tokens repeat) and lets every view token be traced back to a span of the raw name.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, fields
from functools import lru_cache

import icu
import opencc
import regex
from khmerspell import khnormal
from myanmartools import ZawgyiDetector
from pythainlp.util import normalize as thai_normalize

from icop import charsets
from icop.decoding import Decoded, decode

#: Zawgyi is converted only when the detector is at least this sure (blind conversion corrupts Unicode).
ZAWGYI_THRESHOLD = 0.95
#: Extensions recognised even when they contain digits; otherwise 1-4 ASCII letters.
KNOWN_EXTENSIONS = frozenset(
    "mp4 mp3 m4a m4v 3gp 3g2 mkv avi mov wmv flv webm mpg mpeg vob ts m2ts rmvb rm ogg ogv opus flac "
    "wav wma aac ac3 jpg jpeg png gif bmp webp heic heif tif tiff raw cr2 nef dng pdf doc docx xls "
    "xlsx ppt pptx txt rtf odt epub mobi zip rar 7z tar gz bz2 xz iso exe msi apk dmg deb rpm srt ass "
    "ssa sub idx nfo sfv md5 torrent html htm mp2 7zip".split()
)
_EXTENSION_RE = regex.compile(r"\.([A-Za-z0-9]{1,5})\s*$")
_VI_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_LATIN_MARK_RE = regex.compile(r"(?<=\p{Latin}\p{Mn}*)[\u0300-\u036f]")
_FOLD_TABLE = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ё": "е"})
_SQUEEZE_RE = regex.compile(r"(\p{L})\1{2,}")
_LEET_CLASS = regex.escape("".join(charsets.LEET))
_LEET_INTERIOR_RE = regex.compile(rf"(?<=[a-z])[{_LEET_CLASS}](?=[a-z])")
_LEET_SINGLE_RE = regex.compile(rf"(?<![0-9{_LEET_CLASS}])[{_LEET_CLASS}](?![0-9{_LEET_CLASS}])")
_LEET_TABLE = str.maketrans(charsets.LEET)
_MYANMAR_ZERO_DIGIT_RE = regex.compile(r"(?<=[0-9\u1040-\u1049])\u1040|\u1040(?=[0-9\u1040-\u1049])")


@dataclass(frozen=True)
class Obfuscation:
    """Counts of evasion-like or lossy events seen while normalising one name (model features)."""

    invisible: int = 0
    leet: int = 0
    confusable: int = 0
    squeezed: int = 0
    rejoined: int = 0
    mixed_script_tokens: int = 0
    native_digits: int = 0
    zawgyi_converted: int = 0
    fallback_decoding: int = 0
    invalid_bytes: int = 0

    def __add__(self, other: Obfuscation) -> Obfuscation:
        return Obfuscation(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    def asdict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


NO_OBFUSCATION = Obfuscation()


@dataclass(frozen=True)
class TokenViews:
    """One normalised token in every view, with the span of the raw token it came from."""

    norm: str
    fold: str
    skel: str
    start: int
    end: int


@dataclass(frozen=True)
class Normalized:
    text: str  # the decoded raw name; spans index into it
    ext: str
    norm: str
    fold: str
    skel: str
    zawgyi_probability: float
    obfuscation: Obfuscation = field(default=NO_OBFUSCATION)

    def views(self) -> dict[str, str]:
        return {"norm": self.norm, "fold": self.fold, "skel": self.skel}


def normalize(raw: str | bytes) -> Normalized:
    """Normalise one filename (``str`` or raw ``bytes``); never raises."""
    decoded = _decode(raw)
    stem, ext = split_extension(decoded.text)
    zawgyi_p, convert = _zawgyi(stem)
    tokens = [_token(t, convert) for t in charsets.RAW_SPLIT_RE.split(stem) if t]
    parts = [part for token_parts, _ in tokens for part in token_parts]
    skel_tokens, rejoined = _rejoin_spaced_letters([p[2] for p in parts])
    counts = Obfuscation(*map(sum, zip(*(c for _, c in tokens)))) if tokens else NO_OBFUSCATION
    counts += Obfuscation(
        rejoined=rejoined,
        zawgyi_converted=int(convert),
        fallback_decoding=int(decoded.fallback and decoded.invalid_bytes == 0),
        invalid_bytes=decoded.invalid_bytes,
    )
    return Normalized(
        text=decoded.text,
        ext=ext,
        norm=" ".join(p[0] for p in parts),
        fold=" ".join(p[1] for p in parts),
        skel=" ".join(skel_tokens),
        zawgyi_probability=zawgyi_p,
        obfuscation=counts,
    )


def aligned_tokens(raw: str | bytes) -> list[TokenViews]:
    """Every normalised token with the span of the decoded raw name it came from.

    ``skel`` here is per token (spaced letters are not re-joined), so that each entry keeps
    its own span; callers that match across tokens join spans themselves.
    """
    decoded = _decode(raw)
    stem, _ = split_extension(decoded.text)
    _, convert = _zawgyi(stem)
    out, start = [], 0
    for match in [*charsets.RAW_SPLIT_RE.finditer(stem), None]:
        end = match.start() if match else len(stem)
        if end > start:
            for norm, fold, skel in _token(stem[start:end], convert)[0]:
                out.append(TokenViews(norm, fold, skel, start, end))
        start = match.end() if match else end
    return out


def split_extension(text: str) -> tuple[str, str]:
    """(stem, extension) where the extension is known or 1-4 ASCII letters; the stem is never empty."""
    match = _EXTENSION_RE.search(text)
    if not match or match.start() == 0:
        return text, ""
    ext = match.group(1).lower()
    if ext in KNOWN_EXTENSIONS or (ext.isalpha() and len(ext) <= 4):
        return text[: match.start()], ext
    return text, ""


def _decode(raw: str | bytes) -> Decoded:
    if isinstance(raw, (bytes, bytearray, memoryview)):
        return decode(bytes(raw))
    return Decoded(raw, "utf-8")


_zawgyi_detector = ZawgyiDetector()
_zawgyi_to_unicode = icu.Transliterator.createInstance("Zawgyi-my")


def _zawgyi(stem: str) -> tuple[float, bool]:
    if stem.isascii() or not charsets.FAMILY_PATTERNS["myanmar"].search(stem):
        return 0.0, False
    p = _zawgyi_detector.get_zawgyi_probability(stem)
    return p, p > ZAWGYI_THRESHOLD


Parts = tuple[tuple[str, str, str], ...]


@lru_cache(maxsize=1 << 17)
def _token(token: str, zawgyi: bool) -> tuple[Parts, tuple[int, ...]]:
    """Normalise one raw token into (norm, fold, skel) parts plus the obfuscation it showed."""
    if token.isascii() and token.isprintable():
        return _ascii_token(token)
    cleaned = token.translate(charsets.INVISIBLE_TABLE).replace(charsets.ZWSP, "")
    invisible = len(token) - len(cleaned)
    norm, native_digits = _norm(cleaned, zawgyi)
    parts, counts = [], Obfuscation(invisible=invisible, native_digits=native_digits)
    for piece in norm.translate(charsets.SEPARATOR_TABLE).split():
        fold = _fold(piece)
        skel, skel_counts = _skel(fold)
        parts.append((piece, fold, skel))
        counts += skel_counts
    return tuple(parts), counts.astuple()


def _ascii_token(token: str) -> tuple[Parts, tuple[int, ...]]:
    norm = token.lower()
    skel, counts = _skel(norm)
    return ((norm, norm, skel),), counts.astuple()


def _norm(text: str, zawgyi: bool) -> tuple[str, int]:
    families = charsets.script_families(text)
    if zawgyi and "myanmar" in families:
        text = _zawgyi_to_unicode.transliterate(text)
    text = unicodedata.normalize("NFKC", text).casefold()
    text = unicodedata.normalize("NFC", text)
    if "thai" in families:
        text = thai_normalize(text)
    if "lao" in families:
        text = text.replace("\u0ecd\u0eb2", "\u0eb3")
    if "khmer" in families:
        text = khnormal(text)
    if "cjk" in families:
        text = _t2s.convert(text)
    if "latin" in families and not text.isascii():
        text = _vietnamese_old_tone_placement(text)
    return _ascii_digits(text)


_t2s = opencc.OpenCC("t2s")


def _ascii_digits(text: str) -> tuple[str, int]:
    if text.isascii():
        return text, 0
    if charsets.MYANMAR_ZERO in text:
        text = _MYANMAR_ZERO_DIGIT_RE.sub("0", text).replace(charsets.MYANMAR_ZERO, charsets.MYANMAR_WA)
    converted = text.translate(charsets.DIGIT_TABLE)
    return converted, sum(a != b for a, b in zip(text, converted))


def _vietnamese_tone_map() -> dict[str, str]:
    """'oà' -> 'òa' etc.: tone on the first vowel of open oa/oe/uy syllables (the older, common style)."""
    mapping = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for tone in _VI_TONES:
            new = first + unicodedata.normalize("NFC", second + tone)
            mapping[new] = unicodedata.normalize("NFC", first + tone) + second
    return mapping


_VI_TONE_MAP = _vietnamese_tone_map()
_VI_TONE_RE = regex.compile(r"(?<![qg])(?:" + "|".join(_VI_TONE_MAP) + r")(?!\p{L})")


def _vietnamese_old_tone_placement(text: str) -> str:
    return _VI_TONE_RE.sub(lambda m: _VI_TONE_MAP[m.group()], text)


def _fold(text: str) -> str:
    if text.isascii():
        return text
    stripped = _LATIN_MARK_RE.sub("", unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFC", stripped).translate(_FOLD_TABLE)


def _skel(text: str) -> tuple[str, Obfuscation]:
    """Anti-obfuscation view of one folded token."""
    confusable = mixed = 0
    if not text.isascii():
        letters = charsets.letter_counts(text)
        if len(letters) > 1:
            mixed = 1
            text, confusable = _map_confusables(text, letters)
    text, leet = _deleet(text)
    squeezed_text = _SQUEEZE_RE.sub(r"\1", text)
    squeezed = len(text) - len(squeezed_text)
    return squeezed_text, Obfuscation(leet=leet, confusable=confusable, squeezed=squeezed, mixed_script_tokens=mixed)


def _map_confusables(text: str, letters: dict[str, int]) -> tuple[str, int]:
    """Map look-alikes onto the token's majority script, Latin or Cyrillic (ties go to Latin)."""
    majority = max(("latin", "cyrillic"), key=lambda name: letters.get(name, 0))
    table = charsets.TO_LATIN_TABLE if majority == "latin" else charsets.TO_CYRILLIC_TABLE
    mapped = text.translate(table)
    return mapped, sum(a != b for a, b in zip(text, mapped))


def _deleet(text: str) -> tuple[str, int]:
    """Leet only inside mostly-alphabetic Latin words, so years, '1080p' and 'x264' survive."""
    if not _LEET_INTERIOR_RE.search(text):
        return text, 0
    letters = sum(c.isalpha() for c in text)
    if letters < 2 or letters < sum(c.isdigit() for c in text):
        return text, 0
    count = 0

    def swap(match: regex.Match) -> str:
        nonlocal count
        count += 1
        return match.group().translate(_LEET_TABLE)

    return _LEET_SINGLE_RE.sub(swap, text), count


def _rejoin_spaced_letters(tokens: list[str]) -> tuple[list[str], int]:
    """'m o v i e' -> 'movie': runs of three or more single letters become one token."""
    out, run, rejoined = [], [], 0
    for token in [*tokens, None]:
        if token is not None and len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if len(run) >= 3:
            out.append("".join(run))
            rejoined += len(run)
        else:
            out.extend(run)
        run = []
        if token is not None:
            out.append(token)
    return out, rejoined
