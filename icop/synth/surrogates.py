"""The surrogate lexicon: meaningless pseudo-words that stand in for real keyword vocabulary.

docs/CONTENT_RULES.md rule 3: in everything icop ships, a positive filename is defined only by these
markers. Each language's markers come from a character (for Thai, Khmer and Burmese:
grapheme-cluster) Markov chain trained on that language's real words (``icop.synth.sources``), so
they look like the language they sit in, and every candidate passes :class:`RealWordChecker`: no
word of any vocabulary at hand, no near-miss of a frequent word, no profanity, no real word inside.

Per language: 30 stems; the *listed* terms (``keywords/<lang>.tsv``) are the stems plus one
variant of each of the first 15; *unlisted* terms are more variants of listed stems, made the way
the language does (affixes, infixes, reduplication, compounding), spread over periods (drift);
*novel* terms are new stems with no listed relative. Decoys are not part of the lexicon: the
corpus computes them from the real vocabularies with :func:`decoys_for`.
``scripts/make_surrogates.py`` writes the files; :func:`latent_lexicon` reads the shipped one.
"""

from __future__ import annotations

import csv
import random
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from functools import cache, lru_cache
from itertools import accumulate

import regex

from icop import resources
from icop.text.languages import LANGUAGES, UNSPACED_LANGUAGES
from icop.text.normalize import gc_paused, normalize, normalize_batch

CATEGORIES = ("surrogate-a", "surrogate-b", "surrogate-c")
DEFAULT_SEED = 2026
STEMS_PER_LANGUAGE = 30
LISTED_VARIANTS = 15  # stems whose first variant is listed too (30 + 15 = 45 listed)
UNLISTED_PER_STEM = 3
NOVEL_PER_LANGUAGE = 10
PERIODS = 3
FORMS = ("stem", "suffix", "prefix", "infix", "reduplication", "compound")
SURROGATE_NOTICE = (
    "SURROGATE list: synthetic pseudo-words from icop's deterministic generator "
    "(scripts/make_surrogates.py); no real vocabulary. Real lists are supplied by partners at run time."
)
GRAPHEME_LANGUAGES = frozenset({"th", "km", "my"})
FREQUENT_WORDS = 5_000  # candidates within edit distance 1 of these are rejected
LONGEST_EMBEDDED = 5  # Latin/Cyrillic candidates may not contain a real word this long
SHORTEST_PROFANITY = 3  # nor an entry of the profanity lists this long


@dataclass(frozen=True)
class Shape:
    """How a language's pseudo-words are made: the chain's context length and the word length
    in units (sampled from the real words within these bounds)."""

    order: int
    shortest: int
    longest: int
    syllables: int = 1  # pseudo-syllables glued into one stem (Vietnamese)
    shortest_stem: int = 0


