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
from tests.evaluation.conftest import SMALL_SUITES


def test_report_is_schema_valid_and_byte_identical_on_rerun(report_dir):
    report = json.loads((report_dir / "a" / "report.json").read_text())
    jsonschema.validate(report, json.loads((ROOT / "eval" / "report.schema.json").read_text()))
    for name in ("report.json", "report.html"):
        assert (report_dir / "a" / name).read_bytes() == (report_dir / "b" / name).read_bytes(), name


def test_html_is_self_contained(report_dir):
    html = (report_dir / "a" / "report.html").read_text()
    assert html.count("<svg") == 7  # DET, reliability, robustness, open world, contributions, two bias forests
    assert not re.search(r"(src|href)\s*=\s*[\"']?https?:|url\(\s*['\"]?https?:|@import", html)
    assert "<script" not in html and "<link" not in html


def test_sections_hold_the_promised_figures(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    assert {op["name"] for op in r["operating_points"]} == {"fpr_0.001", "recall_0.95", "best_f1"}
    assert (
        0.5 < r["triage"]["roc_auc"] <= 1
        and r["triage"]["roc_auc_ci"][0] <= r["triage"]["roc_auc"] <= r["triage"]["roc_auc_ci"][1]
    )
    groups = r["bias"]["points"][0]["groups"]
    groupings = {g["grouping"] for g in groups}
    assert {"lang", "script", "category", "marker_kind", "informative", "period", "groups", "obfuscation"} <= groupings
    assert any(g["status"] == "insufficient evidence" for g in groups)
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
    recall = icop["recall_by_marker_kind"]
    assert recall["listed"] > recall["unlisted"]  # markers are found by the lists, not by their style


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
            g
            for g in report["bias"]["points"][1]["groups"]  # recall_0.95
            if g["grouping"] == "groups" and g["group"] == "gender" and g["fpr_flag"]
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


def test_bias_at_both_points_and_a_disparity_never_says_ok(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    assert [p["operating_point"] for p in r["bias"]["points"]] == ["fpr_0.001", "recall_0.95"]
    for point in r["bias"]["points"]:
        op = next(o for o in r["operating_points"] if o["name"] == point["operating_point"])
        assert (point["overall"]["fpr"], point["overall"]["tpr"]) == (op["fpr"], op["tpr"])  # the same counts, other code
        for g in point["groups"]:
            assert (g["status"] == "disparity") == (g["fpr_flag"] or g["fnr_flag"]), g
        assert len(point["flagged"]) == sum(g["fpr_flag"] + g["fnr_flag"] for g in point["groups"])
    strict, loose = (p["overall"]["fpr"] for p in r["bias"]["points"])
    assert strict < loose
    html = (report_dir / "a" / "report.html").read_text()
    section = html[html.index('<h2 id="bias">') : html.index('<h2 id="robustness">')]
    assert section.count("<svg") == 2
    flagged_rows = re.findall(r'<tr class="flag">.*?</tr>', section)
    assert flagged_rows and not [row for row in flagged_rows if ">ok<" in row]
    assert sum(len(p["flagged"]) > 0 for p in r["bias"]["points"]) == sum(c["topic"] == "bias" for c in r["summary"]["concerns"])


@pytest.mark.parametrize(
    ("fpr_flag", "fnr_flag", "sufficient", "status"),
    [
        (True, False, True, "disparity"),
        (False, True, False, "disparity"),  # a negatives-only group flagged on FPR is a disparity, not "insufficient"
        (False, False, True, "ok"),
        (False, False, False, "insufficient evidence"),
    ],
)
def test_group_status(fpr_flag, fnr_flag, sufficient, status):
    from icop.evaluation.report import group_status

    assert group_status({"fpr_flag": fpr_flag, "fnr_flag": fnr_flag, "sufficient": sufficient}) == status


def test_schema_refuses_a_disparity_that_says_ok(report_dir):
    report = json.loads((report_dir / "a" / "report.json").read_text())
    row = report["bias"]["points"][0]["groups"][0]
    row.update(fpr_flag=True, status="ok")
    with pytest.raises(jsonschema.ValidationError, match="disparity"):
        jsonschema.validate(report, json.loads((ROOT / "eval" / "report.schema.json").read_text()))


def test_summary_figures_are_the_sections_figures_with_their_world(report_dir):
    from icop.evaluation.headlines import open_world_fpr

    r = json.loads((report_dir / "a" / "report.json").read_text())
    figures = {f["name"]: f for f in r["summary"]["key_figures"]}
    default = next(op for op in r["operating_points"] if op["name"] == DEFAULT_POINT)
    assert figures["ROC-AUC"]["value"] == r["triage"]["roc_auc"] and figures["ROC-AUC"]["ci"] == r["triage"]["roc_auc_ci"]
    assert (figures["recall"]["value"], figures["recall"]["ci"]) == (default["tpr"], default["tpr_ci"])
    real = figures["false positive rate on real benign names"]
    assert real["value"] == open_world_fpr(r)["rate"] and real["world"].startswith("open world")
    assert figures["false positive rate"]["world"] == "synthetic test split"
    worst = figures["lowest subgroup recall"]
    rows = [g for g in r["bias"]["points"][0]["groups"] if g["n_pos"] >= r["bias"]["min_n"]]
    assert worst["value"] == min(g["tpr"] for g in rows)
    missed = [t for t in r["open_world"]["models"][0]["targets"] if t["status"] == "not met"]
    assert len(missed) == sum(c["topic"] == "open-world" for c in r["summary"]["concerns"])
    html = (report_dir / "a" / "report.html").read_text()
    assert html.index('id="summary"') < html.index("<nav>") < html.index('<h2 id="manifest">')


def test_robustness_explains_every_family_where_normalisation_raises_evasion(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    families = [f for f in r["robustness"]["families"] if f["applicable"]]
    raised = {
        f["family"] for f in families if f["with_normalisation"]["evasion_rate"] > f["without_normalisation"]["evasion_rate"]
    }
    notes = {n["family"]: n for n in r["robustness"]["normalisation_raises_evasion"]}
    assert set(notes) == raised
    for f in families:
        c = f["comparison"]
        if f["family"] in notes:
            # no positive flagged by both layers (None): nothing evades on the common ground
            like_for_like = (c["evasion_both_with_normalisation"] or 0) <= (c["evasion_both_without_normalisation"] or 0)
            assert notes[f["family"]]["cause"] == ("selection" if like_for_like else "pipeline")
            assert f"{c['flagged_by_both']} positives both flag" in notes[f["family"]]["text"]
    case = next(f for f in families if f["family"] == "case")  # case is folded away: nothing changes, nothing evades
    assert case["comparison"]["evasion_both_with_normalisation"] == 0.0
    assert set(case["comparison"]["mean_delta_by_family"]["with_normalisation"].values()) == {0.0}


def test_transparency_and_privacy_tables(report_dir):
    r = json.loads((report_dir / "a" / "report.json").read_text())
    assert "distinct lengths" in r["privacy"]["hashed_lists"] and "any character of any term" in r["privacy"]["hashed_lists"]
    outcomes = r["transparency"]["contribution_by_outcome"]
    assert sum(o["n"] for o in outcomes) == r["data_sheet"]["rows"]
    flagged_pos, false_pos, missed, benign = outcomes
    assert flagged_pos["mean_by_family"]["keyword"] + flagged_pos["mean_by_family"]["category"] > (
        benign["mean_by_family"]["keyword"] + benign["mean_by_family"]["category"]
    )
    columns = {c["column"]: c for c in r["privacy"]["output_columns"]}
    assert columns["name"]["without_redact"] == "the name as written"
    assert columns["name"]["with_redact"].startswith("a keyed fingerprint of 32 hex digits")
    assert "another key gives other fingerprints" in columns["name"]["with_redact"]
    assert columns["keyword_ids"]["with_redact"] == "keyword entry ids (never terms)"
    assert [c for c, v in columns.items() if v["changed_by_redact"]] == ["name"]
