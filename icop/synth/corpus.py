"""Synthetic P2P filename corpus: real benign naming plus SURROGATE markers.

Every record is built the same way whatever its label: a split, a language and a period are
drawn; one to four names (segments) are built from naming templates (scene releases, fansubs,
event photos, camera defaults...) filled with items of the record's split only
(icop/synth/pools.py), joined as real names are, and sometimes put behind a folder path. One
informative segment (two, at ``second_slot_rate``) gets a *slot word*: a surrogate marker in a
positive, a real word of the same length in a negative (sometimes a decoy: a real word sharing a
long substring with a marker). Slot words are disguised at the same rate in both classes. So
length, composition and obfuscation carry no label: only the marker does.

One seeded ``random.Random`` drives everything: the same config and seed give the same records.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from anyascii import anyascii

from icop.progress import Progress, report
from icop.synth import obfuscation, sources
from icop.synth import vocabulary as vocab
from icop.synth.config import IDENTITY_GROUPS, MARKER_KINDS, MAX_PERIODS, SynthConfig
from icop.synth.pools import Item, LanguagePool, Pools
from icop.synth.pools import build as build_pools
from icop.synth.schema import FIELDS, SPLITS
from icop.synth.surrogates import LexiconTerm, decoys_for, latent_lexicon
from icop.synth.vocabulary import VOCABULARIES, Vocabulary
from icop.text.normalize import norm_view

#: Template weights: informative templates carry words; the rest are device defaults and hashes.
INFORMATIVE_CATEGORIES = {
    "scene_movie": 12, "tv_episode": 10, "fansub": 5, "music": 10, "event": 14, "photo_album": 8,
    "karaoke": 4, "lecture": 5, "document": 6, "software": 3,
}  # fmt: skip
UNINFORMATIVE_CATEGORIES = {"camera": 8, "messaging": 4, "dashcam": 2, "hash": 2}
#: Test only: names built on installed-software file names (the held-out source).
SOFTWARE_FILE = "software_file"
_UNSPACED_JOINERS = ("_", " ", "", "-")
_SEGMENT_JOINERS = (" ", "_", " - ", ".", " + ")
_NATIVE_DIGITS = {"th": "๐๑๒๓๔๕๖๗๘๙", "km": "០១២៣៤៥៦៧៨៩", "my": "၀၁၂၃၄၅၆၇၈၉"}
_FULLWIDTH = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}
_HALFWIDTH_KANA = str.maketrans(
    {"カ": "ｶ", "ラ": "ﾗ", "オ": "ｵ", "ケ": "ｹ", "ア": "ｱ", "ニ": "ﾆ", "メ": "ﾒ", "ド": "ﾄﾞ", "マ": "ﾏ"}
)
DECOYS_PER_TERM = 3


@dataclass
class Record:
    id: str
    text: str
    label: int
    lang: str
    script: str
    category: str
    marker_kind: str  # "listed", "unlisted", "novel", "mixed" or "none"
    marker_ids: list[str]
    obfuscation: list[str]
    groups: list[str]
    sources: list[str]
    origins: list[str]
    segments: int
    path_depth: int
    informative: bool
    period: int
    split: str


@dataclass
class _Segment:
    """One name: prefix, core words (where slot, identity and decoy words go), suffix."""

    prefix: list[str]
    core: list[str]
    suffix: list[str]
    joiner: str
    ext: str
    category: str
    informative: bool = True

    def stem(self) -> str:
        return self.joiner.join(w for w in self.prefix + self.core + self.suffix if w)


@dataclass
class _Draft:
    """What a record is being built from (collects its metadata as items are drawn)."""

    split: str
    lang: str
    period: int
    pool: LanguagePool
    v: Vocabulary
    sources: set[str] = field(default_factory=set)
    origins: set[str] = field(default_factory=set)
    groups: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)

    def use(self, item: Item) -> str:
        self.sources.add(item.source)
        if item.origin:
            self.origins.add(item.origin)
        return item.text


#: Names built between two progress reports (reporting does not draw from the seeded stream).
_PROGRESS_STEP = 5_000


class CorpusGenerator:
    def __init__(self, config: SynthConfig, seed: int, pools: Pools | None = None):
        self.config, self.seed = config, seed
        self.rng = random.Random(seed)
        self._random = self.rng.random
        self.pools = pools or build_pools()
        self.languages = sorted(lang for lang, weight in config.languages.items() if weight > 0)
        self._lang_cdf = list(itertools.accumulate(config.languages[k] for k in self.languages))
        self._informative = _cdf(INFORMATIVE_CATEGORIES)
        self._uninformative = _cdf(UNINFORMATIVE_CATEGORIES)
        self._all = _cdf({**INFORMATIVE_CATEGORIES, **UNINFORMATIVE_CATEGORIES})
        lexicon = latent_lexicon()
        self._markers = _marker_pools(lexicon)
        self._terms = {
            lang: sorted({t.term for t in lexicon if t.lang == lang and t.kind in MARKER_KINDS}) for lang in self.languages
        }
        self._decoys: dict[tuple[str, str], dict[str, list[Item]]] = {}

    # Draws from the one seeded stream; cheaper than random.choice/randint, equally deterministic.
    def _choice(self, seq: Sequence):
        return seq[int(self._random() * len(seq))]

    def _randint(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _weighted(self, weights: dict):
        keys = sorted(weights)
        return _pick(self.rng, (keys, list(itertools.accumulate(weights[k] for k in keys))))

    def records(self, n: int, progress: Progress | None = None) -> list[Record]:
        records = []
        for start in range(0, n, _PROGRESS_STEP):
            records += [self.record(i) for i in range(start, min(start + _PROGRESS_STEP, n))]
            report(progress, "build names", len(records), n)
        _one_split_per_text(records)
        return records

    def record(self, i: int) -> Record:
        config = self.config
        split = self._weighted(config.splits)
        lang = self.languages[bisect.bisect_right(self._lang_cdf, self._random() * self._lang_cdf[-1])]
        label = int(self._random() < config.prevalence)
        draft = _Draft(split, lang, self._randint(0, config.periods - 1), self.pools.languages[split][lang], VOCABULARIES[lang])
        segments = [self._segment(draft) for _ in range(self._weighted(config.segments))]
        informative = [s for s in segments if s.informative]
        marker_ids, kinds = [], set()
        if informative:
            self._habits(draft, informative)
            self._identity(draft, informative, label)
            for _ in range(1 + (self._random() < config.second_slot_rate)):
                term = self._marker(draft)  # drawn for both classes, so that negatives get a twin of its length
                if label:
                    word = term.term
                    marker_ids.append(term.id)
                    kinds.add(term.kind)
                else:
                    word = self._filler(draft, term)
                if self._random() < config.marker_rate:
                    word = self._obfuscate(draft, word)
                self._insert(self._choice(informative), word, draft.v)
            if self._random() < config.carrier_rate:
                self._obfuscate_carrier(draft, self._choice(informative))
        text = self._join(draft, segments)
        if lang == "my" and self._random() < config.habits.get("my_zawgyi", 0):
            text = obfuscation.zawgyi(text, self.rng) or text
            draft.groups.append("zawgyi")
        depth = self._weighted(config.path_depth) if self._random() < config.path_rate else 0
        if depth:
            text = self._path(draft, depth) + text
        return Record(
            id=f"{self.seed}-{i:08d}",
            text=text,
            label=label,
            lang=lang,
            script="latin" if "transliterated" in draft.groups else draft.v.script,
            category=segments[0].category if len(segments) == 1 else "joined",
            marker_kind=("mixed" if len(kinds) > 1 else next(iter(kinds))) if kinds else "none",
            marker_ids=marker_ids,
            obfuscation=sorted(set(draft.families)),
            groups=sorted(set(draft.groups)),
            sources=sorted(draft.sources),
            origins=sorted(draft.origins),
            segments=len(segments),
            path_depth=depth,
            informative=bool(informative),
            period=draft.period,
            split=split,
        )

    # ------------------------------------------------------------------ templates

    def _segment(self, d: _Draft) -> _Segment:
        if d.split == "test" and self._random() < self.config.software_rate:
            return self._software_file(d)
        return getattr(self, f"_{_pick(self.rng, self._all)}")(d)

    def _word(self, d: _Draft, items: list[Item]) -> str:
        return d.use(self._choice(items)) if items else ""

    def _title(self, d: _Draft, most: int = 3) -> list[str]:
        return [
            self._word(d, d.pool.words if self._random() < 0.8 else d.pool.events or d.pool.words)
            for _ in range(self._randint(1, most))
        ]

    def _joiner(self, d: _Draft, latin: tuple[str, ...] = (".", "_", " ", "-")) -> str:
        return self._choice(latin if d.v.spaced else _UNSPACED_JOINERS)

    def _number(self, d: _Draft, n: int, width: int = 0) -> str:
        text = f"{n:0{width}d}"
        if d.lang in _NATIVE_DIGITS and self._random() < self.config.habits.get("native_digits", 0):
            text = text.translate(str.maketrans("0123456789", _NATIVE_DIGITS[d.lang]))
        return text

    def _year(self, d: _Draft) -> str:
        year = self._randint(2005, 2025)
        if d.lang == "th" and self._random() < self.config.habits.get("buddhist_era_year", 0):
            year += 543
        return self._number(d, year)

    def _scene_movie(self, d):
        tail = [
            self._year(d),
            self._choice(vocab.RESOLUTIONS),
            self._choice(vocab.SOURCES),
            f"{self._choice(vocab.CODECS)}-{self._choice(vocab.GROUPS)}",
        ]
        return _Segment([], self._title(d), tail, ".", self._choice(vocab.VIDEO_EXTENSIONS), "scene_movie")

    def _tv_episode(self, d):
        episode = self._choice(d.v.episode).format(n=self._randint(1, 40))
        tail = [episode, self._choice(vocab.RESOLUTIONS), self._choice(d.v.tags + vocab.SOURCES)]
        return _Segment([], self._title(d), tail, self._joiner(d), self._choice(vocab.VIDEO_EXTENSIONS), "tv_episode")

    def _fansub(self, d):
        crc = f"[{self.rng.getrandbits(32):08X}]"
        if d.lang == "zh":
            return _Segment(
                ["[字幕组]"], self._title(d, 2), [f"[第{self._randint(1, 24):02d}集]", "[1080P]"], "", "mp4", "fansub"
            )
        tail = [
            "-",
            f"{self._randint(1, 24):02d}",
            f"({self._choice(vocab.SOURCES)} {self._choice(vocab.RESOLUTIONS)} {self._choice(vocab.AUDIO)})",
            crc,
        ]
        return _Segment([f"[{self._choice(vocab.GROUPS)}]"], self._title(d, 2), tail, " ", "mkv", "fansub")

    def _music(self, d):
        artist = self._person(d)
        if self._random() < 0.5:
            return _Segment(
                [f"{self._randint(1, 20):02d}", "-", artist, "-"],
                self._title(d, 2),
                [],
                " ",
                self._choice(vocab.AUDIO_EXTENSIONS),
                "music",
            )
        return _Segment(
            [artist, "-"], self._title(d, 2), [f"({self._year(d)})", f"[{self._choice(vocab.AUDIO)}]"], " ", "", "music"
        )

    def _event(self, d):
        core = [self._word(d, d.pool.events or d.pool.words)] + ([self._word(d, d.pool.words)] if self._random() < 0.3 else [])
        tail = [self._year(d)] if self._random() < 0.6 else []
        return _Segment([], core, tail, self._joiner(d), self._choice(vocab.VIDEO_EXTENSIONS + ("jpg", "jpg", "png")), "event")

    def _photo_album(self, d):
        where = self._word(d, d.pool.places or d.pool.words)
        core = [where, self._word(d, d.pool.events or d.pool.words)] if self._random() < 0.6 else [self._person(d), where]
        tail = [self._year(d), self._number(d, self._randint(1, 300), 3)] if self._random() < 0.5 else []
        return _Segment([], core, tail, self._joiner(d), self._choice(vocab.PHOTO_EXTENSIONS), "photo_album")

    def _karaoke(self, d):
        word = next((w for w in d.v.words if "ara" in w.lower() or "カラオケ" in w or "караоке" in w), "karaoke")
        return _Segment(
            [word],
            self._title(d, 2),
            [self._number(d, self._randint(1, 99))],
            self._joiner(d),
            self._choice(vocab.VIDEO_EXTENSIONS),
            "karaoke",
        )

    def _lecture(self, d):
        episode = self._choice(d.v.episode).format(n=self._randint(1, 12))
        core = [self._word(d, d.pool.events or d.pool.words), self._word(d, d.pool.words)]
        return _Segment([], core, [episode], self._joiner(d), self._choice(vocab.LECTURE_EXTENSIONS), "lecture")

    def _document(self, d):
        owner = [self._word(d, d.pool.companies or d.pool.streets or d.pool.words)] if self._random() < 0.5 else []
        return _Segment(
            owner, self._title(d, 2), [self._year(d)], self._joiner(d), self._choice(vocab.DOCUMENT_EXTENSIONS), "document"
        )

    def _software(self, d):
        version = f"v{self._randint(1, 12)}.{self._randint(0, 9)}.{self._randint(0, 99)}"
        core = [self._choice(vocab.SOFTWARE)] + ([self._word(d, d.pool.words)] if self._random() < 0.3 else [])
        return _Segment(
            [], core, [version, self._choice(vocab.SOFTWARE_TAGS)], "_", self._choice(vocab.SOFTWARE_EXTENSIONS), "software"
        )

    def _software_file(self, d):
        name = self._word(d, self.pools.software_files)
        stem, dot, ext = name.rpartition(".")
        return _Segment(
            [], [stem if dot else name], [], "_", ext if dot and ext.isalnum() and len(ext) <= 5 else "", SOFTWARE_FILE
        )

    def _camera(self, d):
        pattern = self._choice(vocab.CAMERA_PATTERNS)
        stamp = (
            f"IMG_2{self._randint(10, 25):03d}{self._randint(1, 12):02d}{self._randint(1, 28):02d}_{self._randint(0, 235959):06d}"
        )
        stem = stamp if self._random() < 0.3 else pattern.format(n=self._randint(1, 9999))
        return _Segment([stem], [], [], "", self._choice(vocab.CAMERA_EXTENSIONS), "camera", informative=False)

    def _messaging(self, d):
        date = f"20{self._randint(15, 25)}{self._randint(1, 12):02d}{self._randint(1, 28):02d}"
        clock = f"{self._randint(0, 23):02d}-{self._randint(0, 59):02d}-{self._randint(0, 59):02d}"
        stem = self._choice((f"IMG-{date}-WA{self._randint(0, 9999):04d}", f"VID-{date}-WA{self._randint(0, 999):04d}",
                             f"photo_{date[:4]}-{date[4:6]}-{date[6:]}_{clock}"))  # fmt: skip
        return _Segment([stem], [], [], "", "mp4" if stem.startswith("VID") else "jpg", "messaging", informative=False)

    def _dashcam(self, d):
        stem = f"{self._randint(20, 25)}{self._randint(1, 12):02d}{self._randint(1, 28):02d}_{self._randint(0, 235959):06d}_{self._randint(1, 999):03d}_F{self._choice('HR')}"
        return _Segment([stem], [], [], "", "MP4", "dashcam", informative=False)

    def _hash(self, d):
        return _Segment(
            [f"{self.rng.getrandbits(128):032x}"], [], [], "", self._choice(("jpg", "mp4", "avi", "")), "hash", informative=False
        )

    # ------------------------------------------------------------------ slot words, identity, habits

    def _marker(self, d: _Draft) -> LexiconTerm:
        kind = self._weighted(self.config.markers)
        pool = self._markers.get((d.lang, kind, d.split, d.period)) or self._markers[(d.lang, "listed", d.split, d.period)]
        return self._choice(pool)

    def _filler(self, d: _Draft, term: LexiconTerm) -> str:
        """The negative's slot word: a real word as long as the marker it stands for, or a decoy."""
        if self._random() < self.config.overlap_negative_rate:
            decoys = self._decoys_of(d.split, d.lang).get(term.term)
            if decoys:
                d.groups.append("lexical_overlap")
                return d.use(self._choice(decoys))
        return d.use(d.pool.word_of_length(len(term.term), self._choice))

    def _decoys_of(self, split: str, lang: str) -> dict[str, list[Item]]:
        key = (split, lang)
        if key not in self._decoys:
            pool = self.pools.languages[split][lang]
            by_text = {item.text: item for item in pool.words}
            words = tuple(sorted(by_text))
            self._decoys[key] = {
                term: [by_text[w] for w in decoys_for(term, lang, words, DECOYS_PER_TERM)] for term in self._terms[lang]
            }
        return self._decoys[key]

    def _insert(self, segment: _Segment, word: str, v: Vocabulary) -> None:
        """Put a word among the core words (in unspaced scripts it may be glued to a neighbour)."""
        at = self._randint(0, len(segment.core))
        if not v.spaced and segment.core and self._random() < 0.4:
            neighbour = min(at, len(segment.core) - 1)
            host = segment.core[neighbour]
            segment.core[neighbour] = host + word if self._random() < 0.5 else word + host
            return
        segment.core.insert(at, word)

    def _person(self, d: _Draft) -> str:
        """A person name: of the language, or (``foreign_name_share``) of any country of origin."""
        names = self.pools.names[d.split]
        if names and (not d.pool.names or self._random() < self.config.foreign_name_share):
            return d.use(self._choice(names[self._choice(sorted(names))]))
        return self._word(d, d.pool.names)

    def _identity(self, d: _Draft, segments: list[_Segment], label: int) -> None:
        config = self.config
        groups = []
        if self._random() < config.identity_rate:
            groups.append(self._choice(IDENTITY_GROUPS))
        if label and config.identity_bias_group and self._random() < config.identity_bias_rate:
            groups.append(config.identity_bias_group)  # bias self-test only
        for group in groups:
            word = self._identity_word(d, group)
            if word:
                self._insert(self._choice(segments), word, d.v)
                d.groups.append(group)

    def _identity_word(self, d: _Draft, group: str) -> str:
        if group == "person_name":
            return self._person(d)
        if group == "age":
            return self._choice(d.v.ages).format(n=self._number(d, self._randint(1, 12)))
        return self._word(d, getattr(d.pool, group))

    def _habits(self, d: _Draft, segments: list[_Segment]) -> None:
        """Ordinary writing habits, applied to carriers of both classes."""
        habits = self.config.habits
        if d.lang == "vi" and self._random() < habits.get("vi_strip_diacritics", 0):
            self._map_core(segments, lambda w: obfuscation.diacritics(w, self.rng) or w)
            d.groups.append("no_diacritics")
        if d.lang == "ja" and self._random() < habits.get("ja_width", 0):
            self._map_core(segments, lambda w: w.translate(_HALFWIDTH_KANA).translate(_FULLWIDTH))
            d.groups.append("width_variant")
        if d.v.script != "latin" and self._random() < habits.get("transliterated", 0):
            self._map_core(segments, anyascii)
            d.groups.append("transliterated")
        if self._random() < habits.get("english_tag", 0):
            segments[-1].suffix.append(self._choice(VOCABULARIES["en"].tags))
            d.groups.append("code_switch")

    @staticmethod
    def _map_core(segments: list[_Segment], change) -> None:
        for segment in segments:
            segment.core = [change(w) for w in segment.core]

    def _obfuscate(self, d: _Draft, word: str) -> str:
        families = list(self.config.families_in(d.period))
        self.rng.shuffle(families)
        for family in families:
            disguised = obfuscation.apply(family, word, self.rng)
            if disguised:
                d.families.append(family)
                return disguised
        return word

    def _obfuscate_carrier(self, d: _Draft, segment: _Segment) -> None:
        if segment.core:
            i = self._randint(0, len(segment.core) - 1)
            segment.core[i] = self._obfuscate(d, segment.core[i])

    # ------------------------------------------------------------------ composition

    def _join(self, d: _Draft, segments: list[_Segment]) -> str:
        joiner = self._choice(_SEGMENT_JOINERS)
        stems = [s.stem() for s in segments]
        ext = segments[-1].ext
        name = joiner.join(s for s in stems if s)
        return f"{name}.{ext}" if ext else name

    def _path(self, d: _Draft, depth: int) -> str:
        folders = []
        for _ in range(depth):
            r = self._random()
            if d.split == "test" and r < 0.15:
                folders.append(self._word(d, self.pools.software_folders))
            elif r < 0.4:
                folders.append(self._choice(vocab.FOLDERS))
            elif r < 0.6:
                folders.append(self._word(d, d.pool.places or d.pool.words))
            elif r < 0.75:
                folders.append(self._person(d))
            else:
                folders.append(" ".join(self._title(d, 2)))
        style = self._random()
        if style < 0.35:
            return "C:\\Users\\" + self._choice(vocab.USERS) + "\\" + "\\".join(folders) + "\\"
        if style < 0.7:
            return "/home/" + self._choice(vocab.USERS) + "/" + "/".join(folders) + "/"
        return "/".join(folders) + "/"


