"""The ranked review queue: ranks over every chunk, then the output written once, atomically.

Rank 1 is the highest logit; ties keep input order. The queue is written in rank order (the
order a reviewer works in), or in input order with ``order="input"``; ``top_k`` keeps the k
best. Rank order needs every row before the first can be written, so it is produced in rank
windows of at most :data:`RANK_WINDOW` rows: with more names than that, one pass over the chunks
spills each window's rows into its own scratch file, then each window is sorted and written
(memory stays about one window, whatever the input). A file is replaced atomically; stdout, a device
or a pipe is written as it stands. CSV and TSV go through Arrow's C++ writer (header once,
shortest round-trip floats); JSONL one object per line; Parquet with zstd. :func:`write`
returns the SHA-256 of the bytes written, for the audit record.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.feather as feather
import pyarrow.parquet as pq

from icop.errors import InputError
from icop.io import tables
from icop.triage.audit import sha256_of_file
from icop.triage.chunks import RESULT_SCHEMA
from icop.triage.workdir import read_part

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "parquet")
OUTPUT_COLUMNS = ("source", "line", "id", "name", "probability", "logit", "decision", "keyword_ids", "rank")
#: The columns a score adds to a name, the same from triage, the Dask and Spark paths and the MLflow model.
SCORE_COLUMNS = ("probability", "logit", "decision", "keyword_ids")
ORDERS = ("rank", "input")
#: Rows held in memory at once while the queue is put in rank order (more only beyond
#: RANK_WINDOW * MAX_SPILLS names, so that the scratch files open at once stay few).
RANK_WINDOW = 50_000
MAX_SPILLS = 256


def output_format(path: str, fmt: str | None) -> str:
    """The format asked for, else the output's extension (none, or stdout: CSV). An unknown
    extension is refused rather than silently written as CSV."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower().lstrip(".")
    if path == "-" or not suffix:
        return "csv"
    if suffix not in OUTPUT_FORMATS:
        raise InputError(
            f"{path}: unknown output format '.{suffix}'",
            fix=f"name the file with {', '.join('.' + f for f in OUTPUT_FORMATS)}, or give --format",
        )
    return suffix


def ranks(parts: list[Path]) -> np.ndarray:
    """Rank 1 = highest logit; ties keep input order. int32 below 2**31 names (int64 beyond).

    Where the logits span less than 2**31, each name's (logit, position) is packed into one int64
    key, sorted in place; the positions then go to int32 inside the keys' own buffer: 8 bytes per
    name at the peak rather than an argsort's 28. Keys are distinct, so any sort gives the one order."""
    spans = [_logit_span(part) for part in parts]
    n = sum(rows for rows, _, _ in spans)
    low = min((lo for rows, lo, _ in spans if rows), default=0)
    high = max((hi for rows, _, hi in spans if rows), default=0)
    if n < 2**31 and high - low < 2**31:
        keys = _packed_keys(parts, n, high)
        keys.sort()
        keys &= 0xFFFFFFFF  # the positions, in rank order
        order = _narrowed(keys)
    else:
        logits = np.concatenate([logits for _, logits in _logits(parts)])
        np.negative(logits, out=logits)  # in place: sums of int32 weights, far from the int64 minimum
        order = np.argsort(logits, kind="stable")
        del logits
    ranked = np.empty(n, np.int32 if n < 2**31 else np.int64)
    for start in range(0, n, _RANK_BLOCK):  # ranked[order[i]] = i + 1, without a whole temporary 1..n array
        block = order[start : start + _RANK_BLOCK]
        ranked[block] = np.arange(start + 1, start + 1 + block.size, dtype=ranked.dtype)
    return ranked


def _packed_keys(parts: list[Path], n: int, high: int) -> np.ndarray:
    """(high - logit) << 32 | position of every name: ascending keys are the rank order."""
    keys = np.empty(n, np.int64)
    for start, logits in _logits(parts):
        key = keys[start : start + logits.size]
        np.subtract(high, logits, out=key)
        key <<= 32
        key |= np.arange(start, start + logits.size, dtype=np.int64)
    return keys


