"""The open-world section counted by hand on a table of thirteen names (see the comments)."""

import math

import numpy as np
import pytest

from icop.errors import ConfigError
from icop.evaluation import open_world as ow
from icop.evaluation.report import EVAL_DIR, load_suite
from icop.model.base import ModelError
from icop.model.calibration import DEFAULT_POINT, OperatingPoint

Z = 1.959963984540054


def wilson_by_hand(k, n):
    centre, half = (k + Z * Z / 2) / (n + Z * Z), Z / (n + Z * Z) * math.sqrt(k * (n - k) / n + Z * Z / 4)
    return [centre - half, centre + half]


def name(*, label, flagged, length=10, lang="en", sources=(), origins=(), segments=1, depth=0, kind="none", obf=(), groups=()):
    record = {
        "text": "x" * length,
        "label": label,
        "lang": lang,
        "script": "latin",
        "marker_kind": kind,
        "obfuscation": list(obf),
        "groups": list(groups),
        "sources": list(sources),
        "origins": list(origins),
        "segments": segments,
        "path_depth": depth,
    }
    return record, flagged


TABLE = [
    # negatives: 4 of 8 flagged
    name(label=0, flagged=True, length=10, sources=["wordfreq-en"]),  # 1
    name(label=0, flagged=False, length=30, sources=["wordfreq-en"]),  # 2
    name(label=0, flagged=False, length=30, sources=["faker-person-ja_JP"], origins=["JP"]),  # 3
    name(label=0, flagged=True, length=50, lang="ja", sources=["wordfreq-ja", "faker-person-ja_JP"], origins=["JP"], segments=3),
    name(label=0, flagged=True, length=100, lang="ja", sources=["software-files"], segments=3, depth=2),  # 5
    name(label=0, flagged=False, length=200, lang="ja", sources=["software-files"], depth=1),  # 6
    name(label=0, flagged=False, length=20, lang="th", groups=["lexical_overlap"]),  # 7: no source
    name(label=0, flagged=True, length=21, lang="th", sources=["pythainlp-words"], groups=["lexical_overlap"]),  # 8
    # positives
    name(label=1, flagged=True, kind="listed", obf=["leet"]),
    name(label=1, flagged=False, kind="listed"),
    name(label=1, flagged=True, kind="unlisted", obf=["leet"]),
    name(label=1, flagged=True, kind="mixed"),
    name(label=1, flagged=False),  # a camera default: no marker
]
ROWS = [r for r, _ in TABLE]
SEEN = frozenset({"wordfreq-en", "wordfreq-ja", "faker-person-ja_JP", "pythainlp-words"})
SUITE = {
    "min_negatives_per_origin": 2,
    "overall_fpr_max": 0.5,
    "language_fpr_max": 0.6,
    "origin_fpr_max": 0.6,
    "joined_3_vs_1_fpr_ratio_max": 2.0,
    "path_vs_no_path_fpr_ratio_max": 1.5,
    "listed_recall_min": 0.95,
    "unlisted_recall_min": 0.8,
    "decoy_flag_rate_max": 0.05,
}


def _model(points=(DEFAULT_POINT, "strict")):
    # logits: flagged names 10, the others 0; the default point flags at 5, "strict" at 20 (nothing)
    logits = np.array([10 if flagged else 0 for _, flagged in TABLE])
    ops = {p: OperatingPoint(p, 5 if p == DEFAULT_POINT else 20, 0.5, "by hand", 0.0, 0.0, 0.0) for p in points}
    return ow.ScoredModel("hand", "linear", "hand/", logits, ops)


@pytest.fixture(scope="module")
def section():
    return ow.section([_model(), _model()], ow.build_cuts(ROWS, seen_sources=SEEN), suite=SUITE)


def cells(point, key="fpr"):
    return {(c["cut"], c["group"]): (c["k"], c["n"]) for c in point[key]}


def test_false_positives_are_counted_in_every_cut(section):
    fpr = cells(section["models"][0]["points"][0])
    assert section["negatives"] == 8 and section["positives_with_markers"] == 4
    assert fpr[("all", "all")] == (4, 8)
    assert [fpr[("lang", x)] for x in ("en", "ja", "th")] == [(1, 3), (2, 3), (1, 2)]
    assert fpr[("origin", "JP")] == (1, 2) and fpr[("origin", "none")] == (3, 6)  # names 3 and 4; the rest
    assert fpr[("source", "faker-person-ja_JP")] == (1, 2) and fpr[("source", "wordfreq-ja")] == (1, 1)
    assert fpr[("source", "software-files")] == (1, 2) and fpr[("source", "none")] == (0, 1)
    assert section["unseen_sources"] == ["software-files"]
    assert fpr[("unseen_source", "any unseen source")] == (1, 2)
    # lengths 10, 20 | 21, 30, 30 | 50 | 100 | 200: a band includes its upper edge
    assert [fpr[("length", b)] for b in ow.LENGTH_BANDS] == [(1, 2), (1, 3), (1, 1), (1, 1), (0, 1)]
    assert fpr[("joined", "1")] == (2, 6) and fpr[("joined", "3")] == (2, 2)
    assert fpr[("path", "no path")] == (3, 6) and fpr[("path", "with path")] == (1, 2)
    assert fpr[("path_depth", "1")] == (0, 1) and fpr[("path_depth", "2")] == (1, 1)


def test_rates_carry_wilson_intervals_and_the_rule_of_three_at_zero(section):
    by_key = {(c["cut"], c["group"]): c for c in section["models"][0]["points"][0]["fpr"]}
    overall = by_key[("all", "all")]
    assert overall["rate"] == 0.5 and overall["ci"] == pytest.approx(wilson_by_hand(4, 8))
    assert overall["ci"] == pytest.approx([0.2152, 0.7848], abs=1e-4) and overall["upper_rule_of_three"] is None
    empty = by_key[("length", "161+")]
    assert empty["rate"] == 0.0 and empty["ci"] == pytest.approx([0.0, Z * Z / (1 + Z * Z)])
    assert empty["upper_rule_of_three"] == 3.0


