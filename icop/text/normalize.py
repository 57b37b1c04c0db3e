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
:func:`normalize_batch` gives the same results for a batch, walking names and tokens in the
compiled driver (``icop/compiled/_fastpath.pyx``) when it is built; that driver decides most new
tokens from tables generated here, from this definition (:func:`token_tables`).
"""

from __future__ import annotations

import gc
import re
import string
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import chain, repeat
from math import exp
from typing import NamedTuple

import icu
import regex
from khmerspell import khnormal

from icop.compiled import DRIVERS
from icop.text import charsets
from icop.text.decoding import Decoded, decode
from icop.text.languages import UNSPACED_SCRIPTS

#: Zawgyi is converted only when the detector is at least this sure (blind conversion corrupts Unicode).
ZAWGYI_THRESHOLD = 0.95
#: Extensions recognised even when they contain digits; otherwise 2-4 ASCII letters.
KNOWN_EXTENSIONS = frozenset(
    [
        "mp4",
        "mp3",
        "m4a",
        "m4v",
        "3gp",
        "3g2",
        "mkv",
        "avi",
        "mov",
        "wmv",
        "flv",
        "webm",
        "mpg",
        "mpeg",
        "vob",
        "ts",
        "m2ts",
        "rmvb",
        "rm",
        "ogg",
        "ogv",
        "opus",
        "flac",
        "wav",
        "wma",
        "aac",
        "ac3",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "webp",
        "heic",
        "heif",
        "tif",
        "tiff",
        "raw",
        "cr2",
        "nef",
        "dng",
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "txt",
        "rtf",
        "odt",
        "epub",
        "mobi",
        "zip",
        "rar",
        "7z",
        "tar",
        "gz",
        "bz2",
        "xz",
        "iso",
        "exe",
        "msi",
        "apk",
        "dmg",
        "deb",
        "rpm",
        "srt",
        "ass",
        "ssa",
        "sub",
        "idx",
        "nfo",
        "sfv",
        "md5",
        "torrent",
        "html",
        "htm",
        "mp2",
        "7zip",
    ]
)
_VI_TONES = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_LATIN_MARK_RE = regex.compile(r"(?<=\p{Latin}\p{Mn}*)[\u0300-\u036f]")
_FOLD_TABLE = str.maketrans({"đ": "d", "ð": "d", "ł": "l", "ø": "o", "ё": "е"})
_SQUEEZABLE_RE = re.compile(r"[^\W\d_]")  # a letter (stdlib re: faster)
_SQUEEZE_RE = re.compile(rf"({_SQUEEZABLE_RE.pattern})\1{{2,}}")  # ... three or more times
_LEET_CLASS = re.escape("".join(charsets.LEET))
_LEET_NEIGHBOURS = string.ascii_lowercase
_LEET_INTERIOR_RE = re.compile(rf"(?<=[{_LEET_NEIGHBOURS}])[{_LEET_CLASS}](?=[{_LEET_NEIGHBOURS}])")
_LEET_SINGLE_RE = re.compile(rf"(?<![0-9{_LEET_CLASS}])[{_LEET_CLASS}](?![0-9{_LEET_CLASS}])")
#: A token can only mix confusable scripts if it has a Cyrillic or Greek letter and a Latin one.
_CYRILLIC_GREEK_RE = regex.compile(r"[\p{Cyrillic}\p{Greek}]")
_LATIN_LETTER_RE = regex.compile(r"(?=\p{L})\p{Latin}")
_LEET_TABLE = str.maketrans(charsets.LEET)
_MYANMAR_ZERO_DIGIT_RE = regex.compile(r"(?<=[0-9\u1040-\u1049])\u1040|\u1040(?=[0-9\u1040-\u1049])")


class Obfuscation(NamedTuple):
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

    def plus(self, *others: Obfuscation) -> Obfuscation:
        return Obfuscation(*map(sum, zip(self, *others)))


NO_OBFUSCATION = Obfuscation()


@dataclass(frozen=True)
class TokenViews:
    """One normalised token in every view, with the span of the raw token it came from."""

    norm: str
    fold: str
    skel: str
    start: int
    end: int


class Normalized(NamedTuple):
    text: str  # the decoded raw name; spans index into it
    ext: str
    norm: str
    fold: str
    skel: str
    zawgyi_probability: float
    obfuscation: Obfuscation = NO_OBFUSCATION

    def views(self) -> dict[str, str]:
        return {"norm": self.norm, "fold": self.fold, "skel": self.skel}


def normalize(raw: str | bytes) -> Normalized:
    """Normalise one filename (``str`` or raw ``bytes``); never raises."""
    if isinstance(raw, str):
        text, decoding = raw, NO_OBFUSCATION
    else:
        decoded = decode(bytes(raw))
        text, decoding = decoded.text, _decoding_counts(decoded)
    stem, ext = split_extension(text)
    raw_tokens = _raw_tokens(stem)
    zawgyi_p, convert = _zawgyi_decision(stem, raw_tokens)
    tokens = [_token(t, convert) for t in raw_tokens]
    counts = [t[3] for t in tokens if t[3] is not NO_OBFUSCATION]
    norms, folds, skels, _ = zip(*tokens) if tokens else ((), (), (), ())
    if "" in norms:  # tokens that normalised to nothing (only invisible or dangling characters)
        norms, folds, skels = (tuple(t[i] for t in tokens if t[0]) for i in range(3))
    skel, rejoined = _rejoin_spaced_letters(" ".join(skels))
    if rejoined or convert:
        counts.append(Obfuscation(rejoined=rejoined, zawgyi_converted=int(convert)))
    return Normalized(text, ext, " ".join(norms), " ".join(folds), skel, zawgyi_p, decoding.plus(*counts) if counts else decoding)


#: Smaller batches are normalised in Python: building the compiled driver's tables takes longer
#: than normalising them (a command on a few names starts faster; the results are the same).
DRIVER_MIN_BATCH = 1000


def normalize_batch(raws: Sequence[str | bytes]) -> list[Normalized]:
    """``[normalize(r) for r in raws]``, through the compiled driver when it is built."""
    with gc_paused():
        driver = batch_driver() if DRIVERS.compiled and len(raws) >= DRIVER_MIN_BATCH else None
        if driver is None:
            return [normalize(r) for r in raws]
        return driver(raws if type(raws) is list else list(raws))


def as_normalized(names: Sequence[str | bytes | Normalized]) -> list[Normalized]:
    """Names normalised where they are not already (raw names in one batch)."""
    raw = [i for i, n in enumerate(names) if not isinstance(n, Normalized)]
    if len(raw) == len(names):
        return normalize_batch(names)
    out = list(names)
    for i, n in zip(raw, normalize_batch([names[i] for i in raw])):
        out[i] = n
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """Batch work creates many small acyclic objects; each collection they trigger would walk
    the token caches again (about a third of the batch time). One collection after is enough."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def norm_view(raw: str | bytes) -> str:
    """Only the ``norm`` view of :func:`normalize` (same result, less work): for grouping keys."""
    text = raw if isinstance(raw, str) else decode(bytes(raw)).text
    stem, _ = split_extension(text)
    raw_tokens = _raw_tokens(stem)
    convert = _zawgyi_decision(stem, raw_tokens)[1]
    return " ".join([norm for t in raw_tokens if (norm := _token(t, convert)[0])])


