import json
import re

import jsonschema
import pytest

from icop import evaluation, synth
from icop.io import tables
from icop.model import training
from icop.model.calibration import DEFAULT_POINT
from icop.synth.config import load_config
from tests.conftest import ROOT

SMALL_SUITES = """seed = 7
sample_positives = 150
sample_negatives = 150
families = ["homoglyph", "zero_width", "separators", "leet", "repeat", "diacritics", "transliteration", "mixed_script", "zawgyi", "case"]
"""


@pytest.fixture(scope="module")
def suites(tmp_path_factory):
    path = tmp_path_factory.mktemp("suites") / "perturbations.toml"
    path.write_text(SMALL_SUITES)
    return path


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory, small_corpus, trained_bundle, suites, shipped_lists):
    out = tmp_path_factory.mktemp("report")
    keywords_only = training.train(training.load_corpus(small_corpus), shipped_lists, out / "kw", baseline="keywords").path
    evaluation.evaluate(trained_bundle, small_corpus, out / "a", baselines=[keywords_only], perturbations=suites)
    evaluation.evaluate(trained_bundle, small_corpus, out / "b", baselines=[keywords_only], perturbations=suites)
    return out


def test_report_is_schema_valid_and_byte_identical_on_rerun(report_dir):
    report = json.loads((report_dir / "a" / "report.json").read_text())
    jsonschema.validate(report, json.loads((ROOT / "eval" / "report.schema.json").read_text()))
    for name in ("report.json", "report.html"):
        assert (report_dir / "a" / name).read_bytes() == (report_dir / "b" / name).read_bytes(), name


