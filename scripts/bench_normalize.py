#!/usr/bin/env python3
"""Normalisation throughput on one core, on a 100k-name multilingual synthetic sample.

Prints names/s for a cold pass (empty token cache) and a warm pass, name by name and in 10k
batches (the compiled driver where it is built), and the ratio against a reference that runs
the same steps with no token cache (every token normalised afresh).
Target (issue 2): >= 150k names/s.
"""

import argparse
import sys

from _bench import pin_one_core, sample_names, timed

import icop.text.normalize as module
from icop.text.normalize import _TOKEN_CACHES, gc_paused, normalize, normalize_batch


def run(names):
    with gc_paused():
        for name in names:
            normalize(name)


def run_batches(names):
    for i in range(0, len(names), 10_000):
        normalize_batch(names[i : i + 10_000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    pin_one_core()
    names = sample_names(args.n)
    _TOKEN_CACHES[False].clear()
    _, cold = timed(run, names)
    _, warm = timed(run, names)
    _TOKEN_CACHES[False].clear()
    _, cold_batches = timed(run_batches, names)
    _, warm_batches = timed(run_batches, names)
    uncached_names = names[: max(args.n // 10, 1)]
    _TOKEN_CACHES[False].clear()
    size = module.TOKEN_CACHE_SIZE
    module.TOKEN_CACHE_SIZE = 0  # every lookup misses: the per-token pipeline alone
    _, uncached = timed(run, uncached_names)
    module.TOKEN_CACHE_SIZE = size
    print(f"names: {len(names)} (synthetic default corpus, 11 languages)")
    print(f"cold pass: {len(names) / cold:,.0f} names/s")
    print(f"warm pass: {len(names) / warm:,.0f} names/s")
    driver = "compiled driver" if module.batch_driver() else "Python, no compiled driver"
    print(f"batches of 10k ({driver}): cold {len(names) / cold_batches:,.0f}, warm {len(names) / warm_batches:,.0f} names/s")
    print(f"no cache:  {len(uncached_names) / uncached:,.0f} names/s")
    print(f"cold / no-cache ratio: {(len(names) / cold) / (len(uncached_names) / uncached):.1f}x")


if __name__ == "__main__":
    sys.exit(main())