def compiled_tables() -> dict:
    """What the compiled driver needs from this definition, as tables (see icop/compiled/)."""
    myanmar = charsets.FAMILY_PATTERNS["myanmar"]
    return {
        "separators": charsets.SEPARATOR_CHARS,
        "myanmar": "".join(myanmar.findall(charsets.code_point_text(range(0x1000, 0x20000)))),  # a one-character pattern
        "unspaced": "".join(_UNSPACED_CHAR_RE.findall(charsets.code_point_text(range(0x20000)))),
        "counts": Obfuscation._fields,
    }


#: The blocks whose characters the compiled driver normalises from tables: ASCII, Latin (with
#: the IPA letters some capitals fold to), Greek, Cyrillic, Thai and Myanmar. Tokens with any
#: other character go through the Python definition.
TABLE_BLOCKS = (
    range(0x20, 0x7F),
    range(0xA0, 0x2B0),
    range(0x370, 0x530),
    range(0xE00, 0xE80),
    range(0x1000, 0x10A0),
    range(0x1E00, 0x1F00),
)


class TokenTables(NamedTuple):
    """What a token of table characters normalises to, character by character, and the classes
    that tell the compiled driver when a rule of the definition that looks at neighbours might
    act (canonical reordering, the Thai and Vietnamese repairs, confusables, leetspeak, squeezed
    letters): such a token goes to Python. Generated from the definition at run time, so it
    cannot be out of date."""

    chars: str  # the characters whose token result is their own and concatenates
    norms: tuple[str, ...]  # per character of ``chars``: its norm view ...
    folds: tuple[str, ...]  # ... its fold view (skel is the fold where no rule acts) ...
    combining: tuple[int, ...]  # ... and its canonical combining class (marks out of order reorder)
    repair_pairs: tuple[str, ...]  # two norm characters a script repair may act on
    repair_leading: str  # a norm character it may act on at the start of a token
    cyrillic_greek: str  # with a Latin letter in the same token, confusables may be mapped
    latin_letters: str
    leet: str  # leet characters, acted on between two of ...
    leet_neighbours: str
    squeezable: str  # letters squeezed when three or more in a row


