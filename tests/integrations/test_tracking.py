import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.io import tables
from icop.model import bundle


@pytest.fixture(scope="module")
def tracked(tmp_path_factory, small_corpus):
    workdir = tmp_path_factory.mktemp("tracking")
    uri = f"sqlite:///{workdir / 'mlflow.db'}"
    import os

    cwd = os.getcwd()
    os.chdir(workdir)  # MLflow writes artifacts under the working directory
    try:
        result = CliRunner().invoke(
            cli, ["train", "--data", str(small_corpus), "--out", str(workdir / "model"), "--tracking-uri", uri]
        )
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return workdir, uri


def test_registered_pyfunc_scores_like_the_library(tracked):
    from icop.integrations import tracking

    workdir, uri = tracked
    names = ["Family.Holiday.2019.mkv", "IMG_0001.JPG", "ภาพยนตร์ วันเกิด"]
    pyfunc = tracking.load_registered(uri)
    output = pyfunc.predict(pd.DataFrame({"filename": names}))
    model = bundle.load(workdir / "model").model
    scores = model.score(names)
    assert list(output.columns) == ["probability", "logit", "decision", "keyword_ids"]
    assert output["logit"].tolist() == scores.logits.tolist()
    assert np.allclose(output["probability"].to_numpy(), scores.probabilities, rtol=0, atol=1e-12)
    threshold = model.operating_points["best_f1"].threshold
    assert output["decision"].tolist() == (scores.logits >= threshold).astype(int).tolist()


def test_run_has_params_metrics_and_the_bundle(tracked):
    import mlflow

    workdir, uri = tracked
    mlflow.set_tracking_uri(uri)
    [run] = mlflow.search_runs(experiment_names=["icop"], output_format="list")
    assert run.data.params["kind"] == "linear"
    assert run.data.metrics["validation_roc_auc"] > 0.8
    manifest = json.loads((workdir / "model" / "manifest.json").read_text())
    assert run.data.params["training_data_sha256"] == manifest["training_data"]["sha256"]
    assert run.data.tags["icop.bundle_manifest_sha256"] == bundle.load(workdir / "model").digest


def test_no_training_filename_reaches_the_tracking_store(tracked, small_corpus):
    workdir, _ = tracked
    texts = [t for t in tables.read_table(small_corpus, ["text"]).column("text").to_pylist() if len(t) > 12][:200]
    stored = b"".join(
        p.read_bytes() for p in workdir.rglob("*") if p.is_file() and "model" not in p.relative_to(workdir).parts[:1]
    )
    assert not [t for t in texts if t.encode() in stored]


def test_a_registered_tfidf_baseline_predicts_too(tracked, small_corpus):
    """The pyfunc serves every model kind through the one model interface."""
    import os

    from icop.integrations import tracking

    workdir, uri = tracked
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        args = [
            "train",
            "--data",
            str(small_corpus),
            "--out",
            str(workdir / "tfidf"),
            "--baseline",
            "tfidf",
            "--tracking-uri",
            uri,
        ]
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    names = ["Family.Holiday.2019.mkv", "IMG_0001.JPG"]
    output = tracking.load_registered(uri).predict(pd.DataFrame({"filename": names}))
    model = bundle.load(workdir / "tfidf").model
    threshold = model.operating_points["best_f1"].threshold
    assert output["logit"].tolist() == model.score(names).logits.tolist()
    assert output["decision"].tolist() == (output["logit"] >= threshold).astype(int).tolist()
    assert output["keyword_ids"].tolist() == ["", ""]
