"""The surrogate lexicon: meaningless pseudo-words that stand in for real keyword vocabulary.

SAFETY.md rule 3: in everything icop ships, a positive filename is defined only by these
markers. They are built deterministically from per-script syllable inventories and, where a
dictionary is installed (``wordfreq``; PyThaiNLP's word list for Thai), checked not to be real
words nor to contain one. Khmer and Burmese have no installable dictionary: their inventories use
rare consonant-vowel pairings and the lists say so.

The *latent* lexicon is larger than the shipped keyword lists: each stem has ``listed`` forms
(in ``keywords/<lang>.tsv``) and ``unlisted`` variants that share the stem and an affix, so a
model must generalise beyond the list. Each stem also has a ``decoy``: a benign pseudo-word that
shares most of the stem's characters but contains no marker (the lexical-overlap hard negative). ``scripts/make_surrogates.py`` writes both files;
:func:`latent_lexicon` reads the shipped one.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from functools import lru_cache

from icop import resources
from icop.text.languages import LANGUAGES, UNSPACED_LANGUAGES

CATEGORIES = ("surrogate-a", "surrogate-b", "surrogate-c")
DEFAULT_SEED = 2026
STEMS_PER_LANGUAGE = 30
LISTED_VARIANTS = 15  # stems whose first suffix variant is listed too (30 + 15 = 45 listed)
PERIODS = 3
SURROGATE_NOTICE = (
    "SURROGATE list: synthetic pseudo-words from icop's deterministic generator "
    "(scripts/make_surrogates.py); no real vocabulary. Real lists are supplied by partners at run time."
)


def _syllables(onsets: str, nuclei: str, codas: str = "") -> list[str]:
    return [o + n + c for o in onsets.split() for n in nuclei.split() for c in (codas.split() or [""])]


def _thai_syllables() -> list[str]:
    consonants = "ข ฉ ฐ ถ ผ ฝ ศ ษ ฮ ฆ ฌ"
    patterns = ["{c}ื", "{c}ุ", "เ{c}ิ", "โ{c}", "{c}ึ", "ไ{c}", "เ{c}ือ"]
    return [p.format(c=c) for c in consonants.split() for p in patterns]


def _khmer_syllables() -> list[str]:
    return _syllables("ឃ ឈ ឍ ឋ ផ ឡ ឆ ហ", "ឹ ឺ ៀ ឿ ួ ើ")


def _myanmar_syllables() -> list[str]:
    return _syllables("ဃ ဈ ဍ ဋ ဌ ဏ ဠ ဖ", "ီ ူ ဲ ို")


#: Inventories per language: pseudo-syllables picked so that words from them are unlikely to be
#: real in any language; the dictionary check below rejects the ones that are.
INVENTORIES: dict[str, list[str]] = {
    "th": _thai_syllables(),
    "km": _khmer_syllables(),
    "my": _myanmar_syllables(),
    "vi": _syllables("kh ngh x qu tr", "ươ uyê ơ ư oă"),
    "fil": _syllables("z q x v", "a o u", "x q"),
    "ms": _syllables("zh q x v", "e o u i", "q x"),
    "id": _syllables("q x zv kv", "a u e", "x z"),
    "zh": list("木山水石竹禾丘舟羽泉岩林桂梅松杉柳橙莓稻茶瓦琴鼓帆塔"),
    "ja": list("ゾヌペヨヴズゼゲギグ"),
    "ru": _syllables("ж щ ц ф х", "ю ы э", "ф щ"),
    "en": _syllables("zr vr qu xv kv", "y u o", "x q z"),
}


@dataclass(frozen=True)
class LexiconTerm:
    """One surrogate marker of the latent lexicon."""

    id: str  # keyword entry id for listed terms (``th-0001``); ``th-u0001`` unlisted, ``th-d0001`` decoy
    lang: str
    stem_id: str
    term: str
    kind: str  # "listed", "unlisted" (markers) or "decoy" (a benign look-alike, never a marker)
    category: str
    weight: float
    match: str  # "token" or "substring"
    period: int  # first time period the term is in use (drift)


def build_latent_lexicon(seed: int = DEFAULT_SEED, is_real_word: Callable[[str, str], bool] | None = None) -> list[LexiconTerm]:
    """Generate the whole latent lexicon, in a fixed order; ``is_real_word(term, lang)`` rejects candidates."""
    check = is_real_word or (lambda term, lang: False)
    terms: list[LexiconTerm] = []
    taken: set[str] = set()
    for lang in LANGUAGES:
        terms += _language_lexicon(lang, random.Random(f"{seed}:{lang}"), check, taken)
    return terms


def _language_lexicon(lang: str, rng: random.Random, check, taken: set[str]) -> list[LexiconTerm]:
    inventory = INVENTORIES[lang]

    def usable(word: str) -> bool:
        return word not in taken and not check(word, lang)

    def pseudo_word(syllables: int) -> list[str]:
        for _ in range(10_000):
            parts = [rng.choice(inventory) for _ in range(syllables)]
            if usable("".join(parts)):
                return parts
        raise RuntimeError(f"surrogate inventory for {lang!r} is exhausted")

    affixes = rng.sample(inventory, 6)  # never used alone, so not checked alone
    match = "substring" if lang in UNSPACED_LANGUAGES else "token"
    rows: dict[str, list[tuple[str, str, int, int]]] = {"listed": [], "unlisted": [], "decoy": []}
    stems = []
    for i in range(STEMS_PER_LANGUAGE):
        syllables, variants = _stem_with_variants(rng, affixes, usable, lambda: pseudo_word(rng.choice((2, 3))))
        stem = "".join(syllables)
        stems.append(syllables)
        taken.update([stem, *variants])
        rows["listed"].append((stem, i, 0))
        if i < LISTED_VARIANTS:
            rows["listed"].append((variants.pop(0), i, 0))
        rows["unlisted"] += [(v, i, (i + k) % PERIODS) for k, v in enumerate(variants)]
    markers = [t for kind in ("listed", "unlisted") for t, _, _ in rows[kind]]
    for i, syllables in enumerate(stems):
        rows["decoy"].append((_decoy(rng, syllables, inventory, markers, usable, taken), i, 0))
    return [
        LexiconTerm(
            id=f"{lang}-{_ID_PREFIX[kind]}{n:04d}",
            lang=lang,
            stem_id=f"{lang}-s{i + 1:03d}",
            term=term,
            kind=kind,
            category=CATEGORIES[i % len(CATEGORIES)],
            weight=round(0.5 + 0.05 * (i % 11), 2),
            match=match,
            period=period,
        )
        for kind in rows
        for n, (term, i, period) in enumerate(rows[kind], 1)
    ]


_ID_PREFIX = {"listed": "", "unlisted": "u", "decoy": "d"}


def _stem_with_variants(rng, affixes, usable, new_stem) -> tuple[list[str], list[str]]:
    """A stem (as syllables) with two suffixed and one prefixed variant, all usable and distinct."""
    while True:
        syllables = new_stem()
        stem = "".join(syllables)
        suffixed = [stem + a for a in rng.sample(affixes, len(affixes)) if usable(stem + a)][:2]
        prefixed = [a + stem for a in rng.sample(affixes, len(affixes)) if usable(a + stem)][:1]
        if len(suffixed) == 2 and prefixed and prefixed[0] not in suffixed:
            return syllables, suffixed + prefixed


def _decoy(rng, syllables, inventory, markers, usable, taken) -> str:
    """A lexical-overlap decoy: the stem with its first or last syllable swapped for one or two
    others, so that it shares most of the stem's n-grams but contains no marker."""
    for _ in range(10_000):
        fresh = "".join(rng.choice(inventory) for _ in range(rng.choice((1, 2))))
        keep = rng.choice((1, len(syllables) - 1))  # most of the stem, or (if that holds a marker) less
        word = "".join(syllables[:keep]) + fresh if rng.random() < 0.5 else fresh + "".join(syllables[-keep:])
        if usable(word) and not any(m in word for m in markers):
            taken.add(word)
            return word
    raise RuntimeError("no decoy found")