@cache
def token_tables() -> TokenTables:
    """The tables of :class:`TokenTables` for the characters of :data:`TABLE_BLOCKS` that pass
    the checks below (tests/text/test_normalize.py holds the driver to the definition)."""
    candidates = charsets.code_point_text(chain.from_iterable(TABLE_BLOCKS))
    thai = [c for c in candidates if _FAMILY["thai"].match(c)]
    # The Thai repairs' gate looks at no more than two characters (tokens hold no spaces); a
    # character it acts on wherever it stands is left out of the tables.
    anywhere = {a for a in thai if _THAI_NEEDS_REPAIR_RE.search(f"x{a}")}
    seconds = _composition_seconds(candidates)
    results = {c: _table_views(c) for c in candidates if c not in anywhere}
    chars = {c for c, result in results.items() if result and _stands_alone(c, *result, seconds)}
    while True:  # outputs must be table characters that normalise to themselves
        closed = {c for c in chars if all(x in chars and results[x][0] == x for x in results[c][0] + results[c][1])}
        if closed == chars:
            break
        chars = closed
    table = "".join(sorted(chars))
    outputs = "".join(sorted({x for c in table for x in results[c][1]}))
    thai = [c for c in thai if c in chars]
    return TokenTables(
        table,
        tuple(results[c][0] for c in table),
        tuple(results[c][1] for c in table),
        tuple(map(unicodedata.combining, table)),
        (*_VI_TONE_MAP, *(a + b for a in thai for b in thai if _THAI_NEEDS_REPAIR_RE.search(f"x{a}{b}"))),
        "".join(a for a in thai if _THAI_NEEDS_REPAIR_RE.search(a)),
        "".join(_CYRILLIC_GREEK_RE.findall(outputs)),
        "".join(_LATIN_LETTER_RE.findall(outputs)),
        "".join(charsets.LEET),
        _LEET_NEIGHBOURS,
        "".join(_SQUEEZABLE_RE.findall(outputs)),
    )


def _table_views(char: str) -> TokenResult | None:
    """A character's token result alone or, where a rule acting at the start of a token (a
    leading Thai mark) decides that, after a letter ("x"); such tokens go to Python."""
    if _THAI_NEEDS_REPAIR_RE.search(char) is None:
        return _normalize_token(char, False)
    views = _normalize_token("x" + char, False)
    if not all(view.startswith("x") for view in views[:3]):
        return None
    return views[0][1:], views[1][1:], views[2][1:], views[3]


def _composition_seconds(chars: str) -> frozenset[str]:
    """Characters that canonical composition joins to the one before them, from the
    decompositions of ``chars`` (a test checks the whole of Unicode for the table characters)."""
    pairs = (unicodedata.decomposition(c).split() for c in chars)
    return frozenset(chr(int(pair[1], 16)) for pair in pairs if len(pair) == 2 and not pair[0].startswith("<"))


def _stands_alone(char: str, norm: str, fold: str, skel: str, counts: Obfuscation, seconds: frozenset[str]) -> bool:
    """A character whose token result can be concatenated: no count, no separator or native
    digit (a digit decides its neighbours), skel = fold, and views that start with nothing
    composition joins to the character before."""
    if (
        counts is not NO_OBFUSCATION
        or not norm
        or skel != fold
        or not char.isprintable()
        or _SPLIT_RE.search(char + _prepare(char)[0])
        or _NATIVE_DIGIT_RE.search(char)
    ):
        return False
    return all(view[0] not in seconds for view in (norm, fold, unicodedata.normalize("NFKC", char)))


