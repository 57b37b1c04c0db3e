"""Benign vocabulary pools: every real item and every curated word, by split and language.

An item (a word, a person name, a place...) belongs to exactly one split, decided by a keyed hash
of its normalised form (icop/synth/sources.py), so a name in the test split is built only from
items no training name contains. Curated words (icop/synth/vocabulary.py: events, media words,
media words) are split the same way. The closed-class identity words (gender, nationality) are
the exception: every split shares them, as the bias cuts measure how a model treats words it was
trained with. Person names of every origin also form one global pool per split, so that any
filename can carry a name from any country (the origin-bias cut).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from icop.synth import sources
from icop.synth.schema import SPLITS
from icop.synth.vocabulary import VOCABULARIES, structural_tokens
from icop.text.languages import LANGUAGES
from icop.text.normalize import norm_view

CURATED = "curated"


@dataclass(frozen=True)
class Item:
    """A benign item and where it comes from."""

    text: str
    source: str
    origin: str | None = None  # country of origin, for person names


@dataclass
class LanguagePool:
    """One language's items in one split."""

    words: list[Item] = field(default_factory=list)  # real words and curated media words
    events: list[Item] = field(default_factory=list)  # curated family, school and religious events
    names: list[Item] = field(default_factory=list)  # person names written in the language
    places: list[Item] = field(default_factory=list)
    companies: list[Item] = field(default_factory=list)
    streets: list[Item] = field(default_factory=list)
    gender: list[Item] = field(default_factory=list)  # shared by every split (closed class)
    nationality: list[Item] = field(default_factory=list)  # shared by every split (closed class)
    _by_length: tuple[list[int], list[list[Item]]] | None = field(default=None, repr=False)

    def word_of_length(self, length: int, pick) -> Item:
        """A real word as long as ``length`` characters, or the nearest length there is."""
        if self._by_length is None:
            groups: dict[int, list[Item]] = defaultdict(list)
            for item in self.words:
                groups[len(item.text)].append(item)
            lengths = sorted(groups)
            self._by_length = (lengths, [groups[n] for n in lengths])
        lengths, groups = self._by_length
        i = min(bisect.bisect_left(lengths, length), len(lengths) - 1)
        if i and abs(lengths[i - 1] - length) <= abs(lengths[i] - length):
            i -= 1
        return pick(groups[i])


@dataclass
class Pools:
    """Every split's pools: ``languages[split][lang]``, person names of every origin, and the
    held-out software names (test only)."""

    languages: dict[str, dict[str, LanguagePool]]
    names: dict[str, dict[str, list[Item]]]  # person names by split, then country of origin
    software_files: list[Item]
    software_folders: list[Item]


_KIND_FIELDS = {"word": "words", "person_name": "names", "place": "places", "company": "companies", "street": "streets"}


@cache
def build() -> Pools:
    """The pools of every split (reads every source once per process)."""
    languages = {split: {lang: LanguagePool() for lang in LANGUAGES} for split in SPLITS}
    structural = structural_tokens()

    def usable(text: str) -> bool:
        return structural.isdisjoint(norm_view(text).split(" "))

    names: dict[str, dict[str, list[Item]]] = {split: defaultdict(list) for split in SPLITS}
    for source in sources.registry().values():
        if source.held_out:
            continue
        for split, items in sources.split_items(source).items():
            rows = [Item(text, source.name, source.origin) for text in items if usable(text)]
            if source.kind == "person_name":
                names[split][source.origin] += rows
            if source.lang in LANGUAGES:
                getattr(languages[split][source.lang], _KIND_FIELDS[source.kind]).extend(rows)
    for lang, vocabulary in VOCABULARIES.items():
        for kind, words in (("words", vocabulary.words), ("events", vocabulary.events), ("names", vocabulary.names)):
            for word in words:
                if usable(word) and (split := sources.split_of(word)):
                    getattr(languages[split][lang], kind).append(Item(word, CURATED))
        for split in SPLITS:
            languages[split][lang].gender = [Item(w, CURATED) for w in vocabulary.gender]
            languages[split][lang].nationality = [Item(w, CURATED) for w in vocabulary.nationality]
    held_out = {s.kind: s for s in sources.registry().values() if s.held_out}
    return Pools(
        languages=languages,
        names={split: dict(sorted(by_origin.items())) for split, by_origin in names.items()},
        software_files=[Item(t, held_out["file_name"].name) for t in sources.split_items(held_out["file_name"])["test"]],
        software_folders=[Item(t, held_out["folder_name"].name) for t in sources.split_items(held_out["folder_name"])["test"]],
    )
