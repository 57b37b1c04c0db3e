"""The open-world section of ``icop evaluate`` (issue #16): real benign names that no training
name contains, cut every way a partner's names can differ from the training corpus.

For icop and every baseline, on the same test names and at every operating point: the false
positive rate by source, language, script, person-name origin, length band, number of joined
names, folder path and the sources held out of training; recall by marker kind and by obfuscation
family; the flag rate of decoys; and how the false positive rate grows with joined names and
folder paths. Every rate is a count over a count (``count_rate``): n names, k flagged, k / n, its
Wilson 95% interval and, when k = 0, the rule-of-three upper bound 3 / n. The targets of issue #16
point 6 and the minimum negatives an origin needs are read from the suite eval/open_world.toml
and judged at the default operating point.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from icop.evaluation import metrics as m
from icop.model import bundle
from icop.model.base import ModelError
from icop.model.calibration import DEFAULT_POINT, OperatingPoint
from icop.text.normalize import Normalized

#: The keys of eval/open_world.toml: the minimum negatives per origin and the bound of every target.
SUITE_KEYS = (
    "min_negatives_per_origin",
    "overall_fpr_max",
    "language_fpr_max",
    "origin_fpr_max",
    "joined_3_vs_1_fpr_ratio_max",
    "path_vs_no_path_fpr_ratio_max",
    "listed_recall_min",
    "unlisted_recall_min",
    "decoy_flag_rate_max",
)
#: Length bands of the text (folder path included) by their largest length; the last band is open.
LENGTH_EDGES = (20, 40, 80, 160)
LENGTH_BANDS = (
    *(f"{low}-{high}" for low, high in zip((0, *(e + 1 for e in LENGTH_EDGES)), LENGTH_EDGES)),
    f"{LENGTH_EDGES[-1] + 1}+",
)
MARKER_KINDS = ("listed", "unlisted", "novel", "mixed")
DECOY_GROUP = "lexical_overlap"
NO_VALUE = "none"  # the group of a name whose list column is empty (no source, no origin, no obfuscation)
ALL = "all"
DEFINITIONS = {
    "rate": "k of n names flagged (logit >= the operating point's threshold); ci: Wilson 95% interval; "
    "upper_rule_of_three: 3/n, the 95% upper bound when k = 0",
    "fpr": "negatives of the test split, built only from items no training name contains; a name counts under "
    "each of its sources and origins; length: characters of the text, folder path included",
    "unseen_sources": "sources of test names found in no training or validation name of the evaluated corpus",
    "recall": "positives of the test split by marker kind, and by obfuscation family x marker kind (a family "
    "applied to the marker or to a carrier word; none: no obfuscation)",
    "decoys": f"negatives in the group {DECOY_GROUP!r}: real words sharing long substrings with markers",
    "ratios": "FPR of the first group over the second; ci: Miettinen-Nurminen score interval for a ratio of two "
    "independent proportions (statsmodels), null upper bound: unbounded (no false positive in the second group)",
    "targets": "issue #16 point 6 at the default operating point, bounds from eval/open_world.toml; met: the point "
    "estimate is within the bound (every qualifying group for per-group targets); interval_within_target: so is "
    "the whole 95% interval",
}


@dataclass(frozen=True)
class ScoredModel:
    """A bundle's integer logits on the test split, with what the report says about it."""

    name: str
    kind: str
    path: str
    logits: np.ndarray
    operating_points: dict[str, OperatingPoint]


@dataclass(frozen=True)
class Group:
    """The rows of one cell: a cut (lang, source...) and one of its values."""

    cut: str
    value: str
    rows: np.ndarray  # bool over the test split


@dataclass(frozen=True)
class Cuts:
    """Every group the section counts, built once from the test split and shared by every model."""

    fpr: list[Group]  # negatives only
    recall: list[Group]  # positives only
    decoys: Group
    ratios: dict[str, tuple[Group, Group]]  # name: (numerator, denominator)
    unseen_sources: list[str] | None  # None: the corpus has no training or validation split to compare with


def score_bundles(paths: list[str | Path], normalized: list[Normalized]) -> list[ScoredModel]:
    """Load and score each bundle once; the report's baselines and open-world sections share the result."""
    scored = []
    for path in paths:
        loaded = bundle.load(path)
        logits = loaded.model.score(normalized).logits
        manifest = loaded.manifest
        scored.append(ScoredModel(manifest["model_name"], manifest["kind"], str(path), logits, loaded.model.operating_points))
    return scored


def membership(values: list) -> dict[str, np.ndarray]:
    """One row mask per value, sorted by value; a list value puts its row in the group of each of
    its items, an empty list in the group ``none``."""
    groups: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(values), dtype=bool))
    for i, value in enumerate(values):
        for key in (value if isinstance(value, list) else [value]) or [NO_VALUE]:
            groups[str(key)][i] = True
    return dict(sorted(groups.items()))


