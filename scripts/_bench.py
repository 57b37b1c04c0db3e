"""Shared helpers for the benchmark scripts: one pinned core and a synthetic sample."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def sample_names(n: int, seed: int = 2026) -> list[str]:
    """``n`` names of the default synthetic corpus (all eleven languages, both classes)."""
    from icop.synth import generate, load_config

    return [r.text for r in generate(load_config(), n, seed)]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM where /proc has it: Linux carries ru_maxrss over exec, so a
    process started by a big parent would report the parent's peak."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:"))