#: Han, kana and Khmer look one unit back: with two, nearly every Han candidate is a dictionary
#: word and Khmer chains (trained on short words) mostly dead-end.
SHAPES = {
    "latin": Shape(3, 6, 12),
    "cyrillic": Shape(3, 6, 12),
    "han": Shape(1, 2, 3),
    "kana": Shape(1, 3, 5),
    "thai": Shape(2, 4, 8),
    "khmer": Shape(1, 3, 6),
    "myanmar": Shape(2, 4, 8),
}
#: Vietnamese is written in syllables: a stem is two pseudo-syllables glued, as file names write words.
VIETNAMESE = Shape(2, 2, 7, syllables=2, shortest_stem=6)
#: The letters each script's training words may consist of (no digits nor punctuation).
LETTERS = {
    "latin": regex.compile(r"\p{Latin}+"),
    "cyrillic": regex.compile(r"\p{Cyrillic}+"),
    "han": regex.compile(r"\p{Han}+"),
    "kana": regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u30fc]+"),
    "thai": regex.compile(r"[\u0e01-\u0e3a\u0e40-\u0e4e]+"),
    "khmer": regex.compile(r"[\u1780-\u17d3]+"),
    "myanmar": regex.compile(r"[\u1000-\u103f\u1050-\u109f]+"),
}
_ASCII_LETTER = regex.compile(r"[a-z]")
#: A Vietnamese syllable in the fold view (tones and vowel marks folded): onset, vowels, coda.
#: The word lists hold foreign words too; only syllables of this shape train the chain or make a stem.
VIETNAMESE_SYLLABLE = regex.compile(r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")


def shape(lang: str) -> Shape:
    return VIETNAMESE if lang == "vi" else SHAPES[LANGUAGES[lang]]


def units(word: str, lang: str) -> tuple[str, ...]:
    """Characters, or grapheme clusters for Thai, Khmer and Burmese."""
    return tuple(regex.findall(r"\X", word)) if lang in GRAPHEME_LANGUAGES else tuple(word)


@dataclass(frozen=True)
class LexiconTerm:
    """One surrogate marker of the latent lexicon."""

    id: str  # keyword entry id for listed terms (``th-0001``); ``th-u0001`` unlisted, ``th-n0001`` novel
    lang: str
    stem_id: str
    term: str
    kind: str  # "listed", "unlisted" or "novel"
    form: str  # one of FORMS: how the term was made from its stem
    category: str
    weight: float
    match: str  # "token" or "substring"
    period: int  # first time period the term is in use (drift)


# --------------------------------------------------------------------------- the chain


_EDGE = ""  # padding before a word and the end mark after it


@dataclass(frozen=True)
class MarkovChain:
    """A unit n-gram chain: the next unit given the ``order`` units before it."""

    order: int
    successors: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[int, ...]]]  # context -> units, cumulative counts
    ends: frozenset[tuple[str, ...]]  # contexts a real word ends after
    lengths: tuple[int, ...]  # unit lengths of the real words within the shape's bounds

    @classmethod
    def train(cls, words: Iterable[tuple[str, ...]], shape: Shape) -> MarkovChain:
        counts: dict[tuple[str, ...], Counter[str]] = {}
        ends, lengths = set(), []
        for word in words:
            padded = (_EDGE,) * shape.order + word
            for i, unit in enumerate(word):
                counts.setdefault(padded[i : i + shape.order], Counter())[unit] += 1
            ends.add(padded[len(word) :])
            if shape.shortest <= len(word) <= shape.longest:
                lengths.append(len(word))
        successors = {ctx: (tuple(sorted(c)), tuple(accumulate(c[u] for u in sorted(c)))) for ctx, c in sorted(counts.items())}
        return cls(shape.order, successors, frozenset(ends), tuple(sorted(lengths)))

    def sample(self, rng: random.Random) -> str | None:
        """A word of a length drawn from the real ones, or None at a dead end."""
        length = rng.choice(self.lengths)
        context, out = (_EDGE,) * self.order, []
        for _ in range(length):
            if context not in self.successors:
                return None
            options, cumulative = self.successors[context]
            unit = options[bisect(cumulative, rng.random() * cumulative[-1])]
            out.append(unit)
            context = (*context[1:], unit)
        return "".join(out) if context in self.ends else None


# --------------------------------------------------------------------------- real vocabularies


@dataclass(frozen=True)
class LanguageWords:
    """What the generator and the rejection test know of one language's real words."""

    lang: str
    words: tuple[str, ...]  # normalised single words in the script's letters (the chain's training set)
    frequent: tuple[str, ...]  # the most frequent words (folded), most frequent first
    partners: tuple[str, ...]  # frequent short words or syllables to compound with


