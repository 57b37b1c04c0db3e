#!/usr/bin/env python3
"""Triage throughput: synthetic names, file in -> file out, against reference pipelines.

Measured in one run, on one core (pinned), on the same names:
* icop triage end to end (read, normalise, score, rank, write CSV, audit record);
* the scorer core alone on pre-normalised names (n-gram kernel, and the full scorer);
* the scikit-learn TF-IDF reference (char_wb 1-5 + LogisticRegression), fitted on the training
  split and timed scoring the same names (a tenth of them: it is slow);
* fastText supervised, if the `fasttext` package can be imported (skipped with a message if not);
* the exported ONNX graph on prepared inputs, against the Python scorer core.
Targets (issue 5): end to end >= 200k names/s, >= 30x the TF-IDF reference; core >= 700k names/s.
Run with ICOP_PURE_PYTHON=1 to measure the Python paths (no compiled drivers).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _bench import peak_rss_mb, pin_one_core, timed

from icop import resources, synth, triage
from icop.compiled import DRIVERS
from icop.integrations import onnx as onnx_export
from icop.model import bundle
from icop.model.baselines import TfidfModel
from icop.scoring.scorer import BatchScorer, ngram_sums, numpy_ngram_sums
from icop.text.normalize import normalize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--model", default=resources.path(resources.MODEL))
    args = parser.parse_args()
    pin_one_core()
    records = synth.generate(synth.load_config(), args.n, 2027)
    texts = [r.text for r in records]
    loaded = bundle.load(args.model)
    model = loaded.model
    with tempfile.TemporaryDirectory() as tmp:
        names = Path(tmp, "names.txt")
        names.write_text("\n".join(texts) + "\n", encoding="utf-8")
        _, end_to_end = timed(lambda: triage.run([str(names)], str(Path(tmp, "out.csv")), bundle=loaded))
    rate = args.n / end_to_end
    print(f"names: {args.n:,} (synthetic default corpus); compiled drivers: {'yes' if DRIVERS.compiled else 'no (Python paths)'}")
    print(f"peak RSS so far {peak_rss_mb():,.0f} MB")
    print(f"icop triage end to end: {rate:,.0f} names/s ({end_to_end:.1f} s; caches start empty)")

    sample = [normalize(t) for t in texts[:200_000]]
    scorer = BatchScorer(model)
    space = model.space
    norms = [n.norm for n in sample]
    table = scorer.weights.ngram
    _, kernel = timed(lambda: [ngram_sums(space, "ngram", norms[i : i + 10_000], table) for i in range(0, len(norms), 10_000)])
    _, numpy_kernel = timed(
        lambda: [numpy_ngram_sums(space, "ngram", norms[i : i + 10_000], table) for i in range(0, len(norms), 10_000)]
    )
    _, core = timed(lambda: [scorer.integer_logits(sample[i : i + 10_000]) for i in range(0, len(sample), 10_000)])
    print(
        f"scorer core, n-gram kernel: {len(sample) / kernel:,.0f} names/s ({'compiled' if DRIVERS.compiled else 'numpy'}); "
        f"numpy kernel {len(sample) / numpy_kernel:,.0f} names/s"
    )
    print(f"scorer core, all families (pre-normalised): {len(sample) / core:,.0f} names/s")

    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = Path(tmp, "model.onnx")
        onnx_export.export(model, onnx_path)
        session = onnx_export.session(onnx_path)
        inputs = [onnx_export.prepare_inputs(model, sample[i : i + 10_000]) for i in range(0, len(sample), 10_000)]
        _, graph = timed(lambda: [session.run(["logit", "probability"], batch) for batch in inputs])
    print(
        f"ONNX graph on prepared inputs (1 thread): {len(sample) / graph:,.0f} names/s; "
        f"{(len(sample) / graph) / (len(sample) / core):.2f}x the Python scorer core"
    )

    train = [r for r in records if r.split == "train"][:100_000]
    reference = TfidfModel.fit([normalize(r.text).norm for r in train], [r.label for r in train], 0)
    subset = texts[: max(args.n // 10, 1)]
    _, seconds = timed(lambda: reference.score(subset))
    reference_rate = len(subset) / seconds
    print(f"tf-idf reference (normalise + char_wb 1-5 + LR): {reference_rate:,.0f} names/s; icop is {rate / reference_rate:.1f}x")
    _fasttext(records, texts[: max(args.n // 10, 1)], rate)
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")


def _fasttext(records, texts, rate) -> None:
    try:
        import fasttext
    except ImportError:
        print("fastText: skipped (`pip install fasttext-wheel` in this environment to include it)")
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for r in records:
            if r.split == "train":
                handle.write(f"__label__{r.label} {normalize(r.text).norm}\n")
    model = fasttext.train_supervised(handle.name, minn=1, maxn=5, epoch=5, thread=1, verbose=0)
    cleaned = [normalize(t).norm.replace("\n", " ") for t in texts]
    start = time.perf_counter()
    model.predict(cleaned)
    fast_rate = len(texts) / (time.perf_counter() - start)
    print(f"fastText supervised (normalise excluded): {fast_rate:,.0f} names/s; icop is {rate / fast_rate:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
