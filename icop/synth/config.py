"""Synthetic corpus configuration: TOML in, validated dataclass out."""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

from icop import resources
from icop.errors import ConfigError
from icop.synth.obfuscation import FAMILIES
from icop.text.languages import LANGUAGES

IDENTITY_GROUPS = ("gender", "nationality", "person_name", "age")


@dataclass(frozen=True)
class SynthConfig:
    prevalence: float
    periods: int
    path_rate: float
    uninformative_positive_rate: float
    identity_rate: float
    overlap_negative_rate: float
    unlisted_share: float
    second_marker_rate: float
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
            raise ConfigError(f"{path}: cannot read ({err}); give a UTF-8 TOML file") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML ({err})") from err
    return _build(data, source)


def _build(data: dict, source: str) -> SynthConfig:
    def section(name: str) -> dict:
        value = data.get(name)
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: missing [{name}] section")
        return value

    def rate(table: dict, key: str, where: str) -> float:
        value = table.get(key)
        if not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise ConfigError(f"{source}: {where}.{key} must be a number from 0 to 1 (got {value!r})")
        return float(value)

    corpus, obfuscation = section("corpus"), section("obfuscation")
    rates = {
        key: rate(corpus, key, "corpus")
        for key in (
            "prevalence",
            "path_rate",
            "uninformative_positive_rate",
            "identity_rate",
            "overlap_negative_rate",
            "unlisted_share",
            "second_marker_rate",
        )
    }
    periods = corpus.get("periods")
    if not isinstance(periods, int) or not 1 <= periods <= 12:
        raise ConfigError(f"{source}: corpus.periods must be an integer from 1 to 12 (got {periods!r})")
    splits = {k: rate(section("splits"), k, "splits") for k in ("train", "validation", "test")}
    if abs(sum(splits.values()) - 1) > 1e-9:
        raise ConfigError(f"{source}: [splits] must add up to 1 (got {sum(splits.values())})")
    languages = section("languages")
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown:
        raise ConfigError(f"{source}: unknown language(s) {unknown} in [languages]; use {', '.join(LANGUAGES)}")
    if not languages or any(not isinstance(w, (int, float)) or w < 0 for w in languages.values()) or sum(languages.values()) <= 0:
        raise ConfigError(f"{source}: [languages] weights must be non-negative numbers, not all zero")
    by_period = obfuscation.get("families_by_period", {})
    families = {}
    for key, names in by_period.items():
        if not str(key).isdigit() or not set(names) <= set(FAMILIES):
            raise ConfigError(
                f"{source}: obfuscation.families_by_period.{key} must map a period number to families from {sorted(FAMILIES)}"
            )
        families[int(key)] = tuple(names)
    habits = {k: rate(section("habits"), k, "habits") for k in section("habits")}
    bias_group = corpus.get("identity_bias_group", "")
    if bias_group not in ("", *IDENTITY_GROUPS):
        raise ConfigError(f"{source}: corpus.identity_bias_group must be one of {IDENTITY_GROUPS} or empty (got {bias_group!r})")
    return SynthConfig(
        identity_bias_group=bias_group,
        identity_bias_rate=rate(corpus, "identity_bias_rate", "corpus") if bias_group else 0.0,
        **rates,
        periods=periods,
        splits=splits,
        languages={k: float(v) for k, v in languages.items()},
        marker_rate=rate(obfuscation, "marker_rate", "obfuscation"),
        carrier_rate=rate(obfuscation, "carrier_rate", "obfuscation"),
        families_by_period=families,
        habits=habits,
        source=source,
    )