@cache
def language_words(lang: str) -> LanguageWords:
    """Needs the synth extra (icop.synth.sources)."""
    from icop.synth import sources

    items = sorted({i for s in sources.registry().values() if s.lang == lang and s.kind == "word" for i in sources.load(s).items})
    letters = LETTERS[LANGUAGES[lang]]
    words = sorted({n.norm for n in normalize_batch(items) if letters.fullmatch(n.norm)})
    ranked = _by_frequency(lang)
    if ranked is None:  # no frequency list installed (Khmer, Burmese): all words, shortest first
        frequent = sorted(words, key=lambda w: (len(units(w, lang)), w))
        partners = [w for w in frequent if len(units(w, lang)) <= 2]
    else:
        kept = set(words)
        frequent = ranked[:FREQUENT_WORDS]
        longest = 2 if lang in UNSPACED_LANGUAGES else 4
        partners = [w for w in ranked if w in kept and len(units(w, lang)) <= longest][:PARTNERS]
    return LanguageWords(lang, tuple(words), tuple(n.fold for n in normalize_batch(frequent)), tuple(partners))


PARTNERS = 200  # the most frequent short words of a language that stems compound with


def _by_frequency(lang: str) -> list[str] | None:
    """The language's frequency list, most frequent first, where one is installed."""
    if lang == "th":
        from pythainlp.corpus import tnc

        return [w for w, _ in sorted(tnc.word_freqs(), key=lambda wf: (-wf[1], wf[0]))]
    if lang in ("km", "my"):
        return None
    import wordfreq

    return wordfreq.top_n_list(lang, 50_000)


@cache
def _all_folds() -> frozenset[str]:
    """The fold view of every word, name and place of every source and every wordfreq language
    (and each of their tokens); Thai's TNC frequency list too."""
    import wordfreq
    from pythainlp.corpus import tnc

    from icop.synth import sources

    raw = {w for lang in wordfreq.available_languages() for w in wordfreq.get_frequency_dict(lang)}
    raw.update(w for w, _ in tnc.word_freqs())
    for source in sources.registry().values():
        if source.kind in ("word", "person_name", "place"):
            raw.update(sources.load(source).items)
    folds: set[str] = set()
    ordered = sorted(raw)
    with gc_paused():
        for start in range(0, len(ordered), 100_000):
            for n in normalize_batch(ordered[start : start + 100_000]):
                folds.add(n.fold)
                folds.update(n.fold.split(" "))
    return frozenset(folds)


@cache
def _real_text() -> str:
    """The fold view of every item of every source, one per line: a substring-matched term
    (scripts written without spaces) must occur in none of them."""
    from icop.synth import sources

    items = sorted({i for source in sources.registry().values() for i in sources.load(source).items})
    with gc_paused():
        return "\n".join(
            n.fold for start in range(0, len(items), 100_000) for n in normalize_batch(items[start : start + 100_000])
        )


class _Neighbours:
    """Words within edit distance 1 (over units) of a set of words, by their deletions."""

    def __init__(self, words: Iterable[tuple[str, ...]]):
        self.words = frozenset(words)
        self.positional = frozenset((i, w[:i] + w[i + 1 :]) for w in self.words for i in range(len(w)))
        self.deletions = frozenset(d for _, d in self.positional)

    def near(self, word: tuple[str, ...]) -> bool:
        deleted = [(i, word[:i] + word[i + 1 :]) for i in range(len(word))]
        return (
            word in self.words
            or word in self.deletions  # a word with one unit more
            or any(d in self.words for _, d in deleted)  # a word with one unit less
            or any(p in self.positional for p in deleted)  # a word with one unit substituted
        )