@cache
def batch_driver():
    """The compiled batch driver, or None where the drivers are not built; made on first use
    (its tables take tens of milliseconds, which a command that never batches should not pay)."""
    fastpath = DRIVERS.module
    if fastpath is None:
        return None
    fastpath.init_tables(**compiled_tables())
    fastpath.init_token_tables(**token_tables()._asdict())
    return fastpath.NameNormalizer(
        _TOKEN_CACHES,
        TOKEN_CACHE_SIZE,
        _token,
        _zawgyi_decision,
        normalize,
        split_extension,
        KNOWN_EXTENSIONS,
        _rejoin_spaced_letters,
        _spelled_out,
        Normalized,
        Obfuscation,
        NO_OBFUSCATION,
    )


def _decoding_counts(decoded: Decoded) -> Obfuscation:
    if not decoded.fallback:
        return NO_OBFUSCATION
    return Obfuscation(fallback_decoding=int(decoded.invalid_bytes == 0), invalid_bytes=decoded.invalid_bytes)


def _raw_tokens(stem: str) -> list[str]:
    if charsets.ZWSP in stem:
        return [t for t in charsets.RAW_SPLIT_RE.split(stem) if t]
    return [t for t in _SPLIT_RE.split(stem) if t]


#: The same split as charsets.RAW_SPLIT_RE for text without ZWSP, in stdlib re (several times faster).
_SPLIT_RE = re.compile(charsets.char_class(map(ord, charsets.SEPARATOR_CHARS)) + "+")


def aligned_tokens(raw: str | bytes) -> list[TokenViews]:
    """Every normalised token with the span of the decoded raw name it came from.

    ``skel`` here is per token (spaced letters are not re-joined), so that each entry keeps
    its own span; callers that match across tokens join spans themselves.
    """
    decoded = _decode(raw)
    stem, _ = split_extension(decoded.text)
    _, convert = _zawgyi_decision(stem, _raw_tokens(stem))
    out, start = [], 0
    for match in [*charsets.RAW_SPLIT_RE.finditer(stem), None]:
        end = match.start() if match else len(stem)
        if end > start:
            norm, fold, skel, _ = _token(stem[start:end], convert)
            for views in zip(norm.split(), fold.split(), skel.split()):
                out.append(TokenViews(*views, start, end))
        start = match.end() if match else end
    return out


def trace(raw: str | bytes) -> list[tuple[str, str]]:
    """The text after each step of the pipeline, for explanations: (step, text) pairs."""
    decoded = _decode(raw)
    stem, ext = split_extension(decoded.text)
    raw_tokens = _raw_tokens(stem)
    _, convert = _zawgyi_decision(stem, raw_tokens)
    prepared = [_prepare(t)[0] for t in raw_tokens]
    n = normalize(raw)
    steps = [
        ("input", raw.hex() if isinstance(raw, (bytes, bytearray)) else raw),
        (f"decoded ({decoded.codec})", decoded.text),
        (f"extension split off ({ext or 'none'})", stem),
        ("tokens at separators", " | ".join(raw_tokens)),
        ("invisibles removed, NFKC, casefold, digits", " | ".join(prepared)),
    ]
    if convert:
        steps.append(("Zawgyi converted to Unicode", " | ".join(_zawgyi_convert(p) for p in prepared)))
    return steps + [("norm (script repairs)", n.norm), ("fold", n.fold), ("skel", n.skel)]


def split_extension(text: str) -> tuple[str, str]:
    """(stem, extension) where the extension is known or 2-4 ASCII letters; the stem is never empty."""
    stem, dot, ext = text.rpartition(".")
    ext = ext.rstrip().lower()
    if not stem or len(ext) > 5 or not (ext.isascii() and ext.isalnum()):
        return text, ""
    if ext in KNOWN_EXTENSIONS or (ext.isalpha() and 2 <= len(ext) <= 4):
        return stem, ext
    return text, ""


def _decode(raw: str | bytes) -> Decoded:
    return Decoded(raw, "utf-8") if isinstance(raw, str) else decode(bytes(raw))


def _zawgyi_decision(stem: str, raw_tokens: list[str]) -> tuple[float, bool]:
    """(probability, convert?) for the whole name.

    Converts only when the detector is sure *and* the converted text no longer looks like
    Zawgyi; both are judged on prepared text, so normalising ``norm`` again decides the same.
    """
    if stem.isascii() or not charsets.FAMILY_PATTERNS["myanmar"].search(stem):
        return 0.0, False
    prepared = [_prepare(t)[0] for t in raw_tokens if not t.isascii()]
    p = _zawgyi_probability(prepared)
    if p <= ZAWGYI_THRESHOLD:
        return p, False
    return p, _zawgyi_probability([_zawgyi_convert(t) for t in prepared]) <= ZAWGYI_THRESHOLD


