#!/usr/bin/env python3
"""Triage throughput end to end (file in, ranked file out), one process per pipeline, one core.

Two inputs, written once to a scratch folder:
* ``synthetic``: ``--n`` names of the default synthetic corpus (seed 2027);
* ``realistic``: every distinct real file name in the file lists of the installed software
  (the Python distributions' RECORD files, as icop/synth/sources.py reads them, and the Debian
  packages' ``/var/lib/dpkg/info/*.list`` where present) mixed one to one with names of the
  open-world test split, shuffled; no name repeats, so no cache sees a name twice.

Each pipeline runs ``--repeat`` times in a fresh process pinned to one core, so that its peak RSS
is its own; the median is printed. Pipelines:
* ``icop``: ``triage.run`` with the default model (ranked CSV and audit record), timed twice in
  the same process: *cold* (caches empty: the headline) and *warm* (the same file again);
* ``tfidf``: the scikit-learn TF-IDF reference (icop/model/baselines.py, fitted on the training
  split beforehand, fit not timed): read the file, normalise, score, rank, write CSV; on the
  first ``--reference-n`` names (it is slow).
Targets (issue 19): icop >= 200k names/s cold on one core and >= 30x the reference.
Run with ICOP_PURE_PYTHON=1 to measure the Python paths (no compiled drivers).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from _bench import peak_rss_mb, pin_one_core

SCRIPT = Path(__file__).resolve()
DPKG_LISTS = Path("/var/lib/dpkg/info")
TRAIN_NAMES = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="Names of the synthetic input.")
    parser.add_argument("--repeat", type=int, default=3, help="Processes per pipeline and input (median).")
    parser.add_argument("--reference-n", type=int, default=100_000, help="Names the TF-IDF reference scores.")
    parser.add_argument("--model", default=None, help="Model bundle (default: the shipped default model).")
    parser.add_argument("--inputs", default="synthetic,realistic")
    parser.add_argument("--child", nargs=3, metavar=("PIPELINE", "INPUT", "SCRATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(*args.child, model=args.model, reference_n=args.reference_n)))
        return
    with tempfile.TemporaryDirectory(prefix="icop-bench-") as scratch:
        scratch = Path(scratch)
        inputs = write_inputs(scratch, args.n, args.inputs.split(","))
        from icop.compiled import DRIVERS

        print(f"compiled drivers: {'yes' if DRIVERS.compiled else 'no (Python paths)'}; median of {args.repeat} processes each")
        for label, path in inputs.items():
            report(label, path, scratch, args)


def write_inputs(scratch: Path, n: int, wanted: list[str]) -> dict[str, Path]:
    from icop import synth
    from icop.text.normalize import normalize

    records = synth.generate(synth.load_config(), max(n, 400_000), 2027)
    train = [r for r in records if r.split == "train"][:TRAIN_NAMES]
    with open(scratch / "train.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerows((normalize(r.text).norm, r.label) for r in train)
    inputs = {}
    if "synthetic" in wanted:
        inputs["synthetic"] = _write_names(scratch / "synthetic.txt", [r.text for r in records[:n]])
    if "realistic" in wanted:
        real = real_file_names()
        tests = sorted({r.text for r in records if r.split == "test"} - set(real))[: len(real)]
        mixed = real[: len(tests)] + tests
        random.Random(2027).shuffle(mixed)
        inputs["realistic"] = _write_names(scratch / "realistic.txt", mixed)
        print(f"realistic: {len(tests):,} real file names + {len(tests):,} open-world test names")
    return inputs


def real_file_names() -> list[str]:
    """Distinct file names (last path part) of the installed software, sorted, shuffled by seed."""
    names = set()
    for dist in metadata.distributions():
        names.update(p.name for p in dist.files or () if "__pycache__" not in p.parts)
    for listing in DPKG_LISTS.glob("*.list"):
        names.update(Path(line).name for line in listing.read_text(encoding="utf-8", errors="replace").splitlines())
    found = sorted(n for n in names if n.strip() and "\n" not in n and "\r" not in n)
    random.Random(2027).shuffle(found)
    return found


def _write_names(path: Path, names: list[str]) -> Path:
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    lengths = sorted(map(len, names))
    print(f"{path.stem}: {len(names):,} names, median length {lengths[len(lengths) // 2]} characters")
    return path


def report(label: str, path: Path, scratch: Path, args) -> None:
    icop = [child("icop", path, scratch, args) for _ in range(args.repeat)]
    reference = [child("tfidf", path, scratch, args) for _ in range(args.repeat)]
    ref, ref_cpu = _median(reference, "reference_names", "seconds"), _median(reference, "reference_names", "cpu")
    print(f"{label}: names/s by wall time (by CPU time of the process: what an idle core gives)")
    for run in ("cold", "warm"):
        wall, cpu = _median(icop, "names", run), _median(icop, "names", f"{run}_cpu")
        print(
            f"  icop triage, caches {run}: {wall:>9,.0f} ({cpu:>9,.0f})   {wall / ref:.1f}x ({cpu / ref_cpu:.1f}x) the reference"
        )
    print(
        f"  icop peak RSS {statistics.median(r['rss_mb'] for r in icop):,.0f} MB; start (import + load model) {statistics.median(r['start'] for r in icop):.2f} s"
    )
    print(
        f"  tf-idf reference:        {ref:>9,.0f} ({ref_cpu:>9,.0f})   on {reference[0]['reference_names']:,} names,"
        f" peak RSS {statistics.median(r['rss_mb'] for r in reference):,.0f} MB"
    )


def _median(results: list[dict], count: str, seconds: str) -> float:
    return statistics.median(r[count] / r[seconds] for r in results)


def child(pipeline: str, path: Path, scratch: Path, args) -> dict:
    command = [sys.executable, str(SCRIPT), "--reference-n", str(args.reference_n), "--child", pipeline, str(path), str(scratch)]
    if args.model:
        command += ["--model", args.model]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.splitlines()[-1])


def run_child(pipeline: str, path: str, scratch: str, *, model: str | None, reference_n: int) -> dict:
    pin_one_core()
    started = time.perf_counter()
    if pipeline == "icop":
        return _icop(Path(path), Path(scratch), model, started)
    return _reference(Path(path), Path(scratch), reference_n)


def _icop(path: Path, scratch: Path, model: str | None, started: float) -> dict:
    from icop import resources, triage
    from icop.model import bundle

    loaded = bundle.load(model or resources.path(resources.MODEL))
    start = time.perf_counter() - started
    result = {"start": start}
    for run in ("cold", "warm"):
        out = scratch / f"icop-{run}-{path.stem}.csv"
        begin, cpu = time.perf_counter(), time.process_time()
        summary = triage.run([str(path)], str(out), bundle=loaded)
        result[run] = time.perf_counter() - begin
        result[f"{run}_cpu"] = time.process_time() - cpu
        result["names"] = summary.names
        if run == "cold":
            result["rss_mb"] = peak_rss_mb()
        out.unlink()
    return result


def _reference(path: Path, scratch: Path, reference_n: int) -> dict:
    import numpy as np

    from icop.model.baselines import TfidfModel

    with open(scratch / "train.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    reference = TfidfModel.fit([r[0] for r in rows], np.array([int(r[1]) for r in rows]), 0)
    begin, cpu = time.perf_counter(), time.process_time()
    with open(path, encoding="utf-8") as handle:
        names = [line.rstrip("\n") for _, line in zip(range(reference_n), handle)]
    scores = reference.score(names)
    order = np.argsort(-scores.logits, kind="stable")
    with open(scratch / "tfidf-out.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["rank", "probability", "name"])
        writer.writerows((rank, f"{scores.probabilities[i]:.6f}", names[i]) for rank, i in enumerate(order, 1))
    seconds, cpu = time.perf_counter() - begin, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "reference_names": len(names), "rss_mb": peak_rss_mb()}


if __name__ == "__main__":
    sys.exit(main())