class RealWordChecker:
    """The build-time rejection test: :meth:`reason` says why a candidate is no surrogate."""

    def __init__(self) -> None:
        self.folds = _all_folds()
        self.neighbours = {lang: _Neighbours(units(w, lang) for w in language_words(lang).frequent) for lang in LANGUAGES}
        self.embedded = {
            lang: frozenset(f for w in language_words(lang).words if len(f := normalize(w).fold) >= LONGEST_EMBEDDED)
            for lang, script in LANGUAGES.items()
            if script in ("latin", "cyrillic")
        }

    def __call__(self, term: str, lang: str) -> bool:
        return self.reason(term, lang) is not None

    def reason(self, term: str, lang: str) -> str | None:
        n = normalize(term)
        if n.norm != term:
            return "not its normal form"
        if n.fold in self.folds or any(t in self.folds for t in n.fold.split(" ")):
            return "real word"
        if self.neighbours[lang].near(units(n.fold, lang)):
            return "near a frequent word"
        if _profane(term, n.fold):
            return "profane"
        embedded = self.embedded.get(lang, frozenset())
        if any(part in embedded for part in _substrings(n.fold, LONGEST_EMBEDDED)):
            return "contains a real word"
        if lang in UNSPACED_LANGUAGES and self._made_of_words(units(n.fold, lang), 1 if lang in GRAPHEME_LANGUAGES else 2):
            return "made of real words"
        if lang in UNSPACED_LANGUAGES and n.fold in _real_text():
            return "inside real text"  # substring entries would match benign names holding it
        return None

    def _made_of_words(self, word: tuple[str, ...], shortest: int) -> bool:
        """Whether real words of ``shortest`` units or more, one after the other, spell the word
        (a script written without spaces would read it as a phrase). Every Han character is a
        word on its own, so Han words need two characters here."""
        ends = {0}
        for i in range(len(word)):
            if i in ends:
                ends.update(j for j in range(i + shortest, len(word) + 1) if "".join(word[i:j]) in self.folds)
        return len(word) in ends


@cache
def real_word_checker() -> RealWordChecker:
    """The rejection test used at build time (needs the synth extra; loading takes a while)."""
    return RealWordChecker()


def _substrings(text: str, shortest: int) -> set[str]:
    return {text[i:j] for i in range(len(text)) for j in range(i + shortest, len(text) + 1)}


def _profane(term: str, fold: str) -> bool:
    """An installed profanity list flags the term, or (Latin script) an entry lies inside it."""
    from icop.synth.sources import is_profane

    if is_profane(term):
        return True
    # One call over all inner pieces: is_profane splits them into tokens again.
    return bool(_ASCII_LETTER.search(fold)) and is_profane(" ".join(sorted(_substrings(fold, SHORTEST_PROFANITY))))


# --------------------------------------------------------------------------- morphology


@dataclass(frozen=True)
class Stem:
    term: str
    syllables: tuple[str, ...]  # the pseudo-syllables it was glued from (Vietnamese), else (term,)


_VOWELS = frozenset("aeiou")
_RU_VOWEL_END = frozenset("аеёиоуыэюяй")


def variants(lang: str, stem: Stem, partners: Sequence[str]) -> list[tuple[str, str]]:
    """Every (form, term) the language makes from a stem; ``partners`` are other stems (English)
    or frequent real words and syllables to compound with (the others)."""
    s = stem.term
    if lang in ("id", "ms"):
        return [
            ("prefix", _men(s)),
            ("prefix", "di" + s),
            ("prefix", ("be" if s[0] == "r" else "ber") + s),
            ("prefix", ("te" if s[0] == "r" else "ter") + s),
            *(("suffix", s + x) for x in ("kan", "an", "i", "nya")),
            ("reduplication", f"{s} {s}"),  # stem-stem, in its normal form
        ]
    if lang == "fil":
        head, rest = (s[0], s[1:]) if s[0] not in _VOWELS else ("", s)
        vowel = next((c for c in s if c in _VOWELS), "a")
        return [
            *((("infix" if head else "prefix"), head + x + rest) for x in ("um", "in")),
            ("reduplication", head + vowel + s),
            *(("prefix", x + s) for x in ("mag", "nag", "pag")),
        ]
    if lang == "ru":  # a final vowel gives way to the suffix, a soft sign only to a vowel
        base = s[:-1] if s[-1] in _RU_VOWEL_END else s
        soft = base[:-1] if base.endswith("ь") else base
        return [
            *(("suffix", soft + x) for x in ("ик", "ов", "ок")),
            *(("suffix", base + x) for x in ("ка", "ский", "ник")),
            *(("prefix", x + s) for x in ("по", "за")),
        ]
    if lang == "en":
        base = s[:-1] if s.endswith("e") else s
        suffixed = [("suffix", s + "s"), *(("suffix", base + x) for x in ("er", "ing", "y", "ie") if not base.endswith(x))]
        return suffixed + [("compound", s + other) for other in partners if other != s]
    compounds = [("compound", glued) for p in partners for glued in (s + p, p + s)]
    if lang == "vi":
        return [("reduplication", stem.syllables[0] + s), *compounds]
    return compounds