def _zawgyi_probability(texts: list[str]) -> float:
    """The detector's probability for the whole name, summed from cached per-token log-odds.

    The detector scores pairs of adjacent characters and treats every non-Myanmar character
    like the string boundary, so splitting at separators leaves its total unchanged.
    """
    total = sum([_zawgyi_log_odds(t) for t in texts])
    if total == 0.0:
        return 0.0
    return 1 / (1 + exp(-total)) if total < 0 else exp(total) / (1 + exp(total))


class _ZawgyiTools(NamedTuple):
    """The detector is a Markov chain over character pairs; its public API returns only the final
    probability, so its pair scores are summed here from its own tables: each character's state
    exactly as the detector's ``_state`` gives it (0 for all others), and its parameter array."""

    states: dict[str, int]
    size: int
    params: Sequence[float]
    to_unicode: icu.Transliterator


@cache
def _zawgyi_tools() -> _ZawgyiTools:
    # Built on the first Myanmar text rather than at import: it is a tenth of icop's start-up.
    from myanmartools import ZawgyiDetector

    detector = ZawgyiDetector()
    return _ZawgyiTools(
        {ch: detector._state(ch) for ch in detector._chars},
        len(detector._chars) + 1,
        detector._params,
        icu.Transliterator.createInstance("Zawgyi-my"),
    )


@lru_cache(maxsize=1 << 16)
def _zawgyi_log_odds(text: str) -> float:
    """Minus the sum of the detector's pair scores (NaN pairs, between foreign characters, skipped)."""
    if not charsets.FAMILY_PATTERNS["myanmar"].search(text):
        return 0.0
    tools = _zawgyi_tools()
    states = [0, *map(tools.states.get, text, repeat(0)), 0]
    pairs = [tools.params[a * tools.size + b] for a, b in zip(states, states[1:])]
    return -sum([x for x in pairs if x == x])


@lru_cache(maxsize=1 << 16)
def _zawgyi_convert(prepared: str) -> str:
    if not charsets.FAMILY_PATTERNS["myanmar"].search(prepared):
        return prepared
    return _prepare(_zawgyi_tools().to_unicode.transliterate(prepared))[0]


#: One raw token in each view (space-joined when NFKC split it) and the obfuscation it showed.
TokenResult = tuple[str, str, str, Obfuscation]


#: Token results, one cache per Zawgyi decision (index 0: no conversion, the common case): real
#: name streams repeat tokens, so this carries the speed. Cleared when full, which keeps memory
#: bounded and cannot change any result.
_TOKEN_CACHES: tuple[dict[str, TokenResult], dict[str, TokenResult]] = ({}, {})
TOKEN_CACHE_SIZE = 1 << 18


def release_token_caches() -> None:
    """Empties every per-token cache of the normaliser (for when a batch job's normalising is
    over). They only hold results computed again on demand, so no result changes."""
    for tokens in _TOKEN_CACHES:
        tokens.clear()
    for cached in (_zawgyi_log_odds, _zawgyi_convert, _prepare, _khmer_syllable):
        cached.cache_clear()


def _token(token: str, zawgyi: bool) -> TokenResult:
    cache = _TOKEN_CACHES[zawgyi]
    result = cache.get(token)
    if result is None:
        if token.isdigit() and token.isascii():
            return token, token, token, NO_OBFUSCATION  # counters and dates: too varied to cache
        if len(cache) >= TOKEN_CACHE_SIZE:
            cache.clear()
        result = cache[token] = _normalize_token(token, zawgyi)
    return result


def _normalize_token(token: str, zawgyi: bool) -> TokenResult:
    if token.isascii() and token.isprintable():
        return _ascii_token(token)
    text, prepare_counts = _prepare(token)
    if zawgyi:
        text = _zawgyi_convert(text)
    parts, counts = [], [prepare_counts]
    if _SPLIT_RE.search(text):  # NFKC can make separators (full-width punctuation, ...)
        text = text.translate(charsets.SEPARATOR_TABLE)
    for piece in text.split(" "):
        norm = _repaired(piece)
        if not norm:
            continue
        fold = _fold(norm)
        skel, skel_counts = _skel(fold)
        parts.append((norm, fold, skel))
        counts.append(skel_counts)
    views = [" ".join(view) for view in zip(*parts)] or ["", "", ""]
    counts = [c for c in counts if c is not NO_OBFUSCATION]
    return *views, _shared_if_zero(NO_OBFUSCATION.plus(*counts)) if counts else NO_OBFUSCATION


