"""Synthetic corpus configuration: TOML in, validated dataclass out.

Every key is checked: a wrong value names the key and what it must be, an unknown key names the
nearest valid one (a typo is never silently ignored).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from icop import resources
from icop.errors import ConfigError, check_known_keys
from icop.synth.obfuscation import FAMILIES
from icop.synth.schema import SPLITS
from icop.text.languages import LANGUAGES

IDENTITY_GROUPS = ("gender", "nationality", "person_name", "age")
MARKER_KINDS = ("listed", "unlisted", "novel")
HABITS = ("vi_strip_diacritics", "my_zawgyi", "ja_width", "native_digits", "english_tag", "transliterated", "buddhist_era_year")
_CORPUS_RATES = (
    "prevalence",
    "second_slot_rate",
    "identity_rate",
    "foreign_name_share",
    "overlap_negative_rate",
    "software_rate",
)
_SECTIONS = {
    "corpus": (*_CORPUS_RATES, "periods", "identity_bias_group", "identity_bias_rate"),
    "composition": ("path_rate", "segments", "path_depth"),
    "markers": MARKER_KINDS,
    "splits": SPLITS,
    "languages": tuple(LANGUAGES),
    "obfuscation": ("marker_rate", "carrier_rate", "families_by_period"),
    "habits": HABITS,
}
MAX_SEGMENTS = MAX_PATH_DEPTH = 4
MAX_PERIODS = 12


@dataclass(frozen=True)
class SynthConfig:
    prevalence: float
    periods: int
    second_slot_rate: float
    identity_rate: float
    foreign_name_share: float
    overlap_negative_rate: float
    software_rate: float
    path_rate: float
    segments: dict[int, float]  # names joined into one -> weight
    path_depth: dict[int, float]  # folders in a path -> weight
    markers: dict[str, float]  # marker kind -> weight
    splits: dict[str, float]
    languages: dict[str, float]
    marker_rate: float
    carrier_rate: float
    families_by_period: dict[int, tuple[str, ...]]
    habits: dict[str, float]
    identity_bias_group: str = ""  # for bias self-tests: an identity group over-represented in positives
    identity_bias_rate: float = 0.0  # share of positives given a word of that group
    source: str = resources.SYNTH_CONFIG

    def families_in(self, period: int) -> tuple[str, ...]:
        """Obfuscation families in use in a period: those introduced in it or before."""
        return tuple(f for p in sorted(self.families_by_period) if p <= period for f in self.families_by_period[p])

    def sha256(self) -> str:
        payload = {k: v for k, v in asdict(self).items() if k != "source"}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def load_config(path: str | Path | None = None) -> SynthConfig:
    """Read a TOML config (default: the shipped one); every problem names the key and the fix."""
    if path is None:
        text, source = resources.read_text(resources.SYNTH_CONFIG), resources.SYNTH_CONFIG
    else:
        try:
            text, source = Path(path).read_text(encoding="utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigError(f"cannot read ({err})", path=str(path), fix="give a UTF-8 TOML file") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML ({err})", path=source) from err
    return _Reader(data, source).config()


class _Reader:
    def __init__(self, data: dict, source: str):
        self.data, self.source = data, source
        check_known_keys(data, _SECTIONS, source)

    def fail(self, message: str) -> ConfigError:
        return ConfigError(message, path=self.source)

    def section(self, name: str) -> dict:
        value = self.data.get(name)
        if not isinstance(value, dict):
            raise self.fail(f"missing [{name}] section")
        keys = _SECTIONS[name]
        check_known_keys(value, keys, f"{self.source} [{name}]")
        return value

    def rate(self, section: str, key: str) -> float:
        value = self.section(section).get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise self.fail(f"{section}.{key} must be a number from 0 to 1 (got {value!r})")
        return float(value)

    def weights(self, section: str, table: dict, keys, where: str) -> dict:
        """Non-negative weights, not all zero, for the given keys (missing keys weigh 0)."""
        if not isinstance(table, dict) or not table:
            raise self.fail(f"{where} must be a table of weights")
        out = {}
        for key, value in table.items():
            if str(key) not in {str(k) for k in keys}:
                raise self.fail(f"{where}: unknown entry {key!r}; use {', '.join(map(str, keys))}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise self.fail(f"{where}.{key} must be a non-negative number (got {value!r})")
            out[key] = float(value)
        if sum(out.values()) <= 0:
            raise self.fail(f"{where} weights must not all be zero")
        return out

    def config(self) -> SynthConfig:
        corpus = self.section("corpus")
        composition = self.section("composition")
        periods = corpus.get("periods")
        if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= MAX_PERIODS:
            raise self.fail(f"corpus.periods must be an integer from 1 to {MAX_PERIODS} (got {periods!r})")
        splits = {k: self.rate("splits", k) for k in SPLITS}
        if abs(sum(splits.values()) - 1) > 1e-9:
            raise self.fail(f"[splits] must add up to 1 (got {sum(splits.values())})")
        counts = range(1, MAX_SEGMENTS + 1)
        bias_group = corpus.get("identity_bias_group", "")
        if bias_group not in ("", *IDENTITY_GROUPS):
            raise self.fail(f"corpus.identity_bias_group must be one of {IDENTITY_GROUPS} or empty (got {bias_group!r})")
        return SynthConfig(
            **{key: self.rate("corpus", key) for key in _CORPUS_RATES},
            periods=periods,
            path_rate=self.rate("composition", "path_rate"),
            segments={
                int(k): v
                for k, v in self.weights("composition", composition.get("segments"), counts, "composition.segments").items()
            },
            path_depth={
                int(k): v
                for k, v in self.weights("composition", composition.get("path_depth"), counts, "composition.path_depth").items()
            },
            markers=self.weights("markers", self.section("markers"), MARKER_KINDS, "[markers]"),
            splits=splits,
            languages=self.weights("languages", self.section("languages"), LANGUAGES, "[languages]"),
            marker_rate=self.rate("obfuscation", "marker_rate"),
            carrier_rate=self.rate("obfuscation", "carrier_rate"),
            families_by_period=self.families(),
            habits={k: self.rate("habits", k) for k in self.section("habits")},
            identity_bias_group=bias_group,
            identity_bias_rate=self.rate("corpus", "identity_bias_rate") if bias_group else 0.0,
            source=self.source,
        )

    def families(self) -> dict[int, tuple[str, ...]]:
        families = {}
        for key, names in self.section("obfuscation").get("families_by_period", {}).items():
            if not str(key).isdigit() or not isinstance(names, list) or not set(names) <= set(FAMILIES):
                raise self.fail(
                    f"obfuscation.families_by_period.{key} must map a period number to families from {sorted(FAMILIES)}"
                )
            families[int(key)] = tuple(names)
        return families