#: Indonesian/Malay meN- by the stem's first letter: the prefix, and whether the letter gives way to it.
_MEN = {
    **dict.fromkeys("aeiough", ("meng", False)), "k": ("meng", True),
    **dict.fromkeys("bfv", ("mem", False)), "p": ("mem", True),
    **dict.fromkeys("cdjz", ("men", False)), "t": ("men", True), "s": ("meny", True),
}  # fmt: skip


def _men(stem: str) -> str:
    prefix, replaced = _MEN.get(stem[0], ("me", False))
    return prefix + stem[replaced:]


# --------------------------------------------------------------------------- building


@dataclass
class BuildStats:
    """Candidates tried and rejected, per language (for the build script's report)."""

    candidates: Counter[str]
    rejected: Counter[tuple[str, str]]  # (lang, reason)


@dataclass(frozen=True)
class _Taken:
    """What earlier stems and languages took: every term, and the stems among them."""

    terms: set[str]
    stems: list[str]


Reason = Callable[[str, str], str | None]


@dataclass(frozen=True)
class _Row:
    kind: str
    term: str
    form: str
    stem: int  # index of the stem in the language
    period: int


class _LanguageBuilder:
    """The lexicon of one language, drawn from its chain and checked candidate by candidate."""

    def __init__(self, lang: str, seed: int, reason: Reason, taken: _Taken, stats: BuildStats):
        self.lang, self.reason, self.taken, self.stats = lang, reason, taken, stats
        self.rng = random.Random(f"{seed}:{lang}")
        self.words = language_words(lang)
        self.shape = shape(lang)
        self.chain = MarkovChain.train((units(w, lang) for w in self.words.words if self._shaped(w)), self.shape)
        self.real = frozenset(self.words.words)
        self.stems: list[Stem] = []

    def rows(self) -> list[_Row]:
        rows = []
        for i in range(STEMS_PER_LANGUAGE):
            stem, made = self._stem_with_variants(UNLISTED_PER_STEM + (i < LISTED_VARIANTS))
            rows.append(_Row("listed", stem.term, "stem", i, 0))
            if i < LISTED_VARIANTS:
                form, term = made.pop(0)
                rows.append(_Row("listed", term, form, i, 0))
            rows += [_Row("unlisted", term, form, i, (i + k) % PERIODS) for k, (form, term) in enumerate(made)]
        for n in range(NOVEL_PER_LANGUAGE):
            rows.append(_Row("novel", self._new_stem().term, "stem", STEMS_PER_LANGUAGE + n, 1 + n % (PERIODS - 1)))
        return rows

    def _stem_with_variants(self, wanted: int) -> tuple[Stem, list[tuple[str, str]]]:
        while True:
            stem = self._new_stem()
            made = self._variants(stem, wanted)
            if len(made) == wanted:
                self.taken.terms.update(t for _, t in made)
                return stem, made
            self.taken.terms.discard(stem.term)
            self.taken.stems.remove(stem.term)
            self.stems.pop()

    def _new_stem(self) -> Stem:
        while True:
            syllables = [self._syllable() for _ in range(self.shape.syllables)]
            stem = Stem("".join(syllables), tuple(syllables))
            if len(units(stem.term, self.lang)) >= self.shape.shortest_stem and self._usable(stem.term, None):
                self.stems.append(stem)
                self.taken.terms.add(stem.term)
                self.taken.stems.append(stem.term)
                return stem

    def _syllable(self) -> str:
        while (
            (word := self.chain.sample(self.rng)) is None
            or not self._shaped(word)
            or (self.shape.syllables > 1 and word in self.real)
        ):
            continue
        return word

    def _shaped(self, word: str) -> bool:
        return self.lang != "vi" or VIETNAMESE_SYLLABLE.fullmatch(normalize(word).fold) is not None

    def _variants(self, stem: Stem, wanted: int) -> list[tuple[str, str]]:
        """``wanted`` usable variants in a seeded order that visits every form before any twice."""
        others = [s.term for s in self.stems if s != stem] if self.lang == "en" else self.words.partners
        pool = variants(self.lang, stem, others)
        self.rng.shuffle(pool)
        chosen: list[tuple[str, str]] = []
        for form, term in _forms_in_turn(pool):
            if len(chosen) == wanted:
                break
            if term not in {t for _, t in chosen} and self._usable(term, stem):
                chosen.append((form, term))
        return chosen

    def _usable(self, term: str, stem: Stem | None) -> bool:
        """Whether a new stem (``stem`` None) or a variant of ``stem`` may be taken; tallies why not."""
        self.stats.candidates[self.lang] += 1
        reason = "taken" if term in self.taken.terms else self.reason(term, self.lang) or self._overlap(term, stem)
        if reason:
            self.stats.rejected[self.lang, reason] += 1
        return reason is None

    def _overlap(self, term: str, stem: Stem | None) -> str | None:
        """A new stem may not hold nor be held by any term taken; a variant of a language written
        without spaces (matched inside words) may not hold another stem."""
        if stem is None and any(term in t or t in term for t in self.taken.terms):
            return "overlaps another term"
        if stem is not None and self.lang in UNSPACED_LANGUAGES and any(s in term for s in self.taken.stems if s != stem.term):
            return "holds another stem"
        return None


