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
from icop.triage.output import SCORE_COLUMNS

#: The score columns of ``icop triage`` (the same names, in the same order) and their pandas types.
COLUMNS = dict(zip(SCORE_COLUMNS, ("float64", "int64", "int8", "string"), strict=True))


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
    columns = (
        np.concatenate(probabilities) if probabilities else np.array([], np.float64),
        logits,
        (logits >= limit).astype(np.int8),
        pd.Series(ids, dtype="string"),
    )
    return pd.DataFrame(dict(zip(SCORE_COLUMNS, columns, strict=True)))


def score_partition(frame: pd.DataFrame, model_path: str, column: str, keep: tuple[str, ...], threshold) -> pd.DataFrame:
    scored = score_names(frame[column].tolist(), model_path, threshold)
    scored.index = frame.index
    return pd.concat([frame[list(keep)], scored], axis=1)


def empty_result(keep_frame: pd.DataFrame) -> pd.DataFrame:
    """The (empty) frame a partition produces: the kept columns, then the score columns."""
    return keep_frame.iloc[:0].assign(**{name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})


def input_files(source: str) -> list[str]:
    """The files (or dataset directories) a Parquet source names: a glob, a file or a directory."""
    import glob

    found = sorted(glob.glob(source)) if glob.has_magic(source) else [source]
    if not found:
        from icop.errors import InputError

        raise InputError(f"{source}: matches no file")
    return found


def write_dataset_audit(
    *,
    engine: str,
    sources: list[str],
    out: str,
    model_path: str,
    threshold: str | float,
    options: dict,
    operator: str | None,
    seconds: float,
    audit: str | None = None,
    engine_packages: tuple[str, ...] = (),
) -> str:
    """The audit record of a scored Parquet dataset ``out`` (default: ``out``.audit.json beside
    it), built like ``icop triage``'s (icop/triage/audit.py); returns its path."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from icop.triage import audit as records

    loaded = bundle.load(model_path)
    limit, source = loaded.model.threshold(threshold)
    scored = pq.read_table(out, columns=["decision", "keyword_ids"])
    counts = {
        "names": scored.num_rows,
        "flagged": int(pc.sum(scored.column("decision")).as_py() or 0),
        "with_keyword_hits": int(
            pc.sum(pc.greater(pc.utf8_length(pc.fill_null(scored.column("keyword_ids"), "")), 0)).as_py() or 0
        ),
    }
    target = audit or out.rstrip("/") + records.AUDIT_SUFFIX
    record = records.build_record(
        target,
        engine=engine,
        inputs=[records.digested(s, fmt="parquet") for s in sources],
        output=records.digested(out, fmt="parquet"),
        bundle_path=model_path,
        bundle_digest=loaded.digest,
        operator=operator,
        options={**options, "threshold": threshold},
        threshold=limit,
        threshold_source=source,
        counts=counts,
        seconds=seconds,
        engine_packages=engine_packages,
    )
    return records.write_audit(target, record)
