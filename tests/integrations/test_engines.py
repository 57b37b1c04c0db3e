import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from icop.model import bundle
from icop.scoring.scorer import BatchScorer
from tests.conftest import DEFAULT_MODEL

MODEL = DEFAULT_MODEL


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, small_corpus):
    table = pq.read_table(small_corpus, columns=["id", "text", "lang"])
    root = tmp_path_factory.mktemp("dataset")
    for i, start in enumerate(range(0, table.num_rows, 1500)):
        pq.write_table(table.slice(start, 1500), root / f"part-{i}.parquet")
    return root, table


def expected_logits(texts):
    model = bundle.load(MODEL).model
    return BatchScorer(model).score(texts).logits


def test_dask_scores_equal_single_machine_scores(tmp_path, dataset):
    pytest.importorskip("distributed")
    from icop.integrations.dask import score_parquet

    root, table = dataset
    out = score_parquet(str(root / "*.parquet"), MODEL, str(tmp_path / "scored"), workers=2, memory_limit="1GiB")
    scored = pd.read_parquet(out).set_index("id").loc[table.column("id").to_pylist()]
    assert np.array_equal(scored["logit"].to_numpy(), expected_logits(table.column("text").to_pylist()))
    assert list(scored.columns) == ["probability", "logit", "decision", "keyword_ids"]  # triage's score columns
    assert (tmp_path / "scored.audit.json").exists()


def test_missing_engine_names_the_extra(monkeypatch):
    import builtins

    from icop.integrations import EngineMissing, require

    real_import = builtins.__import__

    def no_pyspark(name, *args, **kwargs):
        if name.startswith("pyspark"):
            raise ImportError("No module named 'pyspark'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyspark)
    import importlib

    monkeypatch.setattr(importlib, "import_module", lambda name: no_pyspark(name))
    with pytest.raises(EngineMissing, match=r"pip install 'icop\[spark\]'"):
        require("pyspark.sql", "spark")


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    import os
    import shutil
    import sys

    if not shutil.which("java"):
        pytest.skip("Spark needs Java 17")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("icop-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()
    del pyspark


@pytest.mark.slow
def test_spark_scores_and_group_ranking_equal_icop_triage(tmp_path, spark, dataset):
    from click.testing import CliRunner

    from icop.cli import cli
    from icop.integrations.spark import rank_groups, score_dataframe

    root, table = dataset
    frame = spark.read.parquet(str(root))
    scored = score_dataframe(frame, MODEL).toPandas().set_index("id").loc[table.column("id").to_pylist()]
    assert np.array_equal(scored["logit"].to_numpy(), expected_logits(table.column("text").to_pylist()))
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    CliRunner().invoke(
        cli, ["triage", str(source), "--model", MODEL, "-o", str(tmp_path / "t.csv"), "--group-by", "lang", "--quiet"]
    )
    expected = pd.read_csv(tmp_path / "t.groups.csv")
    groups = rank_groups(score_dataframe(frame, MODEL), "lang").toPandas()
    assert list(groups.columns) == list(expected.columns)
    assert groups["group"].tolist() == expected["group"].tolist() and groups["rank"].tolist() == expected["rank"].tolist()
    assert groups["flagged"].tolist() == expected["flagged"].tolist() and groups["names"].tolist() == expected["names"].tolist()
    for column in ("top3_mean", "max", "mean"):
        assert np.allclose(groups[column], expected[column], rtol=0, atol=1e-12), column


@pytest.mark.slow
def test_spark_writes_a_scored_dataset_with_the_audit_record_of_triage(tmp_path, spark, dataset):
    import json

    import jsonschema

    from icop import resources
    from icop.integrations.spark import score_parquet
    from icop.triage import audit

    root, table = dataset
    out = score_parquet(spark, str(root), MODEL, str(tmp_path / "scored"), keep=("id", "lang"), operator="spark-op")
    scored = pd.read_parquet(out).set_index("id").loc[table.column("id").to_pylist()]
    assert list(scored.columns) == ["lang", "probability", "logit", "decision", "keyword_ids"]
    assert np.array_equal(scored["logit"].to_numpy(), expected_logits(table.column("text").to_pylist()))
    record = json.loads((tmp_path / "scored.audit.json").read_text())
    jsonschema.validate(record, json.loads(resources.read_text("audit.schema.json")))
    assert record["engine"] == "spark" and record["operator"] == "spark-op" and record["counts"]["names"] == table.num_rows
    assert record["counts"]["flagged"] == int(scored["decision"].sum())
    assert record["inputs"] == [
        {"path": str(root), "kind": "directory", "format": "parquet", "sha256": audit.sha256_of_path(root)}
    ]
    assert not [c for c in audit.verify(tmp_path / "scored.audit.json") if c.status != "match"]


@pytest.mark.slow
def test_spark_udf_of_the_registered_model(tmp_path, spark, trained_bundle, monkeypatch):
    import json

    from icop.integrations import tracking
    from icop.integrations.spark import score_with_registered_model

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    manifest = json.loads((trained_bundle / "manifest.json").read_text())
    tracking.log_training(trained_bundle, manifest, manifest["metrics"], uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    names = ["Family.Holiday.2019.mkv", "IMG_0001.JPG", "ภาพยนตร์ วันเกิด"]
    frame = spark.createDataFrame(pd.DataFrame({"text": names}))
    scored = score_with_registered_model(spark, frame, "models:/icop-triage/latest").toPandas()
    model = bundle.load(trained_bundle).model
    assert scored["logit"].tolist() == model.score(names).logits.tolist()