def _forms_in_turn(pool: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The pool reordered so that each form's first candidate comes before any form's second."""
    seen: Counter[str] = Counter()
    ranked = []
    for form, term in pool:
        ranked.append((seen[form], form, term))
        seen[form] += 1
    return [(form, term) for _, form, term in sorted(ranked, key=lambda r: r[0])]


def build(*, seed: int = DEFAULT_SEED, reason: Reason | None = None) -> tuple[list[LexiconTerm], BuildStats]:
    """The whole latent lexicon in a fixed order, and how many candidates were rejected why;
    ``reason(term, lang)`` rejects candidates (by default :func:`real_word_checker`'s)."""
    reason = reason or real_word_checker().reason
    stats = BuildStats(Counter(), Counter())
    taken = _Taken(set(), [])
    terms: list[LexiconTerm] = []
    for lang in LANGUAGES:
        terms += _terms(lang, _LanguageBuilder(lang, seed, reason, taken, stats).rows())
    return terms, stats


def build_latent_lexicon(*, seed: int = DEFAULT_SEED) -> list[LexiconTerm]:
    """Generate the whole latent lexicon (needs the synth extra)."""
    return build(seed=seed)[0]


_ID_PREFIX = {"listed": "", "unlisted": "u", "novel": "n"}


def _terms(lang: str, rows: list[_Row]) -> list[LexiconTerm]:
    match = "substring" if lang in UNSPACED_LANGUAGES else "token"
    numbered = {kind: [r for r in rows if r.kind == kind] for kind in _ID_PREFIX}
    return [
        LexiconTerm(
            id=f"{lang}-{_ID_PREFIX[kind]}{n:04d}",
            lang=lang,
            stem_id=f"{lang}-s{r.stem + 1:03d}",
            term=r.term,
            kind=kind,
            form=r.form,
            category=CATEGORIES[r.stem % len(CATEGORIES)],
            weight=round(0.5 + 0.05 * (r.stem % 11), 2),
            match=match,
            period=r.period,
        )
        for kind, kind_rows in numbered.items()
        for n, r in enumerate(kind_rows, 1)
    ]


# --------------------------------------------------------------------------- decoys


#: The shortest substring a decoy shares with its marker, in units, per script.
DECOY_OVERLAP = {"latin": 4, "cyrillic": 4, "han": 2, "kana": 2, "thai": 3, "khmer": 3, "myanmar": 3}


def decoys_for(term: str, lang: str, words: Sequence[str], n: int, *, markers: Iterable[str] | None = None) -> list[str]:
    """Up to ``n`` of ``words`` (real words of ``lang``) sharing the longest run of units with
    ``term``, longest first then alphabetical, leaving out any word that contains a marker (by
    default, any term of the shipped lexicon)."""
    shortest = DECOY_OVERLAP[LANGUAGES[lang]]
    marks = _shipped_markers() if markers is None else tuple(markers)
    term_units = units(term, lang)
    pieces = {term_units[i:j] for i in range(len(term_units)) for j in range(i + 1, len(term_units) + 1)}
    index, word_units = _run_index(lang, words if isinstance(words, tuple) else tuple(words), shortest, marks)
    candidates = {w for i in range(len(term_units) - shortest + 1) for w in index.get(term_units[i : i + shortest], ())}
    scored = []
    for word in candidates:
        shared = _longest_shared(word_units[word], pieces)
        if shared >= shortest:
            scored.append((-shared, word))
    return [w for _, w in sorted(scored)[:n]]


@lru_cache(maxsize=64)
def _run_index(
    lang: str, words: tuple[str, ...], length: int, marks: tuple[str, ...]
) -> tuple[dict[tuple[str, ...], list[str]], dict[str, tuple[str, ...]]]:
    """The words that contain no marker, by each run of ``length`` units they hold (only they can
    share such a run with a term), and each word's units."""
    index: dict[tuple[str, ...], list[str]] = {}
    contains_marker = _substring_test(marks)
    word_units = {w: units(w, lang) for w in words if not contains_marker(w)}
    for word, parts in word_units.items():
        for run in {parts[i : i + length] for i in range(len(parts) - length + 1)}:
            index.setdefault(run, []).append(word)
    return index, word_units


def _substring_test(marks: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a word contains any of ``marks``: its substrings of the marks' lengths, looked up."""
    wanted = frozenset(marks)
    lengths = sorted({len(m) for m in wanted})
    return lambda word: any(word[i : i + n] in wanted for n in lengths for i in range(len(word) - n + 1))


@cache
def _shipped_markers() -> tuple[str, ...]:
    return tuple(t.term for t in latent_lexicon())


def _longest_shared(word: tuple[str, ...], pieces: set[tuple[str, ...]]) -> int:
    """The longest run of ``word`` that is one of ``pieces`` (all runs of the term: a run's
    prefixes are runs too, so each start extends greedily)."""
    best = 0
    for i in range(len(word)):
        j = i + best + 1  # only a longer run than the best so far matters
        while j <= len(word) and word[i:j] in pieces:
            best, j = j - i, j + 1
    return best


# --------------------------------------------------------------------------- files


def latent_lexicon() -> list[LexiconTerm]:
    """The shipped latent lexicon: listed, unlisted and novel markers of every language."""
    text = resources.read_text(resources.LEXICON)
    rows = csv.DictReader((line for line in text.splitlines() if not line.startswith("#")), delimiter="\t")
    convert: dict[str, Callable[[str], object]] = {"float": float, "int": int}
    types = {f.name: convert.get(str(f.type), str) for f in fields(LexiconTerm)}
    return [LexiconTerm(**{k: types[k](v) for k, v in row.items()}) for row in rows]


def write_lexicon(terms: Iterable[LexiconTerm], path) -> None:
    names = [f.name for f in fields(LexiconTerm)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(f"# icop latent lexicon v2\n# {SURROGATE_NOTICE}\n")
        out.write("\t".join(names) + "\n")
        for term in terms:
            out.write("\t".join(str(v) for v in asdict(term).values()) + "\n")