def count_rate(*, rows: np.ndarray, flagged: np.ndarray) -> dict:
    """n names in ``rows``, k of them flagged, the rate, its Wilson interval and the rule of three at k = 0."""
    n = int(rows.sum())
    k = int((rows & flagged).sum())
    return {
        "n": n,
        "k": k,
        "rate": k / n if n else None,
        "ci": list(m.wilson(k, n)) if n else None,
        "upper_rule_of_three": m.rule_of_three(n) if n and not k else None,
    }


# --------------------------------------------------------------------------- cuts


def build_cuts(rows: list[dict], *, seen_sources: frozenset[str] | None) -> Cuts:
    """The groups of the test split ``rows`` (corpus records); ``seen_sources``: sources of training names."""
    labels = np.array([r["label"] for r in rows], dtype=bool)
    depth = np.array([r["path_depth"] for r in rows])
    segments = np.array([r["segments"] for r in rows])
    unseen = None if seen_sources is None else sorted({s for r in rows for s in r["sources"]} - seen_sources)
    decoys = membership([r["groups"] for r in rows]).get(DECOY_GROUP, np.zeros(len(rows), dtype=bool))
    return Cuts(
        fpr=[Group(cut, value, g & ~labels) for cut, value, g in _fpr_groups(rows, depth, unseen)],
        recall=[Group(cut, value, g & labels) for cut, value, g in _recall_groups(rows)],
        decoys=Group("groups", DECOY_GROUP, decoys & ~labels),
        ratios={
            "joined_3_vs_1": (Group("joined", "3", ~labels & (segments == 3)), Group("joined", "1", ~labels & (segments == 1))),
            "path_vs_no_path": (
                Group("path", "with path", ~labels & (depth > 0)),
                Group("path", "no path", ~labels & (depth == 0)),
            ),
        },
        unseen_sources=unseen,
    )


def _fpr_groups(rows: list[dict], depth: np.ndarray, unseen: list[str] | None):
    yield ALL, ALL, np.ones(len(rows), dtype=bool)
    for cut, column in (("lang", "lang"), ("script", "script"), ("origin", "origins"), ("source", "sources")):
        for value, g in membership([r[column] for r in rows]).items():
            yield cut, value, g
    if unseen is not None:
        yield "unseen_source", "any unseen source", np.array([bool(set(r["sources"]) & set(unseen)) for r in rows])
    band = np.searchsorted(LENGTH_EDGES, [len(r["text"]) for r in rows], side="left")
    for i, label in enumerate(LENGTH_BANDS):
        yield "length", label, band == i
    for value, g in membership([r["segments"] for r in rows]).items():
        yield "joined", value, g
    yield "path", "no path", depth == 0
    yield "path", "with path", depth > 0
    for value, g in membership(depth.tolist()).items():
        yield "path_depth", value, g


def _recall_groups(rows: list[dict]):
    kinds = np.array([r["marker_kind"] for r in rows])
    for kind in MARKER_KINDS:
        yield "marker_kind", kind, kinds == kind
    for family, g in membership([r["obfuscation"] for r in rows]).items():
        for kind in MARKER_KINDS:
            if (g & (kinds == kind)).any():
                yield "obfuscation x marker_kind", f"{family} & {kind}", g & (kinds == kind)


# --------------------------------------------------------------------------- the section


def section(models: list[ScoredModel], cuts: Cuts, *, suite: dict) -> dict:
    """The open-world section for ``models`` (icop first, then the baselines)."""
    negatives = next(g for g in cuts.fpr if g.cut == ALL).rows
    return {
        "default_point": DEFAULT_POINT,
        "negatives": int(negatives.sum()),
        "positives_with_markers": int(sum(g.rows.sum() for g in cuts.recall if g.cut == "marker_kind")),
        "unseen_sources": cuts.unseen_sources,
        "length_bands": list(LENGTH_BANDS),
        "min_negatives_per_origin": suite["min_negatives_per_origin"],
        "definitions": DEFINITIONS,
        "models": [_model(model, cuts, suite) for model in models],
    }


def _model(model: ScoredModel, cuts: Cuts, suite: dict) -> dict:
    if DEFAULT_POINT not in model.operating_points:
        raise ModelError(f"no operating point {DEFAULT_POINT!r}", path=model.path, fix="retrain it with icop train")
    names = [DEFAULT_POINT, *sorted(p for p in model.operating_points if p != DEFAULT_POINT)]
    points = [_point(model, name, cuts) for name in names]
    return {
        "model": model.name,
        "kind": model.kind,
        "path": model.path,
        "points": points,
        "targets": targets(points[0], suite=suite),
    }


def _point(model: ScoredModel, name: str, cuts: Cuts) -> dict:
    op = model.operating_points[name]
    flagged = model.logits >= op.threshold
    return {
        "name": name,
        "threshold_logit": op.threshold,
        "threshold_probability": op.probability,
        "fpr": [{"cut": g.cut, "group": g.value, **count_rate(rows=g.rows, flagged=flagged)} for g in cuts.fpr],
        "recall": [{"cut": g.cut, "group": g.value, **count_rate(rows=g.rows, flagged=flagged)} for g in cuts.recall],
        "decoy_flag_rate": {
            "cut": cuts.decoys.cut,
            "group": cuts.decoys.value,
            **count_rate(rows=cuts.decoys.rows, flagged=flagged),
        },
        "ratios": [_ratio(name, *pair, flagged=flagged) for name, pair in cuts.ratios.items()],
    }