def _marker_pools(lexicon: list[LexiconTerm]) -> dict[tuple[str, str, str, int], list[LexiconTerm]]:
    """Markers by (language, kind, split, period): listed terms in every split (the list is known);
    unlisted variants split by term like benign items (a test variant is unseen in training);
    novel stems only in the test split (vocabulary that appeared after the list and the model were
    made: what "previously unknown" means); a term is in use from its period on."""
    pools: dict[tuple[str, str, str, int], list[LexiconTerm]] = {}
    periods = range(MAX_PERIODS)
    for term in lexicon:
        if term.kind not in MARKER_KINDS:
            continue
        for split in _splits_of(term):
            for period in periods:
                if term.period <= period:
                    pools.setdefault((term.lang, term.kind, split, period), []).append(term)
    return pools


def _splits_of(term: LexiconTerm) -> tuple[str, ...]:
    if term.kind == "listed":
        return SPLITS
    if term.kind == "novel":
        return ("test",)
    return (sources.split_of(term.term) or "test",)


def _cdf(weights: dict[str, int]) -> tuple[list[str], list[float]]:
    names = list(weights)
    return names, list(itertools.accumulate(weights[n] for n in names))


def _pick(rng: random.Random, cdf: tuple[list, list[float]]):
    names, cumulative = cdf
    return names[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _one_split_per_text(records: list[Record]) -> None:
    """Names that normalise alike (device defaults can repeat) keep the split of the first."""
    first: dict[str, str] = {}
    for record in records:
        record.split = first.setdefault(norm_view(record.text), record.split)


def generate(config: SynthConfig, n: int, seed: int, progress: Progress | None = None) -> list[Record]:
    report(progress, "read the real benign sources", 0, 1)
    generator = CorpusGenerator(config, seed)
    report(progress, "read the real benign sources", 1, 1)
    return generator.records(n, progress)


def iter_rows(records: list[Record]) -> Iterator[dict]:
    for r in records:
        yield {f: getattr(r, f) for f in FIELDS}


def columns(records: list[Record]) -> dict[str, list]:
    return {f: [getattr(r, f) for r in records] for f in FIELDS}
