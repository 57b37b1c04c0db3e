"""Dask: score a partitioned Parquet dataset on a local (or existing) Dask cluster.

    from icop.integrations.dask import score_parquet
    score_parquet("names/*.parquet", "models/default", "scored/", workers=2)

Each partition is scored by ``map_partitions`` with the same scorer as ``icop triage``; memory
per worker is one partition plus the model. Output: a Parquet dataset with the input's ``keep``
columns and ``probability, logit, decision, keyword_ids``, and beside it the same audit record
as ``icop triage`` writes (``scored.audit.json``, or ``audit``).
"""

from __future__ import annotations

import time
from pathlib import Path

from icop.integrations import require
from icop.integrations.partition import empty_result, input_files, score_partition, write_dataset_audit
from icop.model.calibration import DEFAULT_POINT


def score_parquet(
    source: str,
    model_path: str,
    out: str,
    column: str = "text",
    keep: tuple[str, ...] = ("id",),
    threshold: str | float = DEFAULT_POINT,
    workers: int = 2,
    memory_limit: str = "2GiB",
    address: str | None = None,
    *,
    audit: str | None = None,
    operator: str | None = None,
) -> str:
    """Score every row of a Parquet dataset into ``out`` and write its audit record; starts a
    local cluster unless ``address``. ``operator`` is recorded (default: the user name)."""
    dd = require("dask.dataframe", "dask")
    distributed = require("distributed", "dask")
    started = time.perf_counter()
    sources = input_files(source)
    model_path = str(Path(model_path).resolve())
    frame = dd.read_parquet(source, columns=[*keep, column])
    meta = empty_result(frame._meta[list(keep)])
    scored = frame.map_partitions(score_partition, model_path, column, tuple(keep), threshold, meta=meta)
    if address:
        with distributed.Client(address):
            scored.to_parquet(out, write_index=False)
    else:
        with (
            distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),
        ):
            scored.to_parquet(out, write_index=False)
    write_dataset_audit(
        engine="dask",
        sources=sources,
        out=out,
        model_path=model_path,
        threshold=threshold,
        options={"column": column, "keep": list(keep), "workers": workers},
        operator=operator,
        seconds=time.perf_counter() - started,
        audit=audit,
        engine_packages=("dask", "distributed", "pandas"),
    )
    return out
