#!/usr/bin/env python3
"""Start-up time of the ``icop`` command: median wall time of fresh processes.

Runs ``icop explain NAME``, ``icop triage`` on a file of ten names and ``icop --help`` several
times each as ``python -m icop`` from a folder outside the tree, and prints the median wall time,
its range, and the median CPU time (user + system), which is what the wall time comes to on an
idle machine. With ``--before REV`` it measures that git revision too (exported to a temporary
folder, its compiled drivers built there), so the two compare like with like on the same machine
at the same time. Both trees are byte-compiled first, as pip does when it installs a package.
Targets (issues 15, 19): ``icop explain "holiday.jpg"`` under 0.5 s; ``icop triage`` on ten names under 1 s.

    python scripts/bench_startup.py --before 3a3f151
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "explain holiday.jpg": ["explain", "holiday.jpg"],
    "triage ten names": ["triage", "ten.txt", "-o", "ten-ranked.csv", "--quiet"],
    "--help": ["--help"],
}
TEN_NAMES = [f"holiday {i}.jpg" for i in range(5)] + [f"lecture.notes.part{i}.pdf" for i in range(5)]


class Run(NamedTuple):
    wall: float
    cpu: float  # user + system time of the process: what the wall time would be on an idle machine


def run_once(tree: Path, args: list[str], cwd: Path) -> Run:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    cpu_before, start = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, "-m", "icop", *args], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return Run(time.perf_counter() - start, _children_cpu() - cpu_before)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def export_revision(revision: str, into: Path) -> Path:
    """The package of ``revision`` as files, with its own compiled drivers built in place (they
    are not in git, and this tree's may not fit its code); without a setup.py it runs its Python paths."""
    archive, tree = into / "tree.tar", into / "tree"
    subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), revision], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="tar")
    if (tree / "setup.py").exists():
        subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=tree, check=True, capture_output=True)
    return tree


def describe(runs: list[Run]) -> str:
    wall = [r.wall for r in runs]
    return f"{statistics.median(wall):6.3f} s (min {min(wall):.3f}, max {max(wall):.3f}); cpu {statistics.median(r.cpu for r in runs):.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="Processes per command and tree.")
    parser.add_argument("--before", metavar="REV", help="A git revision to measure as well, for comparison.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "ten.txt").write_text("\n".join(TEN_NAMES) + "\n", encoding="utf-8")
        trees = {"this tree": ROOT}
        if args.before:
            trees = {f"before ({args.before})": export_revision(args.before, scratch), **trees}
        for tree in trees.values():  # as an installed package is: pip compiles at install time
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "icop")], check=True)
        print(f"median wall time of {args.runs} runs of `python -m icop ...` ({sys.executable})")
        for label, command in COMMANDS.items():
            runs: dict[str, list[Run]] = {name: [] for name in trees}
            for i in range(args.runs + 1):  # interleaved, so that a change in load hits both; run 0 warms the caches
                for name, tree in trees.items():
                    run = run_once(tree, command, scratch)
                    if i:
                        runs[name].append(run)
            for name, measured in runs.items():
                print(f"  {label:<22} {name:<22} {describe(measured)}")


if __name__ == "__main__":
    main()
