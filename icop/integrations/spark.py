"""Spark: score a DataFrame column with an icop bundle or the registered MLflow model.

    from icop.integrations.spark import score_dataframe, score_parquet, rank_groups
    scored = score_dataframe(df, "models/default", column="text")
    groups = rank_groups(scored, "sharer")
    score_parquet(spark, "names/", "models/default", "scored/")  # a dataset, with its audit record

``score_dataframe`` uses a pandas UDF over record batches: each Python worker loads the bundle
once and scores with the same batch scorer as ``icop triage`` (identical scores).
``score_parquet`` scores a Parquet dataset into another and writes the same audit record as
``icop triage`` beside it. ``rank_groups`` ranks groups as ``icop triage --group-by`` does
(icop/triage/groups.py says why).
``score_with_registered_model`` uses ``mlflow.pyfunc.spark_udf`` with ``env_manager="local"``
(nothing is downloaded; executors must run the Python that has icop: set PYSPARK_PYTHON).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd  # at module level: pyspark resolves the UDF's type hints here

from icop.integrations import require
from icop.integrations.partition import input_files, score_names, write_dataset_audit
from icop.model.calibration import DEFAULT_POINT
from icop.triage.groups import GROUP_COLUMNS, TOP_N
from icop.triage.output import SCORE_COLUMNS

RESULT_SCHEMA = "probability double, logit long, decision byte, keyword_ids string"


def score_dataframe(df, model_path: str, column: str = "text", threshold: str | float = DEFAULT_POINT):
    """``df`` with ``probability, logit, decision, keyword_ids`` added."""
    require("pyspark.sql", "spark")
    from pyspark.sql import functions as F

    model_path = str(Path(model_path).resolve())

    @F.pandas_udf(RESULT_SCHEMA)
    def icop_score(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        for names in batches:
            yield score_names(names.tolist(), model_path, threshold)

    return df.withColumn("_icop", icop_score(F.col(column))).select("*", "_icop.*").drop("_icop")


def score_with_registered_model(spark, df, model_uri: str = "models:/icop-triage/latest", column: str = "text"):
    """``df`` with ``probability, logit, decision, keyword_ids`` from the registered MLflow pyfunc model."""
    require("pyspark.sql", "spark")
    import mlflow
    from pyspark.sql import functions as F

    udf = mlflow.pyfunc.spark_udf(
        spark, model_uri, env_manager="local", result_type="probability double, logit long, decision int, keyword_ids string"
    )
    return df.withColumn("_icop", udf(F.struct(F.col(column).alias("filename")))).select("*", "_icop.*").drop("_icop")


def score_parquet(
    spark,
    source: str,
    model_path: str,
    out: str,
    column: str = "text",
    keep: tuple[str, ...] = ("id",),
    threshold: str | float = DEFAULT_POINT,
    *,
    audit: str | None = None,
    operator: str | None = None,
) -> str:
    """Score a Parquet dataset (a file, a directory or a glob) into the dataset ``out`` (the
    ``keep`` columns and the scores) and write its audit record; returns ``out``."""
    require("pyspark.sql", "spark")
    started = time.perf_counter()
    sources = input_files(source)
    model_path = str(Path(model_path).resolve())
    frame = spark.read.parquet(*sources).select(*keep, column)
    score_dataframe(frame, model_path, column, threshold).select(*keep, *SCORE_COLUMNS).write.parquet(out)
    write_dataset_audit(
        engine="spark",
        sources=sources,
        out=out,
        model_path=model_path,
        threshold=threshold,
        options={"column": column, "keep": list(keep)},
        operator=operator,
        seconds=time.perf_counter() - started,
        audit=audit,
        engine_packages=("pyspark", "pandas"),
    )
    return out


def rank_groups(scored, group_column: str):
    """Groups ranked as ``icop triage --group-by`` ranks them (flagged names, then the mean of
    the best three probabilities, then max, then the group), with its columns (Spark SQL)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    named = scored.withColumn("group", F.coalesce(F.col(group_column).cast("string"), F.lit("")))
    best_first = Window.partitionBy("group").orderBy(F.desc("probability"))
    grouped = (
        named.withColumn("_place", F.row_number().over(best_first))
        .groupBy("group")
        .agg(
            F.count(F.lit(1)).alias("names"),
            F.sum(F.col("decision").cast("long")).alias("flagged"),
            F.avg(F.when(F.col("_place") <= TOP_N, F.col("probability"))).alias("top3_mean"),
            F.max("probability").alias("max"),
            F.avg("probability").alias("mean"),
        )
    )
    order = [F.desc("flagged"), F.desc("top3_mean"), F.desc("max"), F.asc("group")]
    ranked = grouped.withColumn("rank", F.row_number().over(Window.orderBy(*order)))
    return ranked.select(*GROUP_COLUMNS).orderBy("rank")
