"""Synthetic P2P filename corpus: benign naming habits plus SURROGATE markers.

One seeded ``random.Random`` stream drives everything, so the same config and seed give the same
records in the same order. A name is assembled from a template (prefix, core words, suffix);
markers, identity words and decoys are inserted among the core words, so that positives and
negatives share their carriers. Splits are assigned by a hash of the normalised *carrier* (the
name without its markers) and then made consistent on the normalised name, so no normalised text
and no carrier appears in two splits.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from anyascii import anyascii

from icop.synth import obfuscation
from icop.synth import vocabulary as vocab
from icop.synth.config import IDENTITY_GROUPS, SynthConfig
from icop.synth.surrogates import LexiconTerm, latent_lexicon
from icop.synth.vocabulary import VOCABULARIES, Vocabulary
from icop.text.normalize import norm_view

SPLITS = ("train", "validation", "test")
FIELDS = (
    "id",
    "text",
    "path",
    "label",
    "lang",
    "script",
    "category",
    "marker_kind",
    "marker_ids",
    "obfuscation",
    "groups",
    "informative",
    "period",
    "split",
)
#: Category weights (informative categories carry words; the rest are device defaults and hashes).
INFORMATIVE_CATEGORIES = {
    "scene_movie": 14,
    "tv_episode": 12,
    "fansub": 6,
    "music": 12,
    "event": 20,
    "karaoke": 6,
    "lecture": 6,
    "document": 5,
    "software": 4,
}
UNINFORMATIVE_CATEGORIES = {"camera": 7, "messaging": 4, "dashcam": 2, "hash": 2}
_UNSPACED_JOINERS = ("_", " ", "", "-")
_NATIVE_DIGITS = {"th": "๐๑๒๓๔๕๖๗๘๙", "km": "០១២៣៤៥៦៧៨៩", "my": "၀၁၂၃၄၅၆၇၈၉"}
_FULLWIDTH = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}
_HALFWIDTH_KANA = str.maketrans(
    {"カ": "ｶ", "ラ": "ﾗ", "オ": "ｵ", "ケ": "ｹ", "ア": "ｱ", "ニ": "ﾆ", "メ": "ﾒ", "ド": "ﾄﾞ", "マ": "ﾏ"}
)


@dataclass
class Record:
    id: str
    text: str
    path: str
    label: int
    lang: str
    script: str
    category: str
    marker_kind: str  # "listed", "unlisted", "both" or "none"
    marker_ids: list[str]
    obfuscation: list[str]
    groups: list[str]
    informative: bool
    period: int
    split: str = ""


@dataclass
class _Name:
    prefix: list[str]
    core: list[str]
    suffix: list[str]
    joiner: str
    ext: str
    category: str
    informative: bool = True
    markers: dict[int, tuple[int, int]] = field(default_factory=dict)  # core index -> marker span in it

    def text(self, with_markers: bool = True) -> str:
        core = self.core if with_markers else [self._without_marker(i, w) for i, w in enumerate(self.core)]
        stem = self.joiner.join(w for w in self.prefix + core + self.suffix if w)
        return f"{stem}.{self.ext}" if self.ext else stem

    def _without_marker(self, i: int, word: str) -> str:
        start, end = self.markers.get(i, (0, 0))
        return word[:start] + word[end:]


class CorpusGenerator:
    def __init__(self, config: SynthConfig, seed: int):
        self.config, self.seed = config, seed
        self.rng = random.Random(seed)
        self.languages = sorted(config.languages)
        self._lang_cdf = list(itertools.accumulate(config.languages[k] for k in self.languages))
        lexicon = latent_lexicon()
        self.markers: dict[tuple[str, str], list[LexiconTerm]] = {}
        for term in lexicon:
            if term.kind != "decoy":
                self.markers.setdefault((term.lang, term.kind), []).append(term)
        self.decoys = {lang: [t.term for t in lexicon if t.lang == lang and t.kind == "decoy"] for lang in VOCABULARIES}
        self._informative = _cdf(INFORMATIVE_CATEGORIES)
        self._uninformative = _cdf(UNINFORMATIVE_CATEGORIES)
        self._carriers: dict[str, str] = {}  # text -> the same name without its markers
        self._random = self.rng.random

    # Draws from the one seeded stream; cheaper than random.choice/randint, equally deterministic.
    def _choice(self, seq):
        return seq[int(self._random() * len(seq))]

    def _randint(self, low: int, high: int) -> int:
        return low + int(self._random() * (high - low + 1))

    def _randrange(self, n: int) -> int:
        return int(self._random() * n)

    def records(self, n: int) -> list[Record]:
        records = [self.record(i) for i in range(n)]
        assign_splits(records, self.config.splits, self._carriers)
        return records

    def record(self, i: int) -> Record:
        rng, config = self.rng, self.config
        lang = self.languages[bisect.bisect_right(self._lang_cdf, rng.random() * self._lang_cdf[-1])]
        v = VOCABULARIES[lang]
        label = int(rng.random() < config.prevalence)
        period = self._randrange(config.periods)
        uninformative = label and rng.random() < config.uninformative_positive_rate
        name = self._template(v, uninformative)
        groups, families = self._habits(name, v), []
        if name.informative and rng.random() < config.identity_rate:
            groups.append(self._insert_identity(name, v))
        if label and name.informative and config.identity_bias_group and rng.random() < config.identity_bias_rate:
            groups.append(self._insert_identity(name, v, config.identity_bias_group))  # bias self-test only
        if not label and name.informative and rng.random() < config.overlap_negative_rate:
            self._insert(name, self._choice(self.decoys[lang]), v)
            groups.append("lexical_overlap")
        marker_ids, kinds = [], set()
        if label and name.informative:
            for _ in range(1 + (rng.random() < config.second_marker_rate)):
                term = self._marker(lang, period)
                word = term.term
                if rng.random() < config.marker_rate:
                    word, family = self._obfuscate(word, period)
                    families += [family] if family else []
                at, span = self._insert(name, word, v)
                name.markers[at] = span
                marker_ids.append(term.id)
                kinds.add(term.kind)
        if name.informative and rng.random() < config.carrier_rate:
            family = self._obfuscate_carrier(name, period)
            families += [family] if family else []
        text = name.text()
        if lang == "my" and rng.random() < config.habits.get("my_zawgyi", 0):
            text = obfuscation.zawgyi(text, rng) or text
            groups.append("zawgyi")
        if name.markers:
            self._carriers[text] = name.text(with_markers=False)
        return Record(
            id=f"{self.seed}-{i:08d}",
            text=text,
            path=self._path(v),
            label=label,
            lang=lang,
            script="latin" if "transliterated" in groups else v.script,
            category=name.category,
            marker_kind="both" if len(kinds) > 1 else next(iter(kinds), "none"),
            marker_ids=marker_ids,
            obfuscation=sorted(set(families)),
            groups=sorted(set(groups)),
            informative=name.informative,
            period=period,
        )

    # ------------------------------------------------------------------ templates

    def _template(self, v: Vocabulary, uninformative: bool) -> _Name:
        rng = self.rng
        if uninformative or rng.random() < sum(UNINFORMATIVE_CATEGORIES.values()) / 100:
            category = _pick(rng, self._uninformative)
            return getattr(self, f"_{category}")(v)
        return getattr(self, f"_{_pick(rng, self._informative)}")(v)

    def _title(self, v: Vocabulary, most: int = 3) -> list[str]:
        return [self._choice(v.words + v.events) for _ in range(self._randint(1, most))]

    def _joiner(self, v: Vocabulary, latin: tuple[str, ...] = (".", "_", " ", "-")) -> str:
        return self._choice(latin if v.spaced else _UNSPACED_JOINERS)

    def _number(self, v: Vocabulary, n: int, width: int = 0) -> str:
        text = f"{n:0{width}d}"
        if v.lang in _NATIVE_DIGITS and self.rng.random() < self.config.habits.get("native_digits", 0):
            text = text.translate(str.maketrans("0123456789", _NATIVE_DIGITS[v.lang]))
        return text

    def _year(self, v: Vocabulary) -> str:
        year = self._randint(2005, 2025)
        if v.lang == "th" and self.rng.random() < self.config.habits.get("buddhist_era_year", 0):
            year += 543
        return self._number(v, year)

    def _scene_movie(self, v):
        tail = [
            self._year(v),
            self._choice(vocab.RESOLUTIONS),
            self._choice(vocab.SOURCES),
            f"{self._choice(vocab.CODECS)}-{self._choice(vocab.GROUPS)}",
        ]
        return _Name([], self._title(v), tail, ".", self._choice(vocab.VIDEO_EXTENSIONS), "scene_movie")

    def _tv_episode(self, v):
        episode = self._choice(v.episode).format(n=self._randint(1, 40))
        tail = [episode, self._choice(vocab.RESOLUTIONS), self._choice(v.tags + vocab.SOURCES)]
        return _Name([], self._title(v), tail, self._joiner(v), self._choice(vocab.VIDEO_EXTENSIONS), "tv_episode")

    def _fansub(self, v):
        r = self.rng
        crc = f"[{r.getrandbits(32):08X}]"
        if v.lang == "zh":
            return _Name(["[字幕组]"], self._title(v, 2), [f"[第{self._randint(1, 24):02d}集]", "[1080P]"], "", "mp4", "fansub")
        tail = [
            "-",
            f"{self._randint(1, 24):02d}",
            f"({self._choice(vocab.SOURCES)} {self._choice(vocab.RESOLUTIONS)} {self._choice(vocab.AUDIO)})",
            crc,
        ]
        return _Name([f"[{self._choice(vocab.GROUPS)}]"], self._title(v, 2), tail, " ", "mkv", "fansub")

    def _music(self, v):
        r = self.rng
        if r.random() < 0.5:
            return _Name(
                [f"{self._randint(1, 20):02d}", "-", self._choice(v.names), "-"],
                self._title(v, 2),
                [],
                " ",
                self._choice(vocab.AUDIO_EXTENSIONS),
                "music",
            )
        return _Name(
            [self._choice(v.names), "-"],
            self._title(v, 2),
            [f"({self._year(v)})", f"[{self._choice(vocab.AUDIO)}]"],
            " ",
            "",
            "music",
        )

    def _event(self, v):
        r = self.rng
        core = [self._choice(v.events)] + ([self._choice(v.words)] if r.random() < 0.3 else [])
        tail = [self._year(v)] if r.random() < 0.6 else []
        ext = self._choice(vocab.VIDEO_EXTENSIONS + ("jpg", "jpg", "png"))
        return _Name([], core, tail, self._joiner(v), ext, "event")

    def _karaoke(self, v):
        word = next((w for w in v.words if "ara" in w.lower() or "カラオケ" in w or "караоке" in w), "karaoke")
        return _Name(
            [word],
            self._title(v, 2),
            [self._number(v, self._randint(1, 99))],
            self._joiner(v),
            self._choice(vocab.VIDEO_EXTENSIONS),
            "karaoke",
        )

    def _lecture(self, v):
        episode = self._choice(v.episode).format(n=self._randint(1, 12))
        return _Name(
            [],
            [self._choice(v.events), self._choice(v.words)],
            [episode],
            self._joiner(v),
            self._choice(("mp4", "mp3", "pdf")),
            "lecture",
        )

    def _document(self, v):
        return _Name([], self._title(v, 2), [self._year(v)], self._joiner(v), self._choice(vocab.DOCUMENT_EXTENSIONS), "document")

    def _software(self, v):
        r = self.rng
        version = f"v{self._randint(1, 12)}.{self._randint(0, 9)}.{self._randint(0, 99)}"
        core = [self._choice(vocab.SOFTWARE)] + ([self._choice(v.words)] if r.random() < 0.3 else [])
        return _Name(
            [],
            core,
            [version, self._choice(("setup", "portable", "x64"))],
            "_",
            self._choice(("exe", "zip", "msi", "apk")),
            "software",
        )

    def _camera(self, v):
        r = self.rng
        pattern = self._choice(
            ("IMG_{n:04d}", "DSC_{n:04d}", "DSC{n:05d}", "P101{n:04d}", "MVI_{n:04d}", "GOPR{n:04d}", "DJI_{n:04d}")
        )
        stamp = (
            f"IMG_2{self._randint(10, 25):03d}{self._randint(1, 12):02d}{self._randint(1, 28):02d}_{self._randint(0, 235959):06d}"
        )
        stem = stamp if r.random() < 0.3 else pattern.format(n=self._randint(1, 9999))
        return _Name([stem], [], [], "", self._choice(("JPG", "jpg", "MOV", "MP4", "png")), "camera", informative=False)

    def _messaging(self, v):
        date = f"20{self._randint(15, 25)}{self._randint(1, 12):02d}{self._randint(1, 28):02d}"
        stem = self._choice(
            (
                f"IMG-{date}-WA{self._randint(0, 9999):04d}",
                f"VID-{date}-WA{self._randint(0, 999):04d}",
                f"photo_{date[:4]}-{date[4:6]}-{date[6:]}_{self._randint(0, 23):02d}-{self._randint(0, 59):02d}-{self._randint(0, 59):02d}",
            )
        )
        return _Name([stem], [], [], "", "mp4" if stem.startswith("VID") else "jpg", "messaging", informative=False)

    def _dashcam(self, v):
        stem = f"{self._randint(20, 25)}{self._randint(1, 12):02d}{self._randint(1, 28):02d}_{self._randint(0, 235959):06d}_{self._randint(1, 999):03d}_F{self._choice('HR')}"
        return _Name([stem], [], [], "", "MP4", "dashcam", informative=False)

    def _hash(self, v):
        r = self.rng
        digest = f"{r.getrandbits(128):032x}"
        return _Name([digest], [], [], "", self._choice(("jpg", "mp4", "avi", "")), "hash", informative=False)

    # ------------------------------------------------------------------ insertions and habits

    def _insert(self, name: _Name, word: str, v: Vocabulary) -> tuple[int, tuple[int, int]]:
        """Put a word among the core words (in unspaced scripts it may be glued to a neighbour);
        returns where: the core index and the word's span inside that core entry."""
        rng = self.rng
        at = self._randint(0, len(name.core))
        if not v.spaced and name.core and rng.random() < 0.4:
            neighbour = min(at, len(name.core) - 1)
            if neighbour not in name.markers:
                host = name.core[neighbour]
                if rng.random() < 0.5:
                    name.core[neighbour] = host + word
                    return neighbour, (len(host), len(host) + len(word))
                name.core[neighbour] = word + host
                return neighbour, (0, len(word))
        name.core.insert(at, word)
        name.markers = {m + (m >= at): span for m, span in name.markers.items()}
        return at, (0, len(word))

    def _insert_identity(self, name: _Name, v: Vocabulary, group: str | None = None) -> str:
        group = group or self._choice(IDENTITY_GROUPS)
        pool = {"gender": v.gender, "nationality": v.nationality, "person_name": v.names, "age": v.ages}[group]
        word = self._choice(pool).format(n=self._number(v, self._randint(1, 12)))
        self._insert(name, word, v)
        return group

    def _habits(self, name: _Name, v: Vocabulary) -> list[str]:
        """Ordinary writing habits, applied to carriers of both classes; returns group tags."""
        rng, habits = self.rng, self.config.habits
        groups: list[str] = []
        if v.lang == "vi" and rng.random() < habits.get("vi_strip_diacritics", 0):
            name.core = [obfuscation.diacritics(w, rng) or w for w in name.core]
            groups.append("no_diacritics")
        if v.lang == "ja" and rng.random() < habits.get("ja_width", 0):
            name.core = [w.translate(_HALFWIDTH_KANA).translate(_FULLWIDTH) for w in name.core]
            groups.append("width_variant")
        if v.script != "latin" and rng.random() < habits.get("transliterated", 0):
            name.core = [anyascii(w) for w in name.core]
            groups.append("transliterated")
        if rng.random() < habits.get("english_tag", 0) and name.informative:
            name.suffix.append(self._choice(VOCABULARIES["en"].tags))
            groups.append("code_switch")
        return groups

    def _marker(self, lang: str, period: int) -> LexiconTerm:
        rng = self.rng
        kind = "unlisted" if rng.random() < self.config.unlisted_share else "listed"
        pool = [t for t in self.markers[(lang, kind)] if t.period <= period]
        return self._choice(pool)

    def _obfuscate(self, word: str, period: int) -> tuple[str, str | None]:
        families = list(self.config.families_in(period))
        self.rng.shuffle(families)
        for family in families:
            disguised = obfuscation.apply(family, word, self.rng)
            if disguised:
                return disguised, family
        return word, None

    def _obfuscate_carrier(self, name: _Name, period: int) -> str | None:
        carriers = [i for i in range(len(name.core)) if i not in name.markers]
        if not carriers:
            return None
        i = self._choice(carriers)
        name.core[i], family = self._obfuscate(name.core[i], period)
        return family

    def _path(self, v: Vocabulary) -> str:
        rng = self.rng
        if rng.random() >= self.config.path_rate:
            return ""
        folder = self._choice(vocab.FOLDERS)
        native = self._choice(v.events)
        if rng.random() < 0.5:
            return f"C:\\Users\\{self._choice(vocab.USERS)}\\{folder}\\{native}\\"
        return f"/home/{self._choice(vocab.USERS)}/{folder}/{native}/"


