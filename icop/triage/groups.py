"""Group ranking (``--group-by``): groups of names (a sharer, a folder) ranked as a whole.

A group's rank follows, in order: ``flagged`` (its names at or above the run's threshold, more
first), ``top3_mean`` (the mean probability of its three best names, higher first), ``max``,
then the group's value (so equal groups always come out in the same order).

Why this score: a reviewer opens a group for the names the run flagged, so the number of
flagged names is the queue's own unit; it grows with the evidence in a group and never
saturates, where a noisy-OR (1 - prod(1 - p)) reaches 1.0 for every large group and can no
longer tell a group of 40 flagged names from one of 2. It depends on probabilities only
through the calibrated, frozen operating point, not on the sum of many small probabilities
(whose calibration on a synthetic corpus of arbitrary prevalence is the least trustworthy part
of the model). Groups with the same count, notably the many with none flagged, are ordered
by their strongest names (``top3_mean``), which a few low scores cannot drown the way a mean
over a large group is. ``mean`` and ``names`` are shown, not ranked on: a large group flags
more names by chance at any false-positive rate, and the reviewer sees both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from icop.triage.output import write_tables
from icop.triage.workdir import read_part

GROUP_SCHEMA = pa.schema(
    [
        ("rank", pa.int64()),
        ("group", pa.string()),
        ("names", pa.int64()),
        ("flagged", pa.int64()),
        ("top3_mean", pa.float64()),
        ("max", pa.float64()),
        ("mean", pa.float64()),
    ]
)
GROUP_COLUMNS = tuple(GROUP_SCHEMA.names)
#: How many of a group's best names ``top3_mean`` averages.
TOP_N = 3


def groups_path(output: str, fmt: str) -> str:
    """Where the group ranking of ``output`` goes by default: its name with ``.groups`` before
    the extension of the format (``o.csv`` -> ``o.groups.csv``, ``o.parquet`` -> ``o.groups.parquet``)."""
    path = Path(output)
    stem = path.stem if path.suffix.lower().lstrip(".") == fmt else path.name
    return str(path.with_name(f"{stem}.groups.{fmt}"))


@dataclass
class _Group:
    names: int = 0
    flagged: int = 0
    total: float = 0.0
    best: list[float] = field(default_factory=list)  # the TOP_N highest probabilities, highest first

    def add(self, names: int, flagged: int, total: float, best: list[float]) -> None:
        self.names += names
        self.flagged += flagged
        self.total += total
        self.best = sorted(self.best + best, reverse=True)[:TOP_N]


def ranked_groups(parts: list[Path]) -> pa.Table:
    """The group ranking (module docstring) of the scored chunks, one row per group, in rank order."""
    stats: dict[str, _Group] = {}
    for part in parts:
        table = read_part(part, ["group", "probability", "decision"])
        for group, names, flagged, total, best in _part_groups(table):
            stats.setdefault(group, _Group()).add(names, flagged, total, best)
    rows = sorted(
        (
            {
                "group": group,
                "names": g.names,
                "flagged": g.flagged,
                "top3_mean": sum(g.best) / len(g.best),
                "max": g.best[0],
                "mean": g.total / g.names,
            }
            for group, g in stats.items()
        ),
        key=lambda r: (-r["flagged"], -r["top3_mean"], -r["max"], r["group"]),
    )
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return pa.Table.from_pylist(rows, schema=GROUP_SCHEMA)


def write_groups(parts: list[Path], target: str, fmt: str) -> str:
    """Write the group ranking to ``target`` in ``fmt``; returns its SHA-256."""
    return write_tables([ranked_groups(parts)], target, fmt, GROUP_SCHEMA)


def _part_groups(table: pa.Table):
    """(group, names, flagged, sum of p, TOP_N best p) for each group of one chunk, vectorised."""
    codes = pc.dictionary_encode(pc.fill_null(table.column("group"), "")).combine_chunks()
    index = codes.indices.to_numpy(zero_copy_only=False)
    p = table.column("probability").to_numpy()
    flagged = table.column("decision").to_numpy().astype(np.int64)
    order = np.lexsort((-p, index))  # by group, best first
    starts = np.searchsorted(index[order], np.arange(len(codes.dictionary)))
    ends = np.append(starts[1:], order.size)
    counts = np.bincount(index, minlength=len(codes.dictionary))
    sums = np.bincount(index, weights=p, minlength=len(codes.dictionary))
    flags = np.bincount(index, weights=flagged, minlength=len(codes.dictionary))
    for code, group in enumerate(codes.dictionary.to_pylist()):
        if counts[code]:
            best = p[order[starts[code] : min(ends[code], starts[code] + TOP_N)]].tolist()
            yield group, int(counts[code]), int(flags[code]), float(sums[code]), best