def test_html_is_self_contained(report_dir):
    html = (report_dir / "a" / "report.html").read_text()
    assert html.count("<svg") == 4
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:|url\(\s*['\"]?https?:|@import", html)
    assert "<script" not in html and "<link" not in html


def test_sections_hold_the_promised_figures(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    assert {op["name"] for op in r["operating_points"]} == {"fpr_0.001", "recall_0.95", "best_f1"}
    assert (
        0.5 < r["triage"]["roc_auc"] <= 1
        and r["triage"]["roc_auc_ci"][0] <= r["triage"]["roc_auc"] <= r["triage"]["roc_auc_ci"][1]
    )
    groupings = {g["grouping"] for g in r["bias"]["groups"]}
    assert {"lang", "script", "category", "marker_kind", "informative", "period", "groups", "obfuscation"} <= groupings
    assert any(g["status"] == "insufficient evidence" for g in r["bias"]["groups"])
    families = {f["family"] for f in r["robustness"]["families"]}
    assert families == {
        "homoglyph",
        "zero_width",
        "separators",
        "leet",
        "repeat",
        "diacritics",
        "transliteration",
        "mixed_script",
        "zawgyi",
        "case",
    }
    assert all(c["exact_sum_holds"] for c in r["transparency"]["explanation_cards"])
    [icop, keywords_only] = r["baselines"]
    assert keywords_only["kind"] == "keywords" and "unlisted_recall_difference_vs_icop" in keywords_only
    assert icop["recall_by_marker_kind"]["unlisted"] > keywords_only["recall_by_marker_kind"]["unlisted"]


def test_open_world_section_beside_every_baseline_and_consistent_with_the_rest(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    section = r["open_world"]
    [icop, keywords_only] = section["models"]
    assert (icop["kind"], keywords_only["kind"]) == ("linear", "keywords")
    assert "software-files" in section["unseen_sources"]  # the held-out source never reaches training
    for model, op_fpr in ((icop, next(op["fpr"] for op in r["operating_points"] if op["name"] == DEFAULT_POINT)),
                          (keywords_only, r["baselines"][1]["fpr_at_best_f1"])):  # fmt: skip
        assert [p["name"] for p in model["points"]][0] == DEFAULT_POINT
        assert {p["name"] for p in model["points"]} == {op["name"] for op in r["operating_points"]}
        default = model["points"][0]
        overall = next(c for c in default["fpr"] if c["cut"] == "all")
        assert overall["n"] == section["negatives"] == r["data_sheet"]["rows"] - r["data_sheet"]["positives"]
        assert overall["k"] / overall["n"] == pytest.approx(op_fpr)  # the same count, made by other code
        for cut in ("lang", "script", "length", "joined", "path", "path_depth"):  # partitions of the negatives
            assert sum(c["n"] for c in default["fpr"] if c["cut"] == cut) == overall["n"], cut
            assert sum(c["k"] for c in default["fpr"] if c["cut"] == cut) == overall["k"], cut
        for target in model["targets"]:
            if target["status"] != "insufficient evidence" and target["value"] is not None:
                within = (
                    target["value"] <= target["bound"] if target["comparison"] == "<=" else target["value"] >= target["bound"]
                )
                assert target["met"] == within and target["status"] == ("met" if within else "not met"), target


def test_open_world_html_has_its_contents_entry_targets_and_figure(report_dir):
    html = (report_dir / "a" / "report.html").read_text()
    assert '<a href="#open-world">' in html and '<h2 id="open-world">' in html
    section = html[html.index('<h2 id="open-world">') : html.index('<h2 id="triage">')]
    assert "<th>icop-linear [95% CI]</th><th>icop-keywords [95% CI]</th>" in section
    assert section.count("<svg") == 1 and "FPR over all negatives" in section
    assert "synthetic-to-real gap is unmeasured" not in html


def test_no_raw_names_without_include_examples(report_dir, small_corpus):
    texts = [t for t in tables.read_table(small_corpus, ["text"]).column("text").to_pylist() if len(t) > 10]
    html = (report_dir / "a" / "report.html").read_text()
    assert not [t for t in texts if t in html]


def _corpus(tmp_path, name, n, seed, bias_rate=0.0):
    config = load_config()
    if bias_rate:
        from dataclasses import replace

        config = replace(config, identity_bias_group="gender", identity_bias_rate=bias_rate)
    return synth.write_corpus(config, n, seed, tmp_path / name)["corpus.parquet"]


@pytest.mark.slow
def test_bias_injection_is_flagged_and_balanced_training_is_not(tmp_path, shipped_lists, suites):
    test_data = _corpus(tmp_path, "test", 16_000, 21)
    flagged = {}
    for label, rate in (("biased", 0.9), ("balanced", 0.0)):
        corpus = training.load_corpus(_corpus(tmp_path, label, 12_000, 22, rate))
        model = training.train(
            corpus, shipped_lists, tmp_path / f"model-{label}", config=training.TrainConfig(subword_vocab=2000)
        ).path
        paths = evaluation.evaluate(model, test_data, tmp_path / f"report-{label}", perturbations=suites)
        report = json.loads(paths["json"].read_text())
        flagged[label] = [
            g for g in report["bias"]["groups"] if g["grouping"] == "groups" and g["group"] == "gender" and g["fpr_flag"]
        ]
    assert flagged["biased"], "a spurious identity correlation must show as an FPR disparity"
    assert not flagged["balanced"]


def test_suite_with_a_typo_names_the_key_and_the_nearest_valid_one(tmp_path):
    from icop.errors import ConfigError
    from icop.evaluation.report import PERTURBATION_KEYS, load_suite

    path = tmp_path / "perturbations.toml"
    path.write_text(SMALL_SUITES.replace("sample_negatives", "sample_negative"))
    with pytest.raises(ConfigError, match=r"unknown key 'sample_negative'; did you mean 'sample_negatives'\?"):
        load_suite(path, PERTURBATION_KEYS)
    path.write_text(SMALL_SUITES.replace("seed = 7\n", ""))
    with pytest.raises(ConfigError, match=r"missing key\(s\) \['seed'\]"):
        load_suite(path, PERTURBATION_KEYS)
