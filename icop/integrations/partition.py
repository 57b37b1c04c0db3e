"""Scoring one partition (a pandas DataFrame) of names: shared by the Dask and Spark adapters
and the MLflow pyfunc.

Each worker process loads a bundle once (cached by path) and scores its partitions in batches
with the batch scorer (any other model kind through its own ``score``); the columns are those of
``icop triage``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from icop.model import bundle
from icop.model.calibration import DEFAULT_POINT
from icop.model.linear import LinearModel
from icop.scoring.scorer import BATCH, BatchScorer

COLUMNS = {"probability": "float64", "logit": "int64", "decision": "int8", "keyword_ids": "string"}


@lru_cache(maxsize=4)
def _loaded(model_path: str):
    model = bundle.load(model_path).model
    return model, BatchScorer(model) if isinstance(model, LinearModel) else None


def score_names(names: list[str], model_path: str, threshold: str | float = DEFAULT_POINT) -> pd.DataFrame:
    model, scorer = _loaded(model_path)
    limit, _ = model.threshold(threshold)
    logits, probabilities, ids = [], [], []
    for i in range(0, len(names), BATCH):
        batch = ["" if n is None else n for n in names[i : i + BATCH]]
        scored = scorer.score(batch) if scorer else model.score(batch)
        logits.append(scored.logits)
        probabilities.append(scored.probabilities)
        ids += [";".join(k) for k in scored.keyword_ids] if scorer else [""] * len(batch)
    logits = np.concatenate(logits) if logits else np.array([], np.int64)
    return pd.DataFrame(
        {
            "probability": np.concatenate(probabilities) if probabilities else np.array([], np.float64),
            "logit": logits,
            "decision": (logits >= limit).astype(np.int8),
            "keyword_ids": pd.Series(ids, dtype="string"),
        }
    )


def score_partition(frame: pd.DataFrame, model_path: str, column: str, keep: tuple[str, ...], threshold) -> pd.DataFrame:
    scored = score_names(frame[column].tolist(), model_path, threshold)
    scored.index = frame.index
    return pd.concat([frame[list(keep)], scored], axis=1)


def empty_result(keep_frame: pd.DataFrame) -> pd.DataFrame:
    """The (empty) frame a partition produces: the kept columns, then the score columns."""
    return keep_frame.iloc[:0].assign(**{name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})