def _shared_if_zero(counts: Obfuscation) -> Obfuscation:
    """Zero counts are the shared NO_OBFUSCATION, so the per-name sum can skip them by identity."""
    return counts if any(counts) else NO_OBFUSCATION


@lru_cache(maxsize=1 << 16)
def _prepare(token: str) -> tuple[str, Obfuscation]:
    """Invisibles out, NFKC + casefold, native digits to ASCII: the text Zawgyi is judged on."""
    cleaned, surrogates = token, 0
    if _NEEDS_CLEANING_RE.search(token):
        cleaned = token.translate(charsets.INVISIBLE_TABLE).replace(charsets.ZWSP, "")
        cleaned, surrogates = _LONE_SURROGATE_RE.subn("\ufffd", cleaned)
    text, native_digits = _ascii_digits(_unicode_fold(cleaned))
    if len(token) == len(cleaned) and not (native_digits or surrogates):
        return text, NO_OBFUSCATION
    return text, Obfuscation(invisible=len(token) - len(cleaned), native_digits=native_digits, invalid_bytes=surrogates)


#: Lone surrogates can reach a str from undecodable file names (surrogateescape); they are invalid.
_LONE_SURROGATE_RE = regex.compile(r"[\ud800-\udfff]")
#: Anything _prepare removes or replaces (a stdlib class: one fast scan rules most tokens out).
_NEEDS_CLEANING_RE = re.compile(charsets.char_class([*charsets.INVISIBLE_TABLE, ord(charsets.ZWSP), *range(0xD800, 0xE000)]))


def _unicode_fold(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())


#: Script repairs on malformed sequences can leave text that NFC reorders; a few rounds settle it.
_MAX_REPAIR_ROUNDS = 4


def _repaired(piece: str) -> str:
    """Script repairs on prepared text, repeated (rarely) until NFC and the repairs agree."""
    text = _script_repairs(piece)
    if text == piece:
        return text  # the input was already prepared, so this is the fixed point
    for _ in range(_MAX_REPAIR_ROUNDS):
        again = _script_repairs(_ascii_digits(_unicode_fold(text))[0])
        if again == text:
            break
        text = again
    return text


def _ascii_token(token: str) -> TokenResult:
    norm = token.lower()
    skel, counts = _skel(norm)
    return norm, norm, skel, _shared_if_zero(counts)


def _script_repairs(text: str) -> str:
    """Per-script spelling repairs, each only when its script is present (the Thai, Lao and
    Vietnamese patterns match only their own script, so they are their own test)."""
    if text.isascii():
        return text
    if max(text) >= "\u0e00":  # Thai, Lao, Khmer and the CJK family all lie above U+0E00
        if "\u0e4d\u0e32" in text:  # SARA AM, decomposed by NFKC: recomposed here, as PyThaiNLP would
            text = text.replace("\u0e4d\u0e32", "\u0e33")
        if _THAI_NEEDS_REPAIR_RE.search(text):
            text = _thai_normalize(text)
        if "\u0ecd\u0eb2" in text:
            text = text.replace("\u0ecd\u0eb2", "\u0eb3")
        if _FAMILY["khmer"].search(text):
            text = "".join([_khmer_syllable(syllable) for syllable in _KHMER_SYLLABLE_RE.split(text)])
        if _FAMILY["cjk"].search(text) and not _KANA_RE.search(text):
            text = _t2s().convert(text)  # Han folding; a token with kana is Japanese and keeps its kanji
    return _vietnamese_old_tone_placement(text)


#: khnormal works syllable by syllable (a base consonant not after a COENG or ZWJ, up to the
#: next one), so splitting there and caching each syllable gives its result exactly, faster.
_KHMER_SYLLABLE_RE = regex.compile(r"(?<![\u17d2\u200d])(?=[\u1780-\u17a2\u17a5-\u17b3])")


@lru_cache(maxsize=1 << 14)
def _khmer_syllable(syllable: str) -> str:
    return khnormal(syllable)


