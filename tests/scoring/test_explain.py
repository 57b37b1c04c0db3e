import json

import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.model import DEFAULT_POINT, bundle
from icop.scoring import explain
from icop.scoring.scorer import BatchScorer
from icop.synth import generate, load_config
from tests.conftest import DEFAULT_MODEL

MODEL = DEFAULT_MODEL


@pytest.fixture(scope="module")
def model():
    return bundle.load(MODEL).model


def test_contributions_sum_exactly_to_the_logit(model):
    scorer = BatchScorer(model)
    names = [r.text for r in generate(load_config(), 300, 8)] + ["", "ျမန္မာ ဗီဒီယို", "W3dd1ng.V1de0.mp4", "m.o.v.i.e", "😀"]
    for name in names:
        card = explain.explain(model, name, scorer=scorer)
        assert card["exact_sum"]["holds"], name
        assert card["bias"] + sum(c["contribution"] for c in card["contributions"]) == card["logit"]


def test_spans_point_into_the_raw_name_and_keywords_are_ids(model, lexicon):
    marker = next(t for t in lexicon if t.id == "vi-0002")
    raw = f"ＭＯＶＩＥ_Đám cưới_{marker.term}.mp4"
    card = explain.explain(model, raw)
    assert card["keyword_entries"] == ["vi-0002"]
    [category] = [c for c in card["contributions"] if c["family"] == "category"]
    assert category["feature"] == marker.category  # the list's evidence, cited by category and entry id
    ((start, end),) = category["spans"]
    assert raw[start:end] == marker.term
    grams = {c["feature"]: c for c in card["contributions"] if c["family"] == "ngram"}
    if "movie" in grams:
        assert raw[slice(*grams["movie"]["spans"][0])] == "ＭＯＶＩＥ"
    text = explain.render_text(card)
    assert "vi-0002" in text and "== logit" in text
    assert card["threshold"]["source"].startswith(f"operating point '{DEFAULT_POINT}'")
    assert card["normalisation"][-3]["text"] == card["normalisation"][-3]["text"].lower()


def test_cli_json_and_text(lexicon):
    result = CliRunner().invoke(cli, ["explain", "--model", str(MODEL), "--format", "json", "IMG_0001.JPG"])
    card = json.loads(result.stdout)
    assert card["exact_sum"]["holds"] and card["manifest_sha256"] == bundle.load(MODEL).digest
    text = CliRunner().invoke(cli, ["explain", "--model", str(MODEL), "W3dd1ng.V1de0.mp4"]).stdout
    assert "skel: wedding video" in text


def test_triage_explains_the_top_names_and_redacts_when_asked(tmp_path, lexicon):
    marker = next(t for t in lexicon if t.id == "en-0004")
    names = tmp_path / "n.txt"
    names.write_text(f"IMG_1.JPG\nholiday {marker.term}\nbirthday party.mp4\n")
    key = tmp_path / "k"
    key.write_bytes(b"another-redaction-key-32-bytes!!")
    out = tmp_path / "o.csv"
    result = CliRunner().invoke(
        cli,
        [
            "triage",
            str(names),
            "--model",
            str(MODEL),
            "-o",
            str(out),
            "--explain",
            "2",
            "--redact",
            "--redact-key-file",
            str(key),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    cards = [json.loads(line) for line in (tmp_path / "o.csv.explanations.jsonl").read_text().splitlines()]
    assert [c["rank"] for c in cards] == [1, 2]
    assert cards[0]["line"] == 2 and "en-0004" in cards[0]["keyword_entries"]
    assert cards[0]["name"].startswith("hmac:") and marker.term not in json.dumps(cards)
