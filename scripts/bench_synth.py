#!/usr/bin/env python3
"""Synthetic corpus throughput on one core: generation with grouped splits, then Parquet writing.

Target (issue 3): >= 50k names/s. Prints the generation phase and the split phase separately
(the split phase normalises every carrier, so it also measures normalisation on fresh names).
"""

import argparse
import sys
import tempfile
from pathlib import Path

from _bench import peak_rss_mb, pin_one_core, timed

from icop.io import tables
from icop.synth import load_config
from icop.synth.corpus import CorpusGenerator, assign_splits, columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    pin_one_core()
    config = load_config()
    generator = CorpusGenerator(config, args.seed)
    records, generate = timed(lambda: [generator.record(i) for i in range(args.n)])
    _, split = timed(assign_splits, records, config.splits, generator._carriers)
    with tempfile.TemporaryDirectory() as tmp:
        _, write = timed(lambda: tables.write_parquet(columns(records), tables.CORPUS_SCHEMA, Path(tmp, "c.parquet")))
    total = generate + split + write
    print(f"names: {args.n}")
    print(f"generate: {args.n / generate:,.0f} names/s")
    print(f"split:    {args.n / split:,.0f} names/s")
    print(f"write:    {args.n / write:,.0f} names/s")
    print(f"end to end: {args.n / total:,.0f} names/s; peak RSS {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