def _thai_normalize(text: str) -> str:
    # Imported here: PyThaiNLP takes a tenth of icop's start-up and is needed only for Thai that needs repair.
    from pythainlp.util import normalize as thai_normalize

    return thai_normalize(text)


@cache
def _t2s():
    import opencc  # on the first Han text: start-up pays only for the scripts a run meets

    return opencc.OpenCC("t2s")


#: What PyThaiNLP's normalize() repairs (doubled SARA E, tone before vowel, NIKHAHIT, vowel before
#: tone, LAKKHANGYAO, repeated vowels or signs, repeated tone marks, a leading mark); text without
#: any of these passes through it unchanged, so it is skipped (a property test holds this).
_THAI_NEEDS_REPAIR_RE = regex.compile(
    r"\u0e40\u0e40|[\u0e48-\u0e4c][\u0e31\u0e34-\u0e3a\u0e47]|\u0e4d|[\u0e30\u0e32\u0e33\u0e45][\u0e48-\u0e4b]|\u0e45"
    r"|([\u0e30-\u0e3a\u0e40-\u0e44\u0e47-\u0e4e]) *\1|[\u0e48-\u0e4b]{2}|^[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]"
)
_FAMILY = charsets.FAMILY_PATTERNS
_KANA_RE = regex.compile(r"[\p{Hiragana}\p{Katakana}]")


_NATIVE_DIGIT_RE = re.compile(charsets.char_class([*charsets.DIGIT_TABLE, ord(charsets.MYANMAR_ZERO)]))


def _ascii_digits(text: str) -> tuple[str, int]:
    if text.isascii() or not _NATIVE_DIGIT_RE.search(text):
        return text, 0
    converted = text
    if charsets.MYANMAR_ZERO in converted:
        converted = _MYANMAR_ZERO_DIGIT_RE.sub("0", converted).replace(charsets.MYANMAR_ZERO, charsets.MYANMAR_WA)
    converted = converted.translate(charsets.DIGIT_TABLE)
    if converted == text:
        return text, 0
    return converted, sum(a != b and b.isdigit() for a, b in zip(text, converted))


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
#: The toned vowels that end the patterns above: text without any of them cannot match.
_VI_TONED_VOWEL_RE = re.compile(charsets.char_class(ord(k[-1]) for k in _VI_TONE_MAP))


def _vietnamese_old_tone_placement(text: str) -> str:
    if not _VI_TONED_VOWEL_RE.search(text):
        return text
    return _VI_TONE_RE.sub(lambda m: _VI_TONE_MAP[m.group()], text)


def _foldable_points() -> list[int]:
    """Code points ``_fold`` can act on: the combining marks it strips, every character whose
    canonical decomposition holds one, and the fold table's own characters."""
    # One NFD call for all, NUL after each character: NUL is a starter, so no reordering crosses
    # it, and the NULs before a mark tell whose decomposition the mark belongs to.
    decomposed = unicodedata.normalize("NFD", charsets.code_point_text(range(0xC0, 0x20000), nul_after_each=True))
    marked, owner, scanned = [], 0xC0, 0
    for mark in re.finditer("[\u0300-\u036f]", decomposed):
        owner += decomposed.count("\0", scanned, mark.start())
        scanned = mark.start()
        marked.append(owner)  # repeated for a decomposition with several marks: char_class takes each once
    return [*range(0x300, 0x370), *marked, *_FOLD_TABLE]


#: Text in NFC without any of these characters is its own fold (one scan instead of four passes).
_FOLDABLE_RE = re.compile(charsets.char_class(_foldable_points()))


def _fold(text: str) -> str:
    if text.isascii() or (not _FOLDABLE_RE.search(text) and unicodedata.is_normalized("NFC", text)):
        return text
    return _strip_latin_marks(text)


def _strip_latin_marks(text: str) -> str:
    stripped = _LATIN_MARK_RE.sub("", unicodedata.normalize("NFD", text))
    folded = unicodedata.normalize("NFC", stripped).translate(_FOLD_TABLE)
    return text if folded == text else folded  # one object for equal views: cheaper downstream


