#!/usr/bin/env python3
"""Scale-out throughput: Dask and Spark with 1 and 2 workers against single-process icop triage.

All on this machine (2 cores), on the same synthetic names written as a partitioned Parquet
dataset. Prints measured names/s and, separately, a projection for a cluster (clearly labelled).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from icop import resources, synth, triage
from icop.errors import IcopError
from icop.model import bundle

MODEL = resources.path(resources.MODEL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400_000)
    args = parser.parse_args()
    texts = [r.text for r in synth.generate(synth.load_config(), args.n, 41)]
    table = pa.table({"id": [str(i) for i in range(args.n)], "text": texts})
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp, "data")
        data.mkdir()
        for i, start in enumerate(range(0, args.n, 50_000)):
            pq.write_table(table.slice(start, 50_000), data / f"part-{i:03d}.parquet")
        pq.write_table(table, Path(tmp, "all.parquet"))
        loaded = bundle.load(MODEL)
        for workers in (1, 2):
            start = time.perf_counter()
            triage.run(
                [str(Path(tmp, "all.parquet"))],
                str(Path(tmp, f"t{workers}.csv")),
                bundle=loaded,
                options=triage.TriageOptions(workers=workers),
            )
            results[f"icop triage, {workers} process(es)"] = args.n / (time.perf_counter() - start)
        try:
            from icop.integrations.dask import score_parquet

            for workers in (1, 2):
                start = time.perf_counter()
                score_parquet(str(data / "*.parquet"), MODEL, str(Path(tmp, f"dask{workers}")), workers=workers)
                results[f"dask, {workers} worker(s)"] = args.n / (time.perf_counter() - start)
        except IcopError as err:
            print(f"dask: skipped ({err})")
        try:
            results.update(_spark(data, args.n))
        except IcopError as err:
            print(f"spark: skipped ({err})")
    for label, rate in results.items():
        print(f"measured  {label:32s} {rate:10,.0f} names/s")
    per_core = max(v for k, v in results.items() if "2" in k) / 2
    minutes = 1e9 / (per_core * 100) / 60
    print(
        f"projected (not measured): {per_core:,.0f} names/s per core (best 2-worker run / 2); a cluster of C cores "
        f"~ C x {per_core:,.0f} names/s if scaling stays linear; 1 billion names on 100 cores ~ {minutes:.0f} min"
    )


def _spark(data: Path, n: int) -> dict:
    from icop.integrations import require

    require("pyspark.sql", "spark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    from icop.integrations.spark import score_dataframe

    out = {}
    for workers in (1, 2):
        spark = SparkSession.builder.master(f"local[{workers}]").config("spark.ui.enabled", "false").getOrCreate()
        frame = spark.read.parquet(str(data))
        start = time.perf_counter()
        score_dataframe(frame, MODEL).write.mode("overwrite").parquet(str(data.parent / f"spark{workers}"))
        out[f"spark local[{workers}]"] = n / (time.perf_counter() - start)
        spark.stop()
    return out


if __name__ == "__main__":
    sys.exit(main())
