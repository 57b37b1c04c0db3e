#!/usr/bin/env python3
"""Training throughput: 1M synthetic names end to end (normalise, features, fit, calibrate, bundle).

Target (issue 4): under 3 minutes on this 2-core machine. Corpus generation is timed separately
and not counted. The TF-IDF reference (sklearn char_wb 1-5 + LogisticRegression) is timed on a
tenth of the data for scale.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _bench import peak_rss_mb, timed

from icop import keywords, resources, synth
from icop.model import training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--reference-share", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        written, generate = timed(synth.write_corpus, synth.load_config(), args.n, 0, Path(tmp, "corpus"))
        corpus = training.load_corpus(written["corpus.parquet"])
        lists = keywords.load([resources.path(resources.KEYWORDS)])
        result, seconds = timed(training.train, corpus, lists, Path(tmp, "model"))
        metrics = result.metrics
        print(f"corpus: {args.n} names generated in {generate:.0f} s (not counted)")
        print(
            f"icop train: {seconds:.0f} s for {len(corpus.texts['train'])} train + {len(corpus.texts['validation'])} validation names "
            f"({args.n / seconds:,.0f} names/s); validation ROC-AUC {metrics['validation_roc_auc']}, AP {metrics['validation_average_precision']}"
        )
        small = training.Corpus(
            corpus.path,
            corpus.sha256,
            {s: t[: int(len(t) * args.reference_share)] for s, t in corpus.texts.items()},
            {s: y[: int(len(y) * args.reference_share)] for s, y in corpus.labels.items()},
        )
        start = time.perf_counter()
        training.train(small, lists, Path(tmp, "tfidf"), baseline="tfidf")
        reference = time.perf_counter() - start
        print(
            f"tfidf reference on {args.reference_share:.0%} of the data: {reference:.0f} s "
            f"({len(small.texts['train']) / reference:,.0f} train names/s)"
        )
        print(f"peak RSS: {peak_rss_mb():,.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
