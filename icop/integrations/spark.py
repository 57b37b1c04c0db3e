"""Spark: score a DataFrame column with an icop bundle or the registered MLflow model.

    from icop.integrations.spark import score_dataframe, rank_groups
    scored = score_dataframe(df, "models/default", column="text")
    groups = rank_groups(scored, "sharer")

``score_dataframe`` uses a pandas UDF over record batches: each Python worker loads the bundle
once and scores with the same batch scorer as ``icop triage`` (identical scores).
``score_with_registered_model`` uses ``mlflow.pyfunc.spark_udf`` with ``env_manager="local"``
(nothing is downloaded; executors must run the Python that has icop: set PYSPARK_PYTHON).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd  # at module level: pyspark resolves the UDF's type hints here

from icop.integrations import require
from icop.integrations.partition import score_names
from icop.model.calibration import DEFAULT_POINT

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


def rank_groups(scored, group_column: str):
    """Groups ranked by noisy-OR (1 - prod(1 - p)), with names, max, mean and flagged count (Spark SQL)."""
    from pyspark.sql import functions as F

    p = F.least(F.col("probability"), F.lit(1 - 1e-15))
    grouped = scored.groupBy(F.col(group_column).alias("group")).agg(
        F.count(F.lit(1)).alias("names"),
        F.max("probability").alias("max"),
        F.avg("probability").alias("mean"),
        F.sum(F.col("decision").cast("long")).alias("flagged"),
        (1 - F.exp(F.sum(F.log1p(-p)))).alias("noisy_or"),
    )
    return grouped.orderBy(F.desc("noisy_or"), F.desc("max"), F.asc("group"))