def latent_lexicon() -> list[LexiconTerm]:
    """The shipped latent lexicon: listed and unlisted markers and decoys of every language."""
    text = resources.read_text(resources.LEXICON)
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    types = {f.name: f.type for f in fields(LexiconTerm)}
    return [
        LexiconTerm(**{k: float(v) if types[k] == "float" else int(v) if types[k] == "int" else v for k, v in row.items()})
        for row in rows
    ]


def write_lexicon(terms: Iterable[LexiconTerm], path) -> None:
    names = [f.name for f in fields(LexiconTerm)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(f"# icop latent lexicon v1\n# {SURROGATE_NOTICE}\n")
        out.write("\t".join(names) + "\n")
        for term in terms:
            out.write("\t".join(str(v) for v in asdict(term).values()) + "\n")


#: Dictionaries consulted per language (wordfreq codes); Latin pseudo-words are checked against
#: several major Latin-script languages too, since names mix languages.
_LATIN_DICTIONARIES = ("en", "fil", "ms", "id", "vi", "es", "fr", "de", "it", "pt", "nl")
_DICTIONARIES = {
    "vi": _LATIN_DICTIONARIES,
    "fil": _LATIN_DICTIONARIES,
    "ms": _LATIN_DICTIONARIES,
    "id": _LATIN_DICTIONARIES,
    "en": _LATIN_DICTIONARIES,
    "ru": ("ru", "uk", "bg"),
    "zh": ("zh",),
    "ja": ("ja",),
}
#: The shortest real word that may not appear *inside* a surrogate, per script.
_MIN_EMBEDDED = {"zh": 2, "ja": 3, "th": 3}
_MIN_EMBEDDED_DEFAULT = 4


def dictionary_checker() -> Callable[[str, str], bool]:
    """``is_real_word(term, lang)``: true if the term, or a word inside it, is in a dictionary,
    or if normalisation would change it (a surrogate must be its own normal form).

    Needs the ``dev`` extra (wordfreq, and PyThaiNLP's word list); only the build script and the
    tests call it.
    """
    import wordfreq
    from pythainlp.corpus import thai_words

    from icop.text.normalize import normalize

    words: dict[str, frozenset[str]] = {"th": frozenset(thai_words())}
    for lang, codes in _DICTIONARIES.items():
        words[lang] = frozenset(w for code in codes for w in wordfreq.get_frequency_dict(code))

    def is_real_word(term: str, lang: str) -> bool:
        if normalize(term).norm != term:
            return True
        vocabulary = words.get(lang, frozenset())
        shortest = _MIN_EMBEDDED.get(lang, _MIN_EMBEDDED_DEFAULT)
        return term in vocabulary or any(
            term[i:j] in vocabulary for i in range(len(term)) for j in range(i + shortest, len(term) + 1)
        )

    return is_real_word


_UNIT_SCRIPTS = {"th", "km", "my"}
_MIN_SHARED = {"zh": 2, "ja": 2, "th": 3, "km": 3, "my": 3}


def _units(text: str, lang: str) -> list[str]:
    import regex

    return regex.findall(r"\X", text) if lang in _UNIT_SCRIPTS else list(text)


@lru_cache(maxsize=64)
def _gram_index(lang: str, words: tuple[str, ...], k: int) -> dict[tuple[str, ...], list[int]]:
    index: dict[tuple[str, ...], list[int]] = {}
    for i, word in enumerate(words):
        units = _units(word, lang)
        for gram in {tuple(units[j : j + k]) for j in range(len(units) - k + 1)}:
            index.setdefault(gram, []).append(i)
    return index


def _longest_shared(a: list[str], b: list[str]) -> int:
    best, previous = 0, [0] * (len(b) + 1)
    for x in a:
        current = [0] * (len(b) + 1)
        for j, y in enumerate(b, 1):
            if x == y:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def decoys_for(term: str, lang: str, words, n: int) -> list[str]:
    """Up to ``n`` real words of the language sharing the longest substring with ``term`` (at
    least a language-dependent minimum), longest first, then alphabetical; none contains it."""
    words = tuple(words)
    k = _MIN_SHARED.get(lang, 4)
    units = _units(term, lang)
    index = _gram_index(lang, words, k)
    candidates = {i for j in range(len(units) - k + 1) for i in index.get(tuple(units[j : j + k]), ())}
    scored = sorted((-_longest_shared(units, _units(words[i], lang)), words[i]) for i in candidates if term not in words[i])
    return [word for _, word in scored[:n]]