def _cdf(weights: dict[str, int]) -> tuple[list[str], list[float]]:
    names = list(weights)
    return names, list(itertools.accumulate(weights[n] for n in names))


def _pick(rng: random.Random, cdf: tuple[list[str], list[float]]) -> str:
    names, cumulative = cdf
    return names[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


def _split_of(key: str, splits: dict[str, float]) -> str:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    u = int.from_bytes(digest, "big") / 2**64
    edge = 0.0
    for split in SPLITS:
        edge += splits[split]
        if u < edge:
            return split
    return SPLITS[-1]


def assign_splits(records: list[Record], splits: dict[str, float], carriers: dict[str, str]) -> None:
    """Split by the normalised carrier (the name with its markers cut out), so that a carrier
    and every name that normalises alike land in one split; identical texts follow the first."""
    by_text: dict[str, str] = {}
    for record in records:
        split = _split_of(norm_view(carriers.get(record.text, record.text)), splits)
        record.split = by_text.setdefault(record.text, split)


def generate(config: SynthConfig, n: int, seed: int) -> list[Record]:
    return CorpusGenerator(config, seed).records(n)


def iter_rows(records: list[Record]) -> Iterator[dict]:
    for r in records:
        yield {f: getattr(r, f) for f in FIELDS}


def columns(records: list[Record]) -> dict[str, list]:
    return {f: [getattr(r, f) for r in records] for f in FIELDS}
