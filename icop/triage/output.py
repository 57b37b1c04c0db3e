"""The ranked review queue: ranks over every chunk, then the output written once, atomically.

Rank 1 is the highest logit; ties keep input order. A file is replaced atomically; stdout, a
device or a pipe is written as it stands. CSV and TSV go through Arrow's C++ writer
(header once, shortest round-trip floats); JSONL one object per line; Parquet with zstd.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from icop.io import tables
from icop.triage.chunks import RESULT_SCHEMA
from icop.triage.workdir import read_part

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "parquet")
OUTPUT_COLUMNS = ("source", "line", "id", "name", "probability", "logit", "decision", "keyword_ids", "rank")


def output_format(path: str, fmt: str | None) -> str:
    """The format asked for, else the output's extension, else CSV."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if path == "-" or suffix not in OUTPUT_FORMATS:
        return "csv"
    return suffix


def ranks(parts: list[Path]) -> np.ndarray:
    """Rank 1 = highest logit; ties keep input order. One int64 per name in memory."""
    logits = (
        np.concatenate([np.asarray(read_part(p, ["logit"]).column("logit")) for p in parts]) if parts else np.array([], np.int64)
    )
    order = np.argsort(-logits, kind="stable")
    ranked = np.empty_like(order)
    ranked[order] = np.arange(1, order.size + 1)
    return ranked


def top_rows(parts: list[Path], ranked: np.ndarray, k: int, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> pa.Table:
    """The k best-ranked rows, in rank order (the review queue)."""
    wanted = ranked <= k
    found = [t.filter(pa.array(wanted[s : s + t.num_rows])) for s, t in _with_starts(ranked_parts(parts, ranked, columns))]
    table = pa.concat_tables(found) if found else empty_output().select(list(columns))
    return table.sort_by([("rank", "ascending")])


def ranked_parts(parts: list[Path], ranked: np.ndarray, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> Iterator[pa.Table]:
    start = 0
    for part in parts:
        table = read_part(part)
        table = table.append_column("rank", pa.array(ranked[start : start + table.num_rows], pa.int64()))
        start += table.num_rows
        yield table.select(list(columns))


def write(parts: list[Path], output: str, fmt: str, ranked: np.ndarray, top_k: int | None) -> None:
    """The output: every name in input order with its rank, or the ``top_k`` best in rank order."""
    if top_k is not None:
        _write_tables([top_rows(parts, ranked, top_k)], output, fmt)
        return
    _write_tables(ranked_parts(parts, ranked), output, fmt)


def empty_output() -> pa.Table:
    return RESULT_SCHEMA.empty_table().append_column("rank", pa.array([], pa.int64())).select(list(OUTPUT_COLUMNS))


def _with_starts(parts: Iterable[pa.Table]) -> Iterator[tuple[int, pa.Table]]:
    start = 0
    for table in parts:
        yield start, table
        start += table.num_rows


def is_stream(output: str) -> bool:
    """Stdout, or an existing path that is not a regular file (a device, a pipe): written as it
    stands, never replaced."""
    return output == "-" or (os.path.exists(output) and not os.path.isfile(output))


def _write_tables(parts: Iterable[pa.Table], output: str, fmt: str) -> None:
    if output == "-":
        sys.stdout.flush()
        _write_text(parts, fmt, _stdout().buffer)
        _stdout().buffer.flush()
    elif is_stream(output):
        try:
            with open(output, "wb") as handle:
                _write_any(parts, fmt, handle)
        except OSError as err:
            raise tables.WriteError(f"cannot write ({err.strerror or err})", path=output) from err
    else:
        with tables.atomic_path(output) as tmp:
            _write_any(parts, fmt, tmp)


def _write_any(parts: Iterable[pa.Table], fmt: str, where) -> None:
    """``where``: a path or an open binary file."""
    if fmt == "parquet":
        writer = None
        for table in parts:
            writer = writer or pq.ParquetWriter(where, table.schema, compression="zstd")
            writer.write_table(table)
        (writer or pq.ParquetWriter(where, empty_output().schema)).close()
    elif isinstance(where, Path):
        with open(where, "wb") as handle:
            _write_text(parts, fmt, handle)
    else:
        _write_text(parts, fmt, where)


def _stdout():
    return sys.stdout  # looked up at call time, so that test runners can capture it


def _write_text(parts: Iterable[pa.Table], fmt: str, handle) -> None:
    if fmt == "jsonl":
        for table in parts:
            handle.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.to_pylist()).encode("utf-8"))
        return
    options = pa_csv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",", quoting_style="needed")
    with pa_csv.CSVWriter(handle, empty_output().schema, write_options=options) as writer:
        for table in parts:
            writer.write_table(table.select(list(OUTPUT_COLUMNS)))