def _narrowed(values: np.ndarray) -> np.ndarray:
    """int64 values below 2**31 as int32 in the first half of their own buffer, the other half
    handed back by shrinking it in place (the buffer may move: no view of it may be alive)."""
    n = values.size
    narrow = values.view(np.int32)
    for start in range(0, n, _RANK_BLOCK):  # each block overwrites only values already copied
        end = min(start + _RANK_BLOCK, n)
        narrow[start:end] = values[start:end]
    del narrow
    values.resize((n + 1) // 2, refcheck=False)
    return values.view(np.int32)[:n]


def _logit_span(part: Path) -> tuple[int, int, int]:
    """(rows, lowest logit, highest logit) of a chunk file."""
    logits = read_part(part, ["logit"]).column("logit")
    bounds = pc.min_max(logits)
    return logits.length(), bounds["min"].as_py() or 0, bounds["max"].as_py() or 0


def _logits(parts: list[Path]) -> Iterator[tuple[int, np.ndarray]]:
    """(position of the first, int64 logits) of each chunk file."""
    start = 0
    for part in parts:
        logits = np.asarray(read_part(part, ["logit"]).column("logit"), dtype=np.int64)
        yield start, logits
        start += logits.size


_RANK_BLOCK = 1 << 20


def top_rows(parts: list[Path], ranked: np.ndarray, k: int, columns: tuple[str, ...] = OUTPUT_COLUMNS) -> pa.Table:
    """The k best-ranked rows, in rank order (the review queue)."""
    found = list(ranked_parts(parts, ranked, columns, keep=ranked <= k))
    table = pa.concat_tables(found) if found else _output_schema().empty_table().select(list(columns))
    return table.sort_by([("rank", "ascending")])


def ranked_parts(
    parts: list[Path], ranked: np.ndarray, columns: tuple[str, ...] = OUTPUT_COLUMNS, keep: np.ndarray | None = None
) -> Iterator[pa.Table]:
    """The rows (those where ``keep`` is true, else all) in input order, with their rank."""
    for start, table in _with_starts(read_part(part) for part in parts):
        end = start + table.num_rows
        table = table.append_column("rank", pa.array(ranked[start:end], pa.int64())).select(list(columns))
        yield table if keep is None else table.filter(pa.array(keep[start:end]))


def in_rank_order(parts: list[Path], ranked: np.ndarray, limit: int | None = None) -> Iterator[pa.Table]:
    """The rows ranked 1 to ``limit`` (default: all) in rank order, one window at a time (module docstring)."""
    n = ranked.size if limit is None else min(limit, ranked.size)
    if n <= RANK_WINDOW:
        yield top_rows(parts, ranked, n)
        return
    window = max(RANK_WINDOW, -(-n // MAX_SPILLS))
    spills = [parts[0].with_name(f"rank-window-{w:06d}.arrow") for w in range(-(-n // window))]
    writers = [pa.ipc.new_file(str(path), _output_schema()) for path in spills]
    try:
        for table in ranked_parts(parts, ranked, keep=None if limit is None else ranked <= n):
            windows = (table.column("rank").to_numpy() - 1) // window
            for w in np.unique(windows):
                writers[w].write_table(table.filter(pa.array(windows == w)))
    finally:
        for writer in writers:
            writer.close()
    for path in spills:
        yield feather.read_table(path, memory_map=False).sort_by([("rank", "ascending")])
        path.unlink()
        pa.default_memory_pool().release_unused()  # hand the window's memory back before the next


def write(parts: list[Path], output: str, fmt: str, ranked: np.ndarray, *, top_k: int | None = None, order: str = "rank") -> str:
    """The queue (module docstring): every name, or the ``top_k`` best, in rank or input order.
    Returns the SHA-256 of the bytes written."""
    if order == "input":
        rows = ranked_parts(parts, ranked, keep=None if top_k is None else ranked <= top_k)
    else:
        rows = in_rank_order(parts, ranked, top_k)
    return write_tables(rows, output, fmt, _output_schema())


def _output_schema() -> pa.Schema:
    return pa.schema([pa.field("rank", pa.int64()) if c == "rank" else RESULT_SCHEMA.field(c) for c in OUTPUT_COLUMNS])


def _with_starts(parts: Iterable[pa.Table]) -> Iterator[tuple[int, pa.Table]]:
    start = 0
    for table in parts:
        yield start, table
        start += table.num_rows


def is_stream(output: str) -> bool:
    """Stdout, or an existing path that is not a regular file (a device, a pipe): written as it
    stands, never replaced."""
    return output == "-" or (os.path.exists(output) and not os.path.isfile(output))


class _Digesting:
    """A binary file-like wrapper that hashes what goes through it (outputs written as streams)."""

    def __init__(self, handle):
        self.handle, self.digest, self.position, self.closed = handle, hashlib.sha256(), 0, False

    def write(self, data) -> int:
        data = bytes(data)
        self.digest.update(data)
        self.position += len(data)
        return self.handle.write(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        self.handle.flush()

    def writable(self) -> bool:
        return True


def write_tables(parts: Iterable[pa.Table], output: str, fmt: str, schema: pa.Schema) -> str:
    """Tables of ``schema`` as one file of ``fmt`` (atomically), or to stdout, a device or a pipe
    as it stands; returns the SHA-256 of the bytes written."""
    if output == "-":
        sys.stdout.flush()
        handle = _Digesting(_stdout().buffer)
        _write_any(parts, fmt, handle, schema)
        handle.flush()
        return handle.digest.hexdigest()
    if is_stream(output):
        try:
            with open(output, "wb") as raw:
                handle = _Digesting(raw)
                _write_any(parts, fmt, handle, schema)
            return handle.digest.hexdigest()
        except OSError as err:
            raise tables.WriteError(f"cannot write ({err.strerror or err})", path=output) from err
    with tables.atomic_path(output) as tmp:
        _write_any(parts, fmt, tmp, schema)
        return sha256_of_file(tmp)


def _write_any(parts: Iterable[pa.Table], fmt: str, where, schema: pa.Schema) -> None:
    """``where``: a path or a binary file-like object."""
    if fmt == "parquet":
        with pq.ParquetWriter(where, schema, compression="zstd") as writer:
            for table in parts:
                writer.write_table(table.select(schema.names))
    elif isinstance(where, Path):
        with open(where, "wb") as handle:
            _write_text(parts, fmt, handle, schema)
    else:
        _write_text(parts, fmt, where, schema)


def _stdout():
    return sys.stdout  # looked up at call time, so that test runners can capture it


def _write_text(parts: Iterable[pa.Table], fmt: str, handle, schema: pa.Schema) -> None:
    if fmt == "jsonl":
        for table in parts:
            handle.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.to_pylist()).encode("utf-8"))
        return
    options = pa_csv.WriteOptions(delimiter="\t" if fmt == "tsv" else ",", quoting_style="needed")
    with pa_csv.CSVWriter(handle, schema, write_options=options) as writer:
        for table in parts:
            writer.write_table(table.select(schema.names))