def test_recall_by_marker_kind_and_obfuscation_family(section):
    recall = cells(section["models"][0]["points"][0], "recall")
    assert [recall[("marker_kind", k)] for k in ow.MARKER_KINDS] == [(1, 2), (1, 1), (0, 0), (1, 1)]
    intersections = [g for cut, g in recall if cut == "obfuscation x marker_kind"]
    assert intersections == ["leet & listed", "leet & unlisted", "none & listed", "none & mixed"]
    assert recall[("obfuscation x marker_kind", "none & listed")] == (0, 1)
    novel = next(c for c in section["models"][0]["points"][0]["recall"] if c["group"] == "novel")
    assert novel["rate"] is None and novel["ci"] is None


def test_decoys_and_length_ratios(section):
    point = section["models"][0]["points"][0]
    assert (point["decoy_flag_rate"]["k"], point["decoy_flag_rate"]["n"]) == (1, 2)  # names 7 and 8
    joined, path = point["ratios"]
    assert joined["name"] == "joined_3_vs_1" and joined["ratio"] == pytest.approx(3.0)  # (2/2) / (2/6)
    assert joined["ci"][0] < 3.0 < joined["ci"][1]
    assert path["name"] == "path_vs_no_path" and path["ratio"] == pytest.approx(1.0)  # (1/2) / (3/6)


def test_points_default_first_then_by_name_every_model_beside_the_first(section):
    assert [m["model"] for m in section["models"]] == ["hand", "hand"]
    points = section["models"][1]["points"]
    assert [p["name"] for p in points] == [DEFAULT_POINT, "strict"]
    assert cells(points[1])[("all", "all")] == (0, 8)  # nothing reaches the strict threshold


def test_targets_met_and_missed_by_hand(section):
    rows = {t["target"]: t for t in section["models"][0]["targets"]}
    assert list(rows) == [k for k in ow.SUITE_KEYS if k != "min_negatives_per_origin"]
    assert rows["overall_fpr_max"]["status"] == "met" and rows["overall_fpr_max"]["interval_within_target"] is False
    language = rows["language_fpr_max"]  # ja: 2 of 3 > 0.6
    assert (language["status"], language["group"], language["k"], language["n"]) == ("not met", "ja", 2, 3)
    assert language["value_over_bound"] == pytest.approx((2 / 3) / 0.6)
    assert rows["origin_fpr_max"]["status"] == "met" and rows["origin_fpr_max"]["group"] == "JP"
    assert rows["origin_fpr_max"]["insufficient"] == []
    joined = rows["joined_3_vs_1_fpr_ratio_max"]
    assert joined["status"] == "not met" and joined["value_over_bound"] == pytest.approx(1.5)
    assert rows["path_vs_no_path_fpr_ratio_max"]["status"] == "met"
    assert rows["listed_recall_min"]["status"] == "not met" and rows["listed_recall_min"]["value"] == 0.5
    unlisted = rows["unlisted_recall_min"]  # 1 of 1: met, but the interval reaches down to 0.21
    assert unlisted["status"] == "met" and unlisted["interval_within_target"] is False
    assert rows["decoy_flag_rate_max"]["status"] == "not met"


def test_small_origins_are_insufficient_not_judged():
    section = ow.section([_model()], ow.build_cuts(ROWS, seen_sources=SEEN), suite={**SUITE, "min_negatives_per_origin": 3})
    origin = next(t for t in section["models"][0]["targets"] if t["target"] == "origin_fpr_max")
    assert origin["status"] == "insufficient evidence" and origin["met"] is None and origin["insufficient"] == ["JP"]


def test_two_zero_rates_meet_a_ratio_target_without_a_ratio():
    quiet = ow.ScoredModel("quiet", "linear", "q/", np.zeros(len(ROWS), dtype=np.int64), _model().operating_points)
    section = ow.section([quiet], ow.build_cuts(ROWS, seen_sources=SEEN), suite=SUITE)
    joined = next(t for t in section["models"][0]["targets"] if t["target"] == "joined_3_vs_1_fpr_ratio_max")
    assert (joined["status"], joined["value"], joined["ci"], joined["interval_within_target"]) == ("met", None, None, False)


def test_without_a_training_split_unseen_sources_are_unknown():
    cuts = ow.build_cuts(ROWS, seen_sources=None)
    assert cuts.unseen_sources is None and not [g for g in cuts.fpr if g.cut == "unseen_source"]


def test_a_model_without_the_default_point_is_refused():
    with pytest.raises(ModelError, match=f"no operating point '{DEFAULT_POINT}'"):
        ow.section([_model(points=("strict",))], ow.build_cuts(ROWS, seen_sources=SEEN), suite=SUITE)


def test_the_shipped_suite_holds_the_issue_targets_and_rejects_typos(tmp_path):
    suite = load_suite(EVAL_DIR / "open_world.toml", ow.SUITE_KEYS)
    assert suite["overall_fpr_max"] == 1e-3 and suite["origin_fpr_max"] == 5e-3 and suite["min_negatives_per_origin"] == 300
    path = tmp_path / "open_world.toml"
    path.write_text((EVAL_DIR / "open_world.toml").read_text().replace("decoy_flag_rate_max", "decoy_rate_max"))
    with pytest.raises(ConfigError, match="unknown key 'decoy_rate_max'; did you mean 'decoy_flag_rate_max'"):
        load_suite(path, ow.SUITE_KEYS)
