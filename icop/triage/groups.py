"""Group ranking (``--group-by``): groups of names (a sharer, a folder) ranked as a whole."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from icop.io import tables
from icop.triage.workdir import read_part

GROUP_COLUMNS = ("rank", "group", "names", "max", "mean", "flagged", "noisy_or")


def groups_path(output: str) -> str:
    """Where the group ranking of ``output`` goes (``-``: groups.groups.csv in the working folder)."""
    path = output if output != "-" else "groups"
    return str(Path(path).with_name(Path(path).stem + ".groups.csv"))


def write_groups(parts: list[Path], output: str) -> str:
    """Groups ranked by noisy-OR (1 - prod(1 - p)), with max, mean and flagged count; returns the file."""
    stats: dict[str, list] = {}
    for part in parts:
        table = read_part(part, ["group", "probability", "decision"])
        for group, p, flagged in zip(*(table.column(c).to_pylist() for c in ("group", "probability", "decision"))):
            s = stats.setdefault("" if group is None else group, [0, 0.0, 0.0, 0, 0.0])  # n, max, sum, flagged, log(1-p)
            s[0] += 1
            s[1] = max(s[1], p)
            s[2] += p
            s[3] += flagged
            s[4] += float(np.log1p(-min(p, 1 - 1e-15)))
    rows = [
        {"group": g, "names": n, "max": mx, "mean": total / n, "flagged": fl, "noisy_or": float(-np.expm1(log_not))}
        for g, (n, mx, total, fl, log_not) in stats.items()
    ]
    rows.sort(key=lambda r: (-r["noisy_or"], -r["max"], r["group"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    target = groups_path(output)
    with tables.atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(GROUP_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return target
