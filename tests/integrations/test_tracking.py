import csv
import io
import json
import subprocess
import sys
from importlib import metadata

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from icop.cli import cli
from icop.io import tables
from icop.model import bundle
from icop.triage.output import SCORE_COLUMNS
from tests.conftest import ROOT

NAMES = ["Family.Holiday.2019.mkv", "IMG_0001.JPG", "ภาพยนตร์ วันเกิด"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def tracked(tmp_path_factory, small_corpus):
    """Two trainings logged to a store in its own folder, from an empty working folder: the
    first passes lax gates (champion), the second fails a bound no model reaches."""
    import os

    root = tmp_path_factory.mktemp("tracking")
    store, workdir = root / "store", root / "work"
    workdir.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    lax, strict = root / "lax.toml", root / "strict.toml"
    lax.write_text("min_validation_roc_auc = 0.5\nparity_names = 300\n")
    strict.write_text("min_validation_roc_auc = 0.99999\nparity_names = 300\n")
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        results = [
            invoke("train", "--data", small_corpus, "--out", root / name, "--tracking-uri", uri, "--gates", gates, *quiet)
            for name, gates, quiet in (("model", lax, ()), ("second", strict, ("--quiet",)))
        ]
    finally:
        os.chdir(cwd)
    for result in results:
        assert result.exit_code == 0, result.output
    return root, uri, results


def triage_scores(root, names):
    out = root / "t.csv"
    result = invoke("triage", "-", "--model", root / "model", "-o", out, "--order", "input", "--quiet")
    assert result.exit_code == 0
    return list(csv.DictReader(io.StringIO(out.read_text())))


def test_the_champion_pyfunc_scores_like_triage_with_triage_columns(tracked):
    from icop.integrations import tracking

    root, uri, _ = tracked
    output = tracking.load_registered(uri, "@champion").predict(pd.DataFrame({"filename": NAMES}))
    assert list(output.columns) == list(SCORE_COLUMNS) == ["probability", "logit", "decision", "keyword_ids"]
    out = root / "t.csv"
    result = CliRunner().invoke(
        cli,
        ["triage", "-", "--model", str(root / "model"), "-o", str(out), "--order", "input", "--quiet"],
        input="\n".join(NAMES) + "\n",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert output["logit"].tolist() == [int(r["logit"]) for r in rows]
    assert output["probability"].tolist() == [float(r["probability"]) for r in rows]
    assert output["decision"].tolist() == [int(r["decision"]) for r in rows]
    assert output["keyword_ids"].tolist() == [r["keyword_ids"] for r in rows]


def test_the_champion_alias_moves_only_to_a_version_that_passes_its_gates(tracked):
    import mlflow

    _, uri, results = tracked
    client = mlflow.MlflowClient(uri)
    first, second = (client.get_model_version("icop-triage", v) for v in ("1", "2"))
    assert str(client.get_model_version_by_alias("icop-triage", "champion").version) == "1"
    assert first.tags["icop.gates"] == "passed every gate"
    assert first.tags["icop.gate.ONNX parity"].startswith("pass: integer logits identical")
    assert second.tags["icop.gates"].startswith("failed validation ROC-AUC: ") and second.tags["icop.gates"].endswith(
        " < 0.99999"
    )
    assert "icop.gate.ONNX parity" not in second.tags  # gates stop at the first failure
    assert "registered as icop-triage version 1; champion (passed every gate)" in results[0].stderr


def test_no_mlruns_folder_in_the_working_directory(tracked):
    root, _, _ = tracked
    assert list((root / "work").iterdir()) == []
    artifacts = root / "store" / "mlartifacts"
    assert sorted(p.name for p in artifacts.glob("models/*/artifacts/code/icop/triage/audit.py")) == ["audit.py", "audit.py"]


def test_quiet_silences_mlflow(tracked):
    _, _, results = tracked
    assert "INFO mlflow" in results[0].stderr and "Created version '1'" in results[0].stderr
    assert results[1].stderr == ""


def test_logged_requirements_pin_icops_dependencies_and_the_model_carries_icops_code(tracked):
    root, uri, _ = tracked
    [requirements] = list((root / "store" / "mlartifacts").glob("models/*/artifacts/requirements.txt"))[:1]
    pins = requirements.read_text().split()
    names = [p.split("==")[0] for p in pins]
    assert "icop" not in names and len(pins) == len(set(names)) >= 20
    assert all(p == f"{n}=={metadata.version(n)}" for p, n in zip(pins, names))  # what trained it
    assert {"numpy", "pyarrow", "sentencepiece", "mlflow-skinny", "pandas", "pyicu-wheels"} <= set(names)
    code = (
        "import sys, mlflow, pandas as pd; mlflow.set_tracking_uri(sys.argv[1]);"
        "m = mlflow.pyfunc.load_model('models:/icop-triage@champion');"
        "print(m.predict(pd.DataFrame({'filename': ['IMG_0001.JPG']}))['logit'][0]);"
        "import icop; print(icop.__file__)"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "MLFLOW_DISABLE_TELEMETRY": "true"}  # no PYTHONPATH: not this checkout
    done = subprocess.run([sys.executable, "-c", code, uri], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    logit, location = done.stdout.split()
    assert int(logit) == bundle.load(root / "model").model.score(["IMG_0001.JPG"]).logits[0]
    assert "/mlartifacts/models/" in location and location.endswith("/artifacts/code/icop/__init__.py")
    assert str(ROOT) not in location


def test_no_training_filename_reaches_the_tracking_store(tracked, small_corpus):
    root, _, _ = tracked
    texts = [t for t in tables.read_table(small_corpus, ["text"]).column("text").to_pylist() if len(t) > 12][:200]
    stored = b"".join(p.read_bytes() for p in (root / "store").rglob("*") if p.is_file() and "bundle" not in p.parts)
    assert not [t for t in texts if t.encode() in stored]


@pytest.fixture(scope="module")
def evaluated(tracked, small_corpus):
    root, uri, _ = tracked
    result = invoke(
        "evaluate", "--model", root / "model", "--data", small_corpus, "--out", root / "report", "--tracking-uri", uri
    )
    assert result.exit_code == 0, result.output
    return json.loads((root / "report" / "report.json").read_text())


def test_evaluate_logs_test_metrics_report_and_figures_to_the_training_run(tracked, evaluated):
    import mlflow

    from icop.evaluation.headlines import test_metrics
    from icop.evaluation.render import figures

    root, uri, _ = tracked
    client = mlflow.MlflowClient(uri)
    # Both trainings wrote the same bundle (same corpus and seed): the latest run of that bundle gets the test metrics.
    first, latest = (client.get_run(client.get_model_version("icop-triage", v).run_id) for v in ("1", "2"))
    assert first.data.tags["icop.bundle_manifest_sha256"] == latest.data.tags["icop.bundle_manifest_sha256"]
    assert "test_roc_auc" not in first.data.metrics
    run = latest
    assert run.data.metrics["test_roc_auc"] == evaluated["triage"]["roc_auc"]
    assert {k: run.data.metrics[k] for k in test_metrics(evaluated)} == test_metrics(evaluated)
    assert "validation_roc_auc" in run.data.metrics  # beside the validation metrics of the same run
    logged = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert logged == {"evaluation/report.json", "evaluation/report.html", "evaluation/figures"}
    svgs = {a.path.rsplit("/", 1)[1] for a in client.list_artifacts(run.info.run_id, "evaluation/figures")}
    assert svgs == {f"{name}.svg" for name in figures(evaluated)} and len(svgs) >= 4


def test_evaluate_of_an_untracked_bundle_opens_a_run_of_its_own(tmp_path, small_corpus):
    import mlflow

    from tests.conftest import DEFAULT_MODEL

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = invoke(
        "evaluate",
        "--model",
        DEFAULT_MODEL,
        "--data",
        small_corpus,
        "--out",
        tmp_path / "r",
        "--track",
        "--tracking-uri",
        uri,
        "--quiet",
    )
    assert result.exit_code == 0 and result.stderr == ""
    [run] = mlflow.MlflowClient(uri).search_runs([mlflow.MlflowClient(uri).get_experiment_by_name("icop").experiment_id])
    assert run.data.tags["icop.kind"] == "evaluation"
    assert run.data.tags["icop.bundle_manifest_sha256"] == bundle.load(DEFAULT_MODEL).digest
    assert 0.5 < run.data.metrics["test_roc_auc"] <= 1


def test_a_registered_tfidf_baseline_predicts_but_is_never_champion(tracked, small_corpus):
    """The pyfunc serves every model kind through the one model interface."""
    import mlflow

    from icop.integrations import tracking

    root, uri, _ = tracked
    result = invoke(
        "train", "--data", small_corpus, "--out", root / "tfidf", "--baseline", "tfidf", "--tracking-uri", uri, "--quiet"
    )
    assert result.exit_code == 0, result.output
    output = tracking.load_registered(uri).predict(pd.DataFrame({"filename": NAMES[:2]}))
    model = bundle.load(root / "tfidf").model
    threshold = model.operating_points["fpr_0.001"].threshold
    assert output["logit"].tolist() == model.score(NAMES[:2]).logits.tolist()
    assert output["decision"].tolist() == (output["logit"] >= threshold).astype(int).tolist()
    assert output["keyword_ids"].tolist() == ["", ""]
    client = mlflow.MlflowClient(uri)
    latest = max(client.search_model_versions("name='icop-triage'"), key=lambda v: int(v.version))
    assert latest.tags["icop.gates"] == "failed icop model: a tfidf baseline"
    assert str(client.get_model_version_by_alias("icop-triage", "champion").version) == "1"
    assert np.isfinite(output["probability"]).all()
