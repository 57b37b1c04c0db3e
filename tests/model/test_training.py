import json

import numpy as np
import pytest

from icop.io import tables
from icop.model import ModelError, bundle, training
from icop.text.normalize import normalize


@pytest.fixture(scope="module")
def loaded(trained_bundle):
    return bundle.load(trained_bundle)


def test_bundle_loads_with_every_part(loaded, shipped_lists):
    model, manifest = loaded.model, loaded.manifest
    assert model.kind == "linear" and model.weights.dtype == np.int32
    assert manifest["keywords"]["sha256"] == shipped_lists.sha256
    assert manifest["training_data"]["splits"]["test"]["rows"] > 0
    assert set(model.operating_points) == {"fpr_0.001", "recall_0.95", "best_f1"}
    assert manifest["metrics"]["validation_roc_auc"] > 0.75  # 6,000 names of real benign text: a weak model
    assert model.weights[model.space.reserved_slots("ngram")].tolist() == [0] * model.space.reserved_slots("ngram").size


def test_operating_points_hold_on_the_validation_split(loaded, small_corpus):
    model = loaded.model
    corpus = training.load_corpus(small_corpus)
    logits = model.score(corpus.texts["validation"]).logits
    labels = corpus.labels["validation"].astype(bool)
    fpr_point = model.operating_points["fpr_0.001"]
    assert ((logits >= fpr_point.threshold) & ~labels).sum() <= 0.001 * (~labels).sum()
    recall_point = model.operating_points["recall_0.95"]
    assert ((logits >= recall_point.threshold) & labels).sum() >= 0.95 * labels.sum()


def test_training_is_deterministic(tmp_path, small_corpus, shipped_lists, trained_bundle):
    again = training.train(
        training.load_corpus(small_corpus), shipped_lists, tmp_path / "again", config=training.TrainConfig(subword_vocab=2000)
    ).path
    for name in ("weights.npy", "subwords.model", "model.json", "MODEL_CARD.md", "manifest.json"):
        assert (again / name).read_bytes() == (trained_bundle / name).read_bytes(), name


def test_scores_are_exact_integer_sums(loaded):
    model = loaded.model
    names = ["Family.Holiday.2019.mkv", "IMG_0001.JPG"]
    matrix = model.featuriser().transform([normalize(n) for n in names])
    scores = model.score(names)
    logits, probabilities = scores.logits, scores.probabilities
    expected = [
        int(sum(int(model.weights[j]) * int(v) for j, v in zip(row.indices, row.data))) + model.intercept for row in matrix
    ]
    assert logits.tolist() == expected
    assert np.all((probabilities > 0) & (probabilities < 1))


def test_thresholds_by_name_or_probability(loaded):
    model = loaded.model
    threshold, source = model.threshold("best_f1")
    assert threshold == model.operating_points["best_f1"].threshold and "frozen on validation" in source
    t = model.threshold(0.5)[0]
    assert model.probabilities(np.array([t]))[0] >= 0.5 > model.probabilities(np.array([t - 1]))[0]
    with pytest.raises(ModelError, match="unknown operating point 'nope'; this model has: "):
        model.threshold("nope")


@pytest.mark.parametrize("baseline", ["keywords", "tfidf"])
def test_baselines_round_trip_without_pickle(tmp_path, small_corpus, shipped_lists, baseline):
    result = training.train(training.load_corpus(small_corpus), shipped_lists, tmp_path / baseline, baseline=baseline)
    loaded = bundle.load(result.path)
    model, manifest, metrics = loaded.model, loaded.manifest, result.metrics
    assert manifest["kind"] == baseline and manifest["baseline"] == baseline
    assert not any(name.endswith((".pkl", ".joblib", ".pickle")) for name in manifest["files"])
    names = ["Family.Holiday.2019.mkv", "IMG_0001.JPG", "x"]
    assert np.isfinite(model.score(names).probabilities).all()
    assert model.threshold("best_f1")[0] == model.operating_points["best_f1"].threshold
    assert metrics["validation_roc_auc"] > 0.5


def _table(tmp_path, rows):
    path = tmp_path / "t.jsonl"
    tables.write_jsonl(rows, path)
    return path


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"text": "a", "label": 0}], "missing column(s) ['split']"),
        (
            [{"text": "a", "label": 0, "split": "train"}, {"text": "b", "label": 0, "split": "validation"}],
            "the train split has one class only",
        ),
        (
            [{"text": "a", "label": 0, "split": "train"}, {"text": "b", "label": 1, "split": "train"}],
            "the validation split is empty",
        ),
        ([{"text": "a", "label": 2, "split": "train"}], "labels must be 0 or 1"),
        ([{"text": "a", "label": 0, "split": "dev"}], "split 'dev' is not one of"),
        ([{"text": "a", "label": 0, "split": "train", "lang": "xx"}], "unknown language(s) ['xx']"),
    ],
)
def test_bad_training_tables_fail_early(tmp_path, rows, message):
    with pytest.raises(training.TrainingError) as err:
        training.load_corpus(_table(tmp_path, rows))
    assert message in str(err.value) and "t.jsonl" in str(err.value)


def test_model_card_has_every_section(trained_bundle):
    card = (trained_bundle / "MODEL_CARD.md").read_text()
    for section in (
        "Model details",
        "Intended use",
        "Out-of-scope",
        "Factors",
        "Metrics and decision thresholds",
        "Training and evaluation data",
        "Ethical considerations",
        "Caveats",
    ):
        assert f"## {section}" in card
    manifest = json.loads((trained_bundle / "manifest.json").read_text())
    assert manifest["packages"]["scikit-learn"] != "absent"