def _skel(text: str) -> tuple[str, Obfuscation]:
    """Anti-obfuscation view of one folded token."""
    confusable = mixed = 0
    if not text.isascii() and _CYRILLIC_GREEK_RE.search(text) and _LATIN_LETTER_RE.search(text):
        letters = charsets.letter_counts(text)
        if len(letters.keys() & _CONFUSABLE_FAMILIES) > 1:
            mixed = 1
            text, confusable = _map_confusables(text, letters)
    text, leet = _deleet(text)
    squeezed_text = _SQUEEZE_RE.sub(r"\1", text) if _SQUEEZE_RE.search(text) else text
    squeezed = len(text) - len(squeezed_text)
    if not (leet or confusable or squeezed or mixed):
        return squeezed_text, NO_OBFUSCATION
    return squeezed_text, Obfuscation(leet=leet, confusable=confusable, squeezed=squeezed, mixed_script_tokens=mixed)


#: Scripts whose letters pass for each other; mixing them inside one word is an evasion signal.
_CONFUSABLE_FAMILIES = frozenset({"latin", "cyrillic", "greek"})


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
    letters = sum(map(str.isalpha, text))
    if letters < 2 or letters < sum(map(str.isdigit, text)):
        return text, 0
    count = 0

    def swap(match: re.Match) -> str:
        nonlocal count
        count += 1
        return match.group().translate(_LEET_TABLE)

    return _LEET_SINGLE_RE.sub(swap, text), count


_UNSPACED_CHAR_RE = regex.compile(rf"[{UNSPACED_SCRIPTS}\u30fc]")  # U+30FC: the kana length mark is Common
_UNSPACED_TOKEN_RE = regex.compile(_UNSPACED_CHAR_RE.pattern + "+")
_GRAPHEME_RE = regex.compile(r"\X")
#: Three or more single-grapheme tokens in a row: the only case that needs the token-by-token rule.
_SPELLED_RE = regex.compile(r"(?<![^ ])(?! )\X(?: (?! )\X){2,}(?![^ ])")
#: A space between two tokens written wholly in a script without spaces.
_UNSPACED_GAP_RE = regex.compile(rf"(?<=(?<![^ ])[{UNSPACED_SCRIPTS}\u30fc]+) (?=[{UNSPACED_SCRIPTS}\u30fc]+(?![^ ]))")


def _rejoin_spaced_letters(text: str) -> tuple[str, int]:
    if " " not in text:
        return text, 0
    if not _SPELLED_RE.search(text):
        # No single letter runs, nothing spelled out: rejoin_spaced_letters only joins unspaced words.
        return _UNSPACED_GAP_RE.sub("", text), 0
    tokens = text.split(" ")
    joined = rejoin_spaced_letters(tokens)
    return " ".join(t for t, _ in joined), sum(_spelled_out(tokens[lo:hi]) for _, (lo, hi) in joined if hi - lo > 2)


def _spelled_out(run: list[str]) -> int:
    """Tokens of ``run`` in stretches of three or more single graphemes: a word spelled out one
    letter at a time counts as obfuscation; two words of an unspaced script joined do not."""
    count = i = 0
    while i < len(run):
        end = _run_end(run, i, _is_grapheme, 3)
        count += end - i if end else 0
        i = end or i + 1
    return count


def rejoin_spaced_letters(tokens: list[str]) -> list[tuple[str, tuple[int, int]]]:
    """The skel view's joins: 'm o v i e' -> 'movie' (runs of three or more single letters), and
    runs of two or more adjacent tokens written wholly in a script without spaces, which a
    separator had broken ('ก_ขค' -> 'กขค'; such scripts mark no word boundary with it).

    Returns each output token with the range of input tokens it was made from.
    """
    out: list[tuple[str, tuple[int, int]]] = []
    i = 0
    while i < len(tokens):
        end = _run_end(tokens, i, _is_unspaced, 2) or _run_end(tokens, i, _is_letter, 3)
        if end:
            out.append(("".join(tokens[i:end]), (i, end)))
            i = end
        else:
            out.append((tokens[i], (i, i + 1)))
            i += 1
    return out


def _run_end(tokens: list[str], start: int, member, shortest: int) -> int:
    """The end of the run of ``member`` tokens from ``start`` if it is at least ``shortest`` long, else 0."""
    end = start
    while end < len(tokens) and member(tokens[end]):
        end += 1
    return end if end - start >= shortest else 0


def _is_letter(token: str) -> bool:
    return len(token) == 1 and token.isalpha()


def _is_unspaced(token: str) -> bool:
    return _UNSPACED_TOKEN_RE.fullmatch(token) is not None


def _is_grapheme(token: str) -> bool:
    return _GRAPHEME_RE.fullmatch(token) is not None