def _ratio(name: str, numerator: Group, denominator: Group, *, flagged: np.ndarray) -> dict:
    top, bottom = count_rate(rows=numerator.rows, flagged=flagged), count_rate(rows=denominator.rows, flagged=flagged)
    ratio = m.rate_ratio(top["k"], top["n"], bottom["k"], bottom["n"])
    return {
        "name": name,
        "numerator": {"cut": numerator.cut, "group": numerator.value, **top},
        "denominator": {"cut": denominator.cut, "group": denominator.value, **bottom},
        "ratio": ratio.ratio,
        "ci": None if ratio.low is None else [ratio.low, ratio.high],
    }


# --------------------------------------------------------------------------- targets


def targets(point: dict, *, suite: dict) -> list[dict]:
    """Issue #16 point 6 judged on one operating point's figures (``_point``) against the suite's bounds."""
    fpr = defaultdict(list)
    for cell in point["fpr"]:
        fpr[cell["cut"]].append(cell)
    recall = {c["group"]: c for c in point["recall"] if c["cut"] == "marker_kind"}
    ratios = {r["name"]: r for r in point["ratios"]}
    origins = [c for c in fpr["origin"] if c["group"] != NO_VALUE]
    enough = [c for c in origins if c["n"] >= suite["min_negatives_per_origin"]]
    return [
        _rate_target("overall_fpr_max", "FPR over all negatives", fpr[ALL], suite),
        _rate_target("language_fpr_max", "FPR of every language (the worst shown)", fpr["lang"], suite),
        {
            **_rate_target(
                "origin_fpr_max", "FPR of every person-name origin with enough negatives (the worst shown)", enough, suite
            ),
            "insufficient": sorted(c["group"] for c in origins if c["n"] < suite["min_negatives_per_origin"]),
        },
        _ratio_target("joined_3_vs_1_fpr_ratio_max", "FPR of 3 joined names over 1 name", ratios["joined_3_vs_1"], suite),
        _ratio_target("path_vs_no_path_fpr_ratio_max", "FPR with a folder path over without", ratios["path_vs_no_path"], suite),
        _rate_target("listed_recall_min", "recall on listed markers", [recall["listed"]], suite, at_most=False),
        _rate_target("unlisted_recall_min", "recall on unlisted markers", [recall["unlisted"]], suite, at_most=False),
        _rate_target("decoy_flag_rate_max", "decoys flagged", [point["decoy_flag_rate"]], suite),
    ]


def _within(value: float, bound: float, at_most: bool) -> bool:
    return value <= bound if at_most else value >= bound


def _rate_target(key: str, description: str, cells: list[dict], suite: dict, *, at_most: bool = True) -> dict:
    """Every cell's rate within the bound; the worst cell is the one shown."""
    cells = [c for c in cells if c["n"]]
    if not cells:
        return _target_row(key, description, suite[key], at_most=at_most)
    rates = [c["rate"] for c in cells]
    worst = cells[int(np.argmax(rates) if at_most else np.argmin(rates))]
    row = _target_row(
        key,
        description,
        suite[key],
        at_most=at_most,
        value=worst["rate"],
        ci=worst["ci"],
        met=_within(worst["rate"], suite[key], at_most),
        sure=all(_within(c["ci"][1 if at_most else 0], suite[key], at_most) for c in cells),
    )
    return {**row, "group": worst["group"], "n": worst["n"], "k": worst["k"]}


def _ratio_target(key: str, description: str, ratio: dict, suite: dict) -> dict:
    """rate(numerator) <= bound x rate(denominator), compared without dividing so that two zero rates meet it."""
    top, bottom = ratio["numerator"], ratio["denominator"]
    if not top["n"] or not bottom["n"]:
        return _target_row(key, description, suite[key], at_most=True)
    high = ratio["ci"][1] if ratio["ci"] else None
    return _target_row(
        key,
        description,
        suite[key],
        at_most=True,
        value=ratio["ratio"],
        ci=ratio["ci"],
        met=top["k"] * bottom["n"] <= suite[key] * bottom["k"] * top["n"],
        sure=high is not None and high <= suite[key],
    )


def _target_row(key, description, bound, *, at_most, value=None, ci=None, met=None, sure=False) -> dict:
    return {
        "target": key,
        "description": description,
        "comparison": "<=" if at_most else ">=",
        "bound": bound,
        "value": value,
        "ci": ci,
        "value_over_bound": value / bound if value is not None and bound else None,
        "met": met,
        "interval_within_target": bool(sure) if met is not None else None,
        "status": "insufficient evidence" if met is None else ("met" if met else "not met"),
        "group": None,
        "n": None,
        "k": None,
    }
